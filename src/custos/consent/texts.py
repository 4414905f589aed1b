"""The banner's words in each language it ships with; a site may override any of them."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your privacy choices",
        "body": "We use cookies and similar technologies for the purposes below. "
                "Nothing beyond what the site needs runs until you choose.",
        "accept_all": "Accept all",
        "reject_all": "Reject all",
        "choose": "Choose",
        "save": "Save choices",
        "close": "Close",
        "reopen": "Privacy choices",
        "gpc_honored": "Opt-Out Request Honored",
        "gpc_detail": "Your browser sent a Global Privacy Control signal, so sale, sharing and "
                      "targeted advertising are off.",
        "notice": "Privacy notice",
        "on": "On",
        "off": "Off",
        "minor_title": "Confirm selling or sharing",
        "minor_body_self": "You are under 16, so we sell or share your personal information only if you "
                           "agree. Confirming turns on:",
        "minor_body_parent": "This person is under 13, so we sell or share their personal information only if "
                             "a parent or guardian agrees. Confirming turns on:",
        "minor_agree_self": "I am 13 to 15 and I agree that my personal information may be sold or shared "
                            "for the purposes listed.",
        "minor_agree_parent": "I am this person's parent or guardian and I agree that their personal information "
                              "may be sold or shared for the purposes listed.",
        "minor_confirm": "Confirm",
        "minor_cancel": "Cancel",
        "minor_confirmed": "Confirmed: selling and sharing are on for the purposes listed.",
        "minor_cancelled": "Not confirmed: selling and sharing stay off.",
        "minor_failed": "The confirmation could not be saved. Please try again.",
        "minor_expired": "The request expired. Please confirm again.",
    },
    "de": {
        "title": "Ihre Datenschutz-Einstellungen",
        "body": "Wir verwenden Cookies und ähnliche Technologien für die unten genannten Zwecke. "
                "Über das Notwendige hinaus läuft nichts, bevor Sie wählen.",
        "accept_all": "Alle akzeptieren",
        "reject_all": "Alle ablehnen",
        "choose": "Auswählen",
        "save": "Auswahl speichern",
        "close": "Schließen",
        "reopen": "Datenschutz-Einstellungen",
        "gpc_honored": "Opt-Out Request Honored",
        "gpc_detail": "Ihr Browser hat ein Global-Privacy-Control-Signal gesendet; Verkauf, Weitergabe "
                      "und personalisierte Werbung sind deshalb ausgeschaltet.",
        "notice": "Datenschutzhinweis",
        "on": "An",
        "off": "Aus",
        "minor_title": "Verkauf oder Weitergabe bestätigen",
        "minor_body_self": "Sie sind unter 16. Deshalb dürfen Ihre personenbezogenen Daten nur mit Ihrer "
                           "Zustimmung verkauft oder weitergegeben werden. Mit der Bestätigung wird eingeschaltet:",
        "minor_body_parent": "Diese Person ist unter 13. Deshalb dürfen ihre personenbezogenen Daten nur mit "
                             "Zustimmung eines Elternteils oder Vormunds verkauft oder weitergegeben werden. Mit "
                             "der Bestätigung wird eingeschaltet:",
        "minor_agree_self": "Ich bin 13 bis 15 Jahre alt und stimme zu, dass meine personenbezogenen Daten für die "
                            "genannten Zwecke verkauft oder weitergegeben werden dürfen.",
        "minor_agree_parent": "Ich bin ein Elternteil oder der Vormund dieser Person und stimme zu, dass ihre "
                              "personenbezogenen Daten für die genannten Zwecke verkauft oder weitergegeben werden "
                              "dürfen.",
        "minor_confirm": "Bestätigen",
        "minor_cancel": "Abbrechen",
        "minor_confirmed": "Bestätigt: Verkauf und Weitergabe sind für die genannten Zwecke eingeschaltet.",
        "minor_cancelled": "Nicht bestätigt: Verkauf und Weitergabe bleiben ausgeschaltet.",
        "minor_failed": "Die Bestätigung konnte nicht gespeichert werden. Bitte versuchen Sie es erneut.",
        "minor_expired": "Die Anfrage ist abgelaufen. Bitte bestätigen Sie erneut.",
    },
}


def texts_for(language: str, default: str = "en") -> tuple[str, dict[str, str]]:
    """The language used and its texts: ``de-AT`` falls back to ``de``, unknown ones to ``default``."""
    wanted = (language or "").strip().lower()
    for candidate in (wanted, wanted.split("-")[0], default, "en"):
        if candidate in TEXTS:
            return candidate, TEXTS[candidate]
    return "en", TEXTS["en"]
