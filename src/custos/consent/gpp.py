"""IAB Global Privacy Platform strings: the US state sections' opt-outs, enough to honor them.

A GPP string is a header and sections joined by ``~``. The header (URL-safe base64 of a
bit string) holds the type (6 bits, 3), the version (6 bits, 1) and the ids of the
sections that follow, as a Fibonacci-coded integer range. Each section is its core
segment, then optional segments after ``.`` whose first 2 bits name their type (1: the
GPC segment, one bit). Custos reads the US sections listed below and honors an opt-out
of sale, sharing or targeted advertising signalled in any of them (the value 1, "opted
out"). A TCF string (the EU framework's consent string) is not a GPP string and is
refused: it never belongs in the ``gpp`` parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from custos.service.errors import InvalidRequestError

# section id → (API prefix, bit offset of each opt-out field in the core segment)
US_SECTIONS: dict[int, tuple[str, dict[str, int]]] = {
    7: ("usnat", {"sale": 18, "sharing": 20, "targeted_advertising": 22}),
    8: ("usca", {"sale": 12, "sharing": 14}),
    9: ("usva", {"sale": 12, "targeted_advertising": 14}),
    10: ("usco", {"sale": 12, "targeted_advertising": 14}),
    12: ("usct", {"sale": 12, "targeted_advertising": 14}),
}
OPTED_OUT = 1
_GPP_TYPE = 3
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")
_SYMBOLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_SYMBOLS)}
MAX_LENGTH = 4096


class GppError(InvalidRequestError):
    """A ``gpp`` value that is not a GPP string Custos can read."""


@dataclass
class GppSignal:
    """What a GPP string says: its sections, and the opt-outs its US sections signal."""

    section_ids: list[int]
    opt_outs: dict[str, list[str]] = field(default_factory=dict)  # right → sections that signal it
    gpc: list[str] = field(default_factory=list)  # sections whose GPC segment is set

    @property
    def rights(self) -> list[str]:
        return sorted(self.opt_outs)


def bits_of(text: str) -> str:
    """The bit string of one URL-safe base64 segment (6 bits per character)."""
    if not _ALPHABET.match(text):
        raise GppError("a GPP segment is URL-safe base64 (A-Z a-z 0-9 - _)")
    return "".join(f"{_INDEX[c]:06b}" for c in text)


def encode_bits(bits: str) -> str:
    """URL-safe base64 of a bit string, padded with zero bits to a whole character."""
    bits = bits + "0" * (-len(bits) % 6)
    return "".join(_SYMBOLS[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))


class _Reader:
    def __init__(self, bits: str) -> None:
        self.bits = bits
        self.at = 0

    def integer(self, width: int) -> int:
        if self.at + width > len(self.bits):
            raise GppError("the GPP string ends before its fields do")
        value = int(self.bits[self.at:self.at + width], 2)
        self.at += width
        return value

    def fibonacci(self) -> int:
        """A Fibonacci-coded integer: bits for 1, 2, 3, 5, 8… ended by a second 1 in a row."""
        total, a, b, previous = 0, 1, 2, "0"
        while self.at < len(self.bits):
            bit = self.bits[self.at]
            self.at += 1
            if bit == "1" and previous == "1":
                return total
            if bit == "1":
                total += a
            a, b = b, a + b
            previous = bit
        raise GppError("a Fibonacci-coded number in the GPP header has no end")


def section_ids(header: str) -> list[int]:
    """The section ids a GPP header lists."""
    reader = _Reader(bits_of(header))
    if reader.integer(6) != _GPP_TYPE:
        raise GppError("not a GPP string: the header's type is not 3")
    version = reader.integer(6)
    if version < 1:
        raise GppError("not a GPP string: unknown header version")
    ids: list[int] = []
    last = 0
    for _ in range(reader.integer(12)):
        if reader.integer(1):
            start = last + reader.fibonacci()
            end = start + reader.fibonacci()
            ids.extend(range(start, end + 1))
            last = end
        else:
            last += reader.fibonacci()
            ids.append(last)
    return ids


def looks_like_tcf(value: str) -> bool:
    """A TCF v2 TC string: its first 6 bits give version 2 and it is not a GPP header (type 3)."""
    first = value.split("~", 1)[0].split(".", 1)[0]
    if not first or not _ALPHABET.match(first[:1]):
        return False
    try:
        version = int(bits_of(first[:1]), 2)
    except (GppError, ValueError):
        return False
    return version in (1, 2) and len(first) > 20


def parse(value: str) -> GppSignal:
    """Read a GPP string; refuses TCF strings and anything malformed, saying why."""
    value = value.strip()
    if not value or len(value) > MAX_LENGTH:
        raise GppError(f"a GPP string is 1 to {MAX_LENGTH} characters")
    if looks_like_tcf(value):
        raise GppError("this is a TCF (EU Transparency and Consent) string, not a GPP string; "
                       "never put a TCF string in the gpp parameter")
    header, *sections = value.split("~")
    try:
        ids = section_ids(header)
    except ValueError as error:
        raise GppError(f"not a GPP string: {error}") from error
    if len(ids) != len(sections):
        raise GppError(f"the GPP header lists {len(ids)} sections but {len(sections)} follow")
    signal = GppSignal(section_ids=ids)
    for section_id, text in zip(ids, sections, strict=True):
        if section_id not in US_SECTIONS:
            continue  # other sections (TCF EU inside GPP, Canada, USP v1…) say nothing Custos honors here
        name, offsets = US_SECTIONS[section_id]
        core, *optional = text.split(".")
        reader = _Reader(bits_of(core))
        if reader.integer(6) < 1:
            raise GppError(f"the {name} section has no valid version")
        for right, offset in offsets.items():
            reader.at = offset
            if reader.integer(2) == OPTED_OUT:
                signal.opt_outs.setdefault(right, []).append(name)
        for segment in optional:
            bits = _Reader(bits_of(segment))
            if bits.integer(2) == 1 and bits.integer(1) == 1:
                signal.gpc.append(name)
    return signal


def opt_out_keys(signal: GppSignal, opt_out_purposes: list[str]) -> list[str]:
    """The purposes a GPP signal turns off: the rights it names; with any of them (or its GPC
    segment), also every other opt-out purpose of the data map, as Global Privacy Control does."""
    if signal.gpc:
        return sorted(opt_out_purposes)
    if not signal.opt_outs:
        return []
    rights = set(signal.opt_outs)
    from custos.consent.purposes import OPT_OUT_RIGHTS

    return sorted(k for k in opt_out_purposes if k in rights or k not in OPT_OUT_RIGHTS)
