"""Email JSON endpoints: sign-up (public), and for senders the suppression check and the headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from custos.consent.cors import add_cors, preflight
from custos.consent.email import contacts, suppression
from custos.consent.email.headers import unsubscribe_headers
from custos.consent.limits import email_limit
from custos.consent.public import ConsentDep
from custos.consent.records import identity_hmac
from custos.engine.subject import normalize_email
from custos.service.http.api.deps import ReadRequests, WriteRequests
from custos.service.http.api.schemas import EMAIL_PATTERN, ErrorBody

router = APIRouter(prefix="/v1/email", tags=["email preferences"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 422)}
Address = Annotated[str, Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
Topic = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    email: Address
    topics: list[Topic] = Field(default_factory=list, max_length=50, description="empty: every topic")


class SuppressionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    emails: list[Address] = Field(min_length=1, max_length=1000)
    topic: Topic | None = Field(None, description="the mail's topic; empty: any marketing mail")


class SuppressionAnswer(BaseModel):
    email: str
    suppressed: bool
    may_send: bool = Field(description="confirmed, the topic granted, and not suppressed")


class SuppressionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    emails: list[Address] = Field(min_length=1, max_length=1000)
    topics: list[Topic] = Field(default_factory=list, max_length=50)
    reason: Annotated[str, Field(pattern=r"^(bounce|complaint|operator|request)$")] = "operator"


class HeadersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    email: Address
    topic: Topic | None = None


@router.post("/subscriptions", status_code=202, responses=ERRORS, dependencies=[Depends(email_limit)])
def sign_up(body: SubscriptionCreate, request: Request, response: Response, consent: ConsentDep) -> dict[str, str]:
    """Start a double opt-in. The answer is the same whether or not the address is known."""
    add_cors(request, response, consent.settings)
    contacts.request_subscription(consent, body.email, body.topics)
    return {"status": "confirmation_sent_if_needed",
            "message": "If the address can receive mail, a confirmation link is on its way."}


@router.options("/subscriptions", include_in_schema=False)
def sign_up_preflight(request: Request, consent: ConsentDep) -> Response:
    return preflight(request, consent.settings, "POST")


@router.post("/suppressions/check", response_model=list[SuppressionAnswer], responses=ERRORS)
def check(body: SuppressionQuery, consent: ConsentDep, _: ReadRequests) -> list[SuppressionAnswer]:
    """For senders, before each send: is the address suppressed, and may this topic go to it?"""
    answers = []
    with consent.service.plane.read() as session:
        for email in body.emails:
            address = normalize_email(email)
            digest = identity_hmac(consent, "email", address)
            blocked = suppression.is_suppressed(session, digest, body.topic)
            allowed = not blocked and (body.topic is None or contacts.may_send(session, consent, digest, body.topic))
            answers.append(SuppressionAnswer(email=address, suppressed=blocked, may_send=allowed))
    return answers


@router.post("/suppressions", status_code=201, responses=ERRORS)
def add_suppressions(body: SuppressionCreate, consent: ConsentDep, principal: WriteRequests) -> dict[str, int]:
    """Suppress addresses (bounces, complaints, requests made elsewhere)."""
    added = 0
    for email in body.emails:
        digest = identity_hmac(consent, "email", email)
        added += len(suppression.suppress(consent, digest, body.topics, reason=body.reason, actor=principal.name))
    return {"added": added}


@router.post("/headers", responses=ERRORS)
def headers(body: HeadersQuery, consent: ConsentDep, _: ReadRequests) -> dict[str, str]:
    """The RFC 8058 headers to put on one mail (sign both with DKIM)."""
    return unsubscribe_headers(consent, normalize_email(body.email), body.topic)
