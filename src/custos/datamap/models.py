"""The data map as typed models: where personal data lives, why, and what erasure does to it.

The format is the one of docs/datamap.md. Every model forbids unknown keys, so a misspelt key
is an error with its line rather than a silently ignored promise.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from custos.datamap.duration import Duration

KEY = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
Key = Annotated[str, Field(pattern=KEY, min_length=1, max_length=128)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Strategy(StrEnum):
    """What erasure does to one field."""

    MASK_NULL = "mask_null"
    MASK_REDACT = "mask_redact"
    MASK_HASH = "mask_hash"
    MASK_RANDOM = "mask_random"
    MASK_DATE_YEAR = "mask_date_year"
    KEEP = "keep"


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


STANDARD_IDENTITIES = ("email", "phone", "user_id", "account_id")


class Reference(Strict):
    """``field`` is ``collection.field`` (same dataset) or ``dataset.collection.field``.

    ``forward`` (the default) follows the edge from the referenced collection to the one
    holding the reference; ``both`` also follows it back; ``reverse`` follows it back only
    (a link table's row leads to the group it names, the group does not lead to every
    other member's row).
    """

    field: str
    direction: Literal["forward", "both", "reverse"] = "forward"
    #: what the reference says about the row holding it: ``owner`` (the row is the referenced
    #: person's, as an order is its customer's), ``same_person`` (an account merged into
    #: another), or ``mention`` (the row names the person without being theirs: a referral,
    #: a reviewer). Undeclared, it is read as ``owner`` and validation warns where it matters.
    kind: Literal["owner", "same_person", "mention"] | None = None

    @model_validator(mode="after")
    def _mention_forward(self) -> Reference:
        if self.kind == "mention" and self.direction != "forward":
            raise ValueError("a mention is followed from the person to the rows naming them only; "
                             "leave direction at forward")
        return self

    @field_validator("field")
    @classmethod
    def _dotted(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) not in (2, 3, 4) or not all(IDENTIFIER.match(p) for p in parts):
            raise ValueError(
                f"{value!r} is not a reference; write collection.field or dataset.collection.field "
                "(a schema-qualified table: schema.table.field or dataset.schema.table.field)"
            )
        return value


class Retention(Strict):
    """How long data is kept: ``period`` (ISO 8601) counted ``from`` a moment, ``then`` what happens.

    ``from`` is a field name (a date/time column of the collection, ``closed_at``),
    ``collection`` (each collection's own ``anchor:`` field) or ``last_activity`` (the newest
    ``activity: true`` field of the person the row belongs to, across their collections).
    ``then``: ``delete`` the rows, ``anonymize`` the fields (each by its ``erase`` strategy),
    or ``review`` (reported as due, never changed).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    period: str
    from_: str = Field(default="collection", alias="from", pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$", max_length=128)
    then: Literal["delete", "anonymize", "review"] = "delete"

    @field_validator("period")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        Duration.parse(value)
        return value

    @property
    def duration(self) -> Duration:
        return Duration.parse(self.period)


class DataField(Strict):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    primary_key: bool = False
    categories: list[str] = Field(default_factory=list)
    identity: str | None = None
    match: str | None = None
    erase: Strategy | None = None
    keep_for: str | None = None
    references: Reference | None = None
    #: a date/time column that records the person doing something (a sign-in, an order):
    #: retention ``from: last_activity`` counts from the newest of them
    activity: bool = False
    #: the field gives the person's age: their ``birth_date``, or their age in ``years``
    age: Literal["birth_date", "years"] | None = None
    #: the privacy center may ask a person for this field to confirm who they are
    verify: bool = False
    #: a flag the company's application honours: set (true) while the person's processing is
    #: restricted (GDPR Art. 18), cleared when the restriction is lifted
    restriction: bool = False
    #: what the field is called for the people it is about ("Date of birth", not birth_date)
    label: str | None = Field(default=None, max_length=120)

    @field_validator("name")
    @classmethod
    def _column_name(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"{value!r} is not a plain column name (letters, digits, _)")
        return value

    @field_validator("identity")
    @classmethod
    def _identity_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[a-z][a-z0-9_]*$", value):
            raise ValueError(
                f"{value!r} is not an identity name; use email, phone, user_id, account_id "
                "or a lower-case name of your own"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _short_reference(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("references"), str):
            data = dict(data)
            data["references"] = {"field": data["references"]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> DataField:
        if self.match is not None and self.identity is None:
            raise ValueError(
                f"field {self.name!r} has match: {self.match} but no identity; match says how an "
                "identity's stored values are compared"
            )
        if self.keep_for and self.erase not in (None, Strategy.KEEP):
            raise ValueError(
                f"field {self.name!r} has both keep_for and erase: {self.erase}; keep_for already "
                "means the field is kept"
            )
        return self

    @property
    def is_personal(self) -> bool:
        """A field is personal data when it has categories, is an identity or points at a person."""
        return bool(self.categories or self.identity)

    @property
    def strategy(self) -> Strategy:
        """The effective erasure strategy.

        Explicit ``erase`` wins; ``keep_for`` keeps; a personal field without a strategy is
        nulled (the residual check and the live-schema check make that visible); keys and
        other non-personal fields are kept.
        """
        if self.keep_for:
            return Strategy.KEEP
        if self.erase is not None:
            return self.erase
        if self.primary_key:
            return Strategy.KEEP
        if self.references is not None and self.references.kind == "mention":
            return Strategy.MASK_NULL  # the mentioned person's erasure removes the mention
        if self.references is not None:
            return Strategy.KEEP
        return Strategy.MASK_NULL if self.is_personal else Strategy.KEEP


class Minors(Strict):
    """What happens to a person under the rule sets' age limit found in this collection."""

    then: Literal["erase", "review"] = "review"
    #: a field that is set when a parent consented; rows where it is empty lack the consent
    consent: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$", max_length=128)


class Collection(Strict):
    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    erase_rows: bool = False
    #: the date/time field a row's retention clock starts from (``from: collection``)
    anchor: str | None = None
    #: the collection's own retention, in place of its purposes' periods
    retention: Retention | None = None
    #: people under the age limit found here (through the field marked ``age:``)
    minors: Minors | None = None
    fields: list[DataField] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _table_name(cls, value: str) -> str:
        if not all(IDENTIFIER.match(p) for p in value.split(".")) or value.count(".") > 1:
            raise ValueError(f"{value!r} is not a table name (schema.table is allowed)")
        return value

    def field(self, name: str) -> DataField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def primary_key(self) -> list[str]:
        return [f.name for f in self.fields if f.primary_key]


class Dataset(Strict):
    key: Key
    name: str | None = None
    description: str | None = None
    collections: list[Collection] = Field(min_length=1)

    def collection(self, name: str) -> Collection | None:
        return next((c for c in self.collections if c.name == name), None)


class System(Strict):
    key: Key
    name: str | None = None
    description: str | None = None
    url: str = Field(min_length=1)
    datasets: list[str] = Field(min_length=1)
    options: dict[str, str | int | bool] = Field(default_factory=dict)


class Organization(Strict):
    name: str = Field(min_length=1)
    address: str | None = None
    privacy_contact: str = Field(min_length=3)
    phone: str | None = None
    website: str | None = None
    dpo: str | None = None
    representative: str | None = None
    jurisdictions: list[str] = Field(min_length=1)
    phone_region: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    security_measures: list[str] = Field(default_factory=list)
    #: the business operates exclusively online and has a direct relationship with the people it
    #: serves: an email address may replace the toll-free number CCPA requests otherwise need
    #: (Cal. Civ. Code 1798.130(a)(1)(A))
    online_only: bool = False
    #: the languages the company writes to people in, the first being its default; a request
    #: is answered in the one the person asked in (the form's or the API's language)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(default_factory=lambda: ["en"],
                                                                           min_length=1, max_length=20)


class Purpose(Strict):
    key: Key
    name: str = Field(min_length=1)
    description: str | None = None
    lawful_basis: LawfulBasis
    legitimate_interest: str | None = None
    uses: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)
    retention: Retention | None = None
    automated_decisions: str | None = None


class Notify(Strict):
    """How a recipient hears of an erasure, correction, restriction or opt-out (GDPR Art. 19;
    CCPA §7022(b)(3), §7026(f)): exactly one of a signed webhook, a mail, or the reason it is
    not told."""

    webhook: str | None = Field(default=None, pattern=r"^https?://", max_length=2000)
    secret: str | None = Field(default=None, min_length=16, description="signs the webhook's body (HMAC-SHA-256)")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
    none: str | None = Field(default=None, min_length=1, description="why this recipient is not told")
    #: the identities the recipient is known to hold, as the notice gives them
    identities: list[str] = Field(default_factory=lambda: ["email"])
    #: ``raw`` values, or ``sha256`` of the normalized value where that is what was agreed
    identity_form: Literal["raw", "sha256"] = "raw"

    @model_validator(mode="after")
    def _one_channel(self) -> Notify:
        channels = [name for name in ("webhook", "email", "none") if getattr(self, name)]
        if len(channels) != 1:
            raise ValueError("notify takes exactly one of webhook (with secret), email or none (a reason)")
        if self.webhook and not self.secret:
            raise ValueError("a webhook needs the secret its notices are signed with (secret: ${VAR})")
        return self


class Recipient(Strict):
    key: Key
    name: str = Field(min_length=1)
    kind: Literal[
        "service_provider", "contractor", "processor", "third_party", "controller", "affiliate",
        "government",
    ]
    countries: list[str] = Field(default_factory=list)
    safeguards: str | None = None
    sold: bool = False
    shared: bool = False
    contact: str | None = None
    notify: Notify | None = None
    #: the request types it is told of (default: every type that changes or restricts data)
    requests: list[str] | None = None


class ErasureException(Strict):
    """A reason a field survives an erasure, with its legal basis."""

    key: Key
    basis: LawfulBasis | Literal[
        "legal_claims", "security", "research", "free_speech", "transaction", "internal_use"
    ]
    description: str | None = None
    ccpa: str | None = None
    gdpr: str | None = None
    until: str | None = None

    @field_validator("until")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        if value is not None:
            Duration.parse(value)
        return value

    def citation(self) -> str:
        """``legal_obligation (CCPA 1798.105(d)(8); GDPR Art. 17(3)(b))``."""
        cites = []
        if self.ccpa:
            cites.append(f"CCPA {self.ccpa}")
        if self.gdpr:
            cites.append(f"GDPR Art. {self.gdpr}")
        return f"{self.basis}" + (f" ({'; '.join(cites)})" if cites else "")


class MatchRuleSpec(Strict):
    """A company's own identity match rule: ``trim``, then ``remove`` characters, then ``casefold``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    key: Key
    description: str | None = None
    trim: bool = False
    casefold: bool = False
    remove: str = ""

    @field_validator("remove")
    @classmethod
    def _separators(cls, value: str) -> str:
        from custos.matching import REMOVABLE

        bad = sorted({ch for ch in value if ch not in REMOVABLE})
        if bad:
            raise ValueError(
                f"remove may name separators only ({''.join(sorted(REMOVABLE))!r}), not {''.join(bad)!r}"
            )
        return value


class TaxonomyExtension(Strict):
    categories: list[dict[str, Any]] = Field(default_factory=list)
    data_uses: list[dict[str, Any]] = Field(default_factory=list)


class DataMapDocument(Strict):
    """One parsed data map (several files already merged)."""

    version: int = 1
    organization: Organization
    systems: list[System] = Field(min_length=1)
    datasets: list[Dataset] = Field(min_length=1)
    purposes: list[Purpose] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    exceptions: list[ErasureException] = Field(default_factory=list)
    match_rules: list[MatchRuleSpec] = Field(default_factory=list)
    taxonomy: TaxonomyExtension | None = None
