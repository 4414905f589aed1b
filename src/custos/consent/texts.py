"""The banner's words in each language it ships with; a site may override any of them.

``CUSTOS_CONSENT_TEXTS_FILE`` names a YAML file of texts per language, laid over the
built-in ones: a built-in language may change any of its texts, and a new language must
give all of them (a banner half in one language and half in another would mislead).

    en:
      title: Your choices at Example Shop
    fr:
      title: Vos choix
      ...every key of en...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from custos.errors import ConfigError

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_TEXT = 2000

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


def texts_for(language: str, default: str = "en",
              table: dict[str, dict[str, str]] | None = None) -> tuple[str, dict[str, str]]:
    """The language used and its texts: ``de-AT`` falls back to ``de``, unknown ones to ``default``."""
    texts = table if table is not None else TEXTS
    wanted = (language or "").strip().lower()
    for candidate in (wanted, wanted.split("-")[0], default, "en"):
        if candidate in texts:
            return candidate, texts[candidate]
    return "en", texts["en"]


def load_texts(path: str) -> dict[str, dict[str, str]]:
    """The built-in texts with those of the YAML file at ``path`` laid over them.

    ``ConfigError`` names the file and every language and key that is wrong: an unknown key,
    a text that is not a string or is empty or over 2,000 characters, a language code that
    is not one, and a new language that leaves texts out.
    """
    merged = {language: dict(texts) for language, texts in TEXTS.items()}
    if not path:
        return merged
    try:
        loaded: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"CUSTOS_CONSENT_TEXTS_FILE: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"CUSTOS_CONSENT_TEXTS_FILE: {path} is not YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected languages at the top (en: {{title: …}}), found {type(loaded).__name__}")
    keys = set(TEXTS["en"])
    problems: list[str] = []
    for language, texts in loaded.items():
        code = str(language).lower()
        if not LANGUAGE.match(code):
            problems.append(f"{language!r} is not a language code (en, de, pt-br…)")
            continue
        if not isinstance(texts, dict):
            problems.append(f"{code}: expected texts (title: …), found {type(texts).__name__}")
            continue
        # YAML 1.1 reads the keys on: and off: as booleans
        texts = {({True: "on", False: "off"}[key] if isinstance(key, bool) else key): text
                 for key, text in texts.items()}
        for key, text in texts.items():
            if key not in keys:
                problems.append(f"{code}.{key}: no such text (valid: {', '.join(sorted(keys))})")
            elif not isinstance(text, str) or not text.strip():
                problems.append(f"{code}.{key}: a text is a non-empty string")
            elif len(text) > MAX_TEXT:
                problems.append(f"{code}.{key}: {len(text)} characters; at most {MAX_TEXT}")
        missing = sorted(keys - set(texts)) if code not in merged else []
        if missing:
            problems.append(f"{code}: a new language gives every text; missing {', '.join(missing)}")
        merged.setdefault(code, {}).update({str(k): str(v) for k, v in texts.items()})  # kept only without problems
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return merged
