"""The consent API's request and answer bodies, named by role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SUBJECT_PATTERN = r"^[A-Za-z0-9_-]{8,100}$"
VERSION_PATTERN = r"^[0-9a-f]{64}$"
PURPOSE_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"


class ConsentCreate(BaseModel):
    """A choice about purposes: ``{"analytics": true, "advertising": false}``."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(pattern=SUBJECT_PATTERN, description="the anonymous device id the banner keeps")
    choices: dict[str, bool] = Field(default_factory=dict, max_length=100)
    method: Literal["banner", "form", "api"] = "api"
    notice_version: str | None = Field(None, pattern=VERSION_PATTERN,
                                       description="the notice version shown; default: the current one")
    gpc: bool = Field(False, description="navigator.globalPrivacyControl as the page read it")
    gpp: str | None = Field(None, max_length=4096,
                            description="an IAB GPP string; opt-outs of sale, sharing or targeted advertising in "
                                        "its US sections (usnat, usca, usva, usco, usct) are honored. "
                                        "A TCF string is refused.")
    age_band: Literal["under_13", "13_15", "16_plus"] | None = Field(
        None, description="the age band the person (or a parent) declared; under 16, selling or sharing "
                          "needs an opt-in confirmed in two steps")
    confirmation: str | None = Field(None, max_length=2000,
                                     description="the token of the first step of a minor's opt-in")
    confirmed_by: Literal["self", "parent"] | None = Field(
        None, description="who confirms the second step: the person (13 to 15) or a parent (under 13)")


class ConfirmationPublic(BaseModel):
    """A minor's opt-in that is not recorded yet: send it again with ``token`` and ``confirmed_by``."""

    purposes: list[str]
    age_band: str
    confirmed_by: Literal["self", "parent"]
    token: str
    expires_at: datetime


class PurposeStatePublic(BaseModel):
    granted: bool
    method: str
    at: datetime
    notice_version: str


class ConsentPublic(BaseModel):
    """A subject's current consent: the newest choice per purpose, across linked subjects."""

    subject: str
    choices: dict[str, PurposeStatePublic]
    undecided: list[str]
    opt_out_signal: str | None = Field(None, description="gpc or dnt when the call carried an honored signal")
    gpc_honored: bool = False
    notice_version: str
    recorded: int = 0
    ask_again_after: dict[str, datetime] = Field(
        default_factory=dict,
        description="opted-out purposes the banner must not ask about again before the given time "
                    "(12 months after the opt-out, CCPA 1798.135(c)(4))")
    age_band: str | None = None
    confirmation_required: ConfirmationPublic | None = None
    gpp_opt_outs: list[str] = Field(default_factory=list, description="purposes turned off by the gpp string")


class SubjectLinkCreate(BaseModel):
    """Sent by the site's back end when a person signs in on a device."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(pattern=SUBJECT_PATTERN)
    identities: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
                     Annotated[str, Field(min_length=1, max_length=320, pattern=r"\S")]] = Field(
        min_length=1, max_length=10, description="identity type (email, phone, or one of the map's) to value")


class SubjectLinkPublic(BaseModel):
    subject: str
    linked_subjects: list[str]


class PurposePublic(BaseModel):
    key: str
    name: str
    description: str
    opt_out: bool


class BannerConfig(BaseModel):
    """What the banner script needs: words, purposes, notice version, signals honored."""

    language: str
    texts: dict[str, str]
    purposes: list[PurposePublic]
    notice_version: str
    notice_url: str
    honor_dnt: bool
    endpoint: str
    reask_days: int = Field(365, description="after an opt-out, days before the banner may ask to opt back in; "
                                             "GET /v1/consent gives the exact time per purpose (ask_again_after)")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    events: list[str] = Field(default_factory=list, max_length=10)


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = Field(None, description="the signing secret; shown only when the endpoint is added")


class DeliveryPublic(BaseModel):
    id: int
    endpoint_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"] | str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
