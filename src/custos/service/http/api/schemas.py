"""Request and response bodies of the JSON API, named by role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from custos.rules import RequestNotCoveredError, RequestType, request_kind, request_types

Text = Field(min_length=1, max_length=2000)


#: the largest identifier a path or query may name: a signed 64-bit integer, what every
#: control-plane database stores (a larger one is a 422, never a database error)
MAX_ID = 2**63 - 1


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("a moment is written as an RFC 3339 date and time, not a number")
    return value


#: a moment in a request body: an RFC 3339 string, as the document says (not seconds since 1970)
Moment = Annotated[datetime, BeforeValidator(_not_a_number)]


class _Body(BaseModel):
    # patterns read as Python reads them, as the service's own checks (str.isspace) and the
    # OpenAPI document's generators do
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, regex_engine="python-re")


class Error(BaseModel):
    code: str
    message: str


#: the characters Python's ``str.isspace`` (and so ``str.strip`` and ``normalize_email``) reads as
#: space, written out: JSON Schema's ``\s`` is ECMAScript's, which differs from Python's
SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: an email as the service takes it: name@domain, spaces at either end ignored (``normalize_email``)
EMAIL_PATTERN = f"^[{SPACE}]*[^{SPACE}]+@[^@{SPACE}]+[{SPACE}]*$"


class ErrorBody(BaseModel):
    """Every error: ``{"error": {"code": ..., "message": ...}}``."""

    error: Error


class AgentCreate(_Body):
    """An authorized agent acting for the person, with the person's signed permission."""

    name: str = Field(min_length=1, max_length=200)
    permission: str = Field(min_length=1, max_length=100_000, description="the signed permission, as text or Base64")


class RequestCreate(_Body):
    """A new rights request."""

    type: str = Field(min_length=1, max_length=40, description="the request type: "
                      + ", ".join(RequestType) + ", or one a plug-in adds",
                      json_schema_extra=lambda schema: schema.update(enum=list(request_types())))
    jurisdiction: str | None = Field(None, max_length=32, description="default: the organization's first")
    email: str | None = Field(None, max_length=320, pattern=EMAIL_PATTERN)
    phone: str | None = Field(None, max_length=64)
    identities: dict[str, str] = Field(default_factory=dict, max_length=10,
                                       description="other identities, e.g. {'user_id': '42'}")
    corrections: dict[str, Any] = Field(default_factory=dict, max_length=50,
                                        description="for correction: {'dataset.collection.field': new value}")
    appeal_of: UUID | None = Field(None, description="for appeal: the request whose decision is appealed")
    appeal_token: str | None = Field(None, max_length=200, description="for appeal: that request's token")
    statement: str | None = Field(None, max_length=10_000, description="the person's reasons or comments")
    agent: AgentCreate | None = None
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35,
                                 description="the language to write to the person in (a BCP 47 tag, such as de or "
                                             "de-CH); default: the request's Accept-Language, among the map's "
                                             "organization.languages")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        try:
            return str(request_kind(value))
        except RequestNotCoveredError as exc:
            raise ValueError(exc.message) from None


class RequestReceipt(BaseModel):
    """The answer to a new request: the same shape whether or not the identity is known."""

    id: str
    token: str = Field(description="keep it: it shows the request's status")
    status: str
    type: str
    jurisdiction: str
    received_at: datetime
    due_at: datetime | None
    verification: str = Field(description="what confirming the request takes")


class Declaration(_Body):
    signed_name: str = Field(min_length=1, max_length=200)
    accepted: bool = Field(description="I declare under penalty of perjury that I am the person named")


class VerificationSubmit(_Body):
    """The code from the mail, and the data points the verification level needs."""

    code: str = Field(pattern=r"^\s*\d{6}\s*$")
    data_points: dict[str, str] = Field(default_factory=dict, max_length=20)
    declaration: Declaration | None = None


