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
    },
}


def texts_for(language: str, default: str = "en") -> tuple[str, dict[str, str]]:
    """The language used and its texts: ``de-AT`` falls back to ``de``, unknown ones to ``default``."""
    wanted = (language or "").strip().lower()
    for candidate in (wanted, wanted.split("-")[0], default, "en"):
        if candidate in TEXTS:
            return candidate, TEXTS[candidate]
    return "en", TEXTS["en"]
