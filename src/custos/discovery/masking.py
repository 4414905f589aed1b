"""Masked examples for the scan report: enough to recognise the kind of value, never the value.

``j***@e***.com``, ``+** *** *** **17``, ``J*** S***``, ``19**-**-**``. A value too short to
mask safely (a gender, a code) is shown as ``***``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from custos.discovery import detectors as d


def masked(values: Sequence[Any], detector: str | None) -> str | None:
    """A masked example from the first non-empty value."""
    first = next((text for text in (d.text_of(v) for v in values) if text), None)
    return None if first is None else mask(first, detector)


def mask(text: str, detector: str | None = None) -> str:
    text = text.strip()
    if len(text) < 4:
        return "***"
    if detector == "email" or (detector is None and d.is_email(text)):
        local, _, domain = text.rpartition("@")
        labels = domain.split(".")
        return f"{local[:1]}***@{labels[0][:1]}***.{labels[-1]}"
    if detector == "ip":
        return "****:****:…" if ":" in text else "***.***.***.***"
    if detector == "date" or re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return text[:2] + "**-**-**"
    if detector in ("phone", "card", "iban", "ssn", "national"):
        return re.sub(r"[0-9A-Za-z]", "*", text[:-2]) + "**"
    words = re.split(r"(\s+|[,;/@.\-]+)", text[:80])
    shown = []
    for word in words:
        if not word or not any(c.isalnum() for c in word):
            shown.append(word)
        elif any(c.isdigit() for c in word):
            shown.append("#" * min(len(word), 3))
        else:
            shown.append(word[:1] + "***")
    return "".join(shown) + ("…" if len(text) > 80 else "")