class PackageLink(BaseModel):
    url: str
    expires_at: datetime
    downloads_left: int


class RequestPublic(BaseModel):
    """What the person sees of their request."""

    id: str
    type: str
    jurisdiction: str
    status: str
    extended: bool
    received_at: datetime
    due_at: datetime | None
    decided_at: datetime | None
    answered_as: str | None
    denial_reason: str | None
    denial_exception: str | None
    extension_notice: str | None
    package: PackageLink | None = None


class VerificationFields(BaseModel):
    fields: list[dict[str, Any]]


class Assignment(BaseModel):
    """Who handles a request: a console user's email, or null to take it back."""

    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(None, max_length=320)


class QueueItem(BaseModel):
    """One line of the operator's queue."""

    id: str
    type: str
    jurisdiction: str
    status: str
    source: str
    extended: bool
    needs_approval: bool
    received_at: datetime
    due_at: datetime | None
    late: bool
    near: bool
    stuck: bool = False  # its job's worker stopped before it finished (the lease ran out)
    assignee: str | None = None  # the console user who handles it
    flags: list[str] = Field(default_factory=list, description="what an operator must know beyond the status "
                             "(a recipient not told yet); a completed request with a flag is not done")


class ResultPublic(BaseModel):
    kind: str
    status: str
    row_count: int
    residual_ok: bool | None
    collections: dict[str, Any]
    created_at: datetime
    result: dict[str, Any] | None = None


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    request_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    entry_hash: str


class RequestDetail(QueueItem):
    """A request with its full history and per-collection results."""

    verification_level: str
    verified_level: str | None
    answered_as: str | None
    fee_allowed: bool
    acknowledge_by: datetime | None
    acknowledged_at: datetime | None
    respond_by: datetime | None
    extension_notice_by: datetime | None
    extension_notice: str | None
    decided_at: datetime | None
    denial_reason: str | None
    denial_exception: str | None
    appeal_of: str | None
    agent_id: str | None
    history: list[AuditEntryPublic]
    results: list[ResultPublic]


class Denial(_Body):
    reason: str = Field(min_length=1, max_length=2000, description="the reasons, as the person reads them in the mail")
    exception: str | None = Field(None, max_length=200,
                                  description="the exception relied on (a key of the data map or of the rule set)")
    note: str | None = Field(None, max_length=2000, description="an internal note for the audit log; never mailed")


class ExtensionNotice(_Body):
    notice: str = Text


class ObjectionDecision(_Body):
    """An operator's decision on an objection to processing on legitimate interests (GDPR Art. 21(1))."""

    upheld: bool = Field(description="true: the processing stops for the person; false: it continues on "
                                     "compelling legitimate grounds, which reason gives")
    reason: str = Field(min_length=1, max_length=2000, description="what the person reads: the decision and why")


class ChainStatus(BaseModel):
    ok: bool
    entries: int
    head: str
    problems: list[str]


class Login(_Body):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class LoginResult(BaseModel):
    name: str
    role: str | None
    csrf_token: str


class OpenDsrIdentity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identity_type: Literal["email", "controller_customer_id", "phone_number"]
    identity_value: str = Field(min_length=1, max_length=1000, pattern=r"\S")
    identity_format: Literal["raw"] = Field("raw", description="hashed identities cannot be matched, so only raw")


class OpenDsrCreate(BaseModel):
    """An OpenDSR request (extra properties are ignored, as the specification allows)."""

    model_config = ConfigDict(extra="ignore")

    subject_request_id: UUID
    subject_request_type: Literal["access", "portability", "erasure"]
    subject_identities: list[OpenDsrIdentity] = Field(min_length=1, max_length=20)
    regulation: Literal["gdpr", "ccpa"] | None = None
    submitted_time: Moment | None = None
    api_version: str | None = Field(None, max_length=16)
    status_callback_urls: list[str] = Field(default_factory=list, max_length=10)
