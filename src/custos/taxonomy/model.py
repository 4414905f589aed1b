"""The entries of the taxonomy: data categories, data uses and the CCPA letters."""

from __future__ import annotations

from dataclasses import dataclass

from custos.errors import CustosError

CCPA_LETTERS = tuple("ABCDEFGHIJKL")
"""The CCPA categories of personal information, 1798.140(v)(1)(A)-(L)."""

SENSITIVE_LETTER = "L"
"""The letter of sensitive personal information, 1798.140(v)(1)(L) and (ae)."""


@dataclass(frozen=True)
class Category:
    """A data category (``user.contact.email``) with its CCPA and GDPR classification.

    ``ccpa`` is the primary CCPA letter, ``ccpa_also`` further letters the same data
    falls under; ``ccpa_sensitive`` marks sensitive personal information (1798.140(ae)),
    ``gdpr_special`` a GDPR Art. 9 special category, ``gdpr_criminal`` Art. 10 data.
    ``replaced_by`` names the current key when fideslang deprecated this one.
    """

    key: str
    name: str
    description: str
    parent: str | None
    ccpa: str | None
    ccpa_sensitive: bool
    gdpr_special: bool
    gdpr_criminal: bool
    ccpa_also: tuple[str, ...] = ()
    replaced_by: str | None = None

    @property
    def ccpa_letters(self) -> tuple[str, ...]:
        """Every CCPA letter this data is reported under, ``L`` last when sensitive."""
        letters = [letter for letter in (self.ccpa, *self.ccpa_also) if letter]
        if self.ccpa_sensitive:
            letters.append(SENSITIVE_LETTER)
        return tuple(dict.fromkeys(letters))

    @property
    def deprecated(self) -> bool:
        """True when fideslang replaced this key with another one."""
        return self.replaced_by is not None


@dataclass(frozen=True)
class DataUse:
    """A data use (``essential.service``) and whether it sells or shares under the CCPA.

    ``sale`` is a sale under 1798.140(ad), ``sharing`` a disclosure for cross-context
    behavioral advertising under 1798.140(ah).
    """

    key: str
    name: str
    description: str
    parent: str | None
    sale: bool
    sharing: bool
    replaced_by: str | None = None

    @property
    def sold_or_shared(self) -> bool:
        """True when the notice must list this use as selling or sharing."""
        return self.sale or self.sharing

    @property
    def deprecated(self) -> bool:
        """True when fideslang replaced this key with another one."""
        return self.replaced_by is not None


@dataclass(frozen=True)
class CcpaCategory:
    """One of the CCPA categories A-L with its official name and examples."""

    letter: str
    name: str
    examples: str
    statute: str = ""


class UnknownTaxonomyKey(CustosError, KeyError):
    """A category, data use or subject key that the taxonomy does not hold.

    It is a ``KeyError`` too, so mapping-style callers can catch it as one.
    """

    code = "unknown_taxonomy_key"
    exit_code = 2

    def __init__(self, kind: str, key: str, suggestion: str | None) -> None:
        self.kind = kind
        self.key = key
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"unknown {kind} {key!r}{hint} (see `custos taxonomy`)")

    def __str__(self) -> str:
        return self.message
