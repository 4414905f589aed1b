"""Taking a request in: checks, the jurisdiction's terms (deadlines, acknowledgement,
verification level), the frequency limit, and the request written with its identities and
codes in one transaction (``create``; ``create_many`` for a group commit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.controlplane import Identity, Request, insert_new_in_bulk, new_id
from custos.engine import Subject
from custos.errors import IdentityError
from custos.rules import (
    DueDates,
    RequestNotCoveredError,
    RequestType,
    RuleSet,
    VerificationLevel,
    appeal_due,
    compute_due_dates,
    request_kind,
    request_types,
)
from custos.service import audit, languages
from custos.service.core import Service
from custos.service.errors import ConflictError, InvalidRequestError, NotFoundError, ServiceError
from custos.service.requests.lifecycle import ACCOUNT_VERIFIED, proceed, transition
from custos.service.requests.records import Mail, day_of, mail_context, send
from custos.service.vault import random_token, same, sha256_hex

SOURCES = frozenset({"privacy_center", "api", "opendsr", "agent", "declared_agent", "minors"})


@dataclass
class Intake:
    """What a person (or an agent, or a controller through OpenDSR) asks for."""

    type: str
    identities: dict[str, str]
    jurisdiction: str | None = None
    source: str = "api"
    corrections: dict[str, Any] = field(default_factory=dict)
    appeal_of: str | None = None
    appeal_token: str | None = None
    statement: str | None = None
    agent_id: str | None = None
    agent_permission: str | None = None
    external_id: str | None = None
    callback_urls: list[str] = field(default_factory=list)
    pre_verified: bool = False
    verified_level: str | None = None  # how a pre-verified request was verified (``ACCOUNT_VERIFIED``)
    needs_approval: bool = False  # an operator decides it, whatever the approval settings say
    acknowledge: bool = True  # mail the person an acknowledgement (not for a request the company opened)
    #: the language the person asked in (an ISO 639-1 code); mails use it where the map offers it
    language: str | None = None


def required_level(service: Service, rules: RuleSet, kind: RequestType | str) -> VerificationLevel:
    """The verification level of the rule, raised to its sensitive level where sensitive data is held."""
    verification = rules.rule(kind).verification
    if verification.sensitive_level is not None and holds_sensitive_data(service):
        return verification.sensitive_level
    return verification.level


def holds_sensitive_data(service: Service) -> bool:
    taxonomy = service.datamap.taxonomy
    for _info, data_field in service.datamap.personal_fields():
        for key in data_field.categories:
            if taxonomy.has_category(key):
                category = taxonomy.category(key)
                if category.ccpa_sensitive or category.gdpr_special:
                    return True
    return False


def _store_with_identities(session: Session, service: Service, request: Request, subject: Subject) -> None:
    """Add ``request`` with its identities, encrypted and with their lookup hashes.

    The request gets its id here, so that what follows can name it before anything is
    written: the whole intake goes to the store in one flush.
    """
    if request.id is None:
        request.id = new_id()
    request.identities = [
        Identity(request_id=request.id, kind=identity_kind, value_encrypted=service.vault.encrypt_text(value),
                 value_hmac=service.vault.lookup_hash(identity_kind, value))
        for identity_kind, values in subject.identities.items() for value in sorted(values)]
    session.add(request)


def _details(service: Service, intake: Intake) -> bytes | None:
    """The intake's corrections and statement, encrypted; nothing when it has neither."""
    if not intake.corrections and intake.statement is None:
        return None
    return service.vault.encrypt_json({"corrections": intake.corrections, "statement": intake.statement})


Created = tuple[Request, str, list["Mail"]]


def create(
    service: Service, intake: Intake, *, also: Callable[[Session, Request], None] | None = None,
) -> Created:
    """Record a new request, acknowledge it, and start verification (or skip it where none is due).

    Returns the request, the subject's token (shown once; only its hash is kept) and the
    mail to send after commit. Nothing here depends on whether the identity is known.
    A request verified by its sender (``pre_verified``) is held to the rule set's frequency
    limit at once, as a verified one is. ``also`` writes what belongs with the request
    (an adapter's own record) in the same transaction.
    """
    prepared = _prepared(service, intake)
    with service.plane.write() as session:
        return _create_in(session, service, intake, prepared, also)


def create_many(service: Service, intakes: Sequence[Intake]) -> list[Created | BaseException]:
    """Record several requests in one transaction, each exactly as ``create`` would.

    An intake that fails its own checks gets its error and the others go on; an error
    raised while writing fails the whole transaction (the caller retries one by one).
    """
    results: list[Created | BaseException | None] = [None] * len(intakes)
    ready: list[tuple[int, Intake, _Prepared]] = []
    for index, intake in enumerate(intakes):
        try:
            ready.append((index, intake, _prepared(service, intake)))
        except ServiceError as error:
            results[index] = error
    if ready:
        with service.plane.write() as session:
            for index, intake, prepared in ready:
                results[index] = _create_in(session, service, intake, prepared, None)
            insert_new_in_bulk(session)
    return [result if result is not None else RuntimeError("not written") for result in results]


def create_and_send(service: Service, intakes: Sequence[Intake]) -> list[Created | BaseException]:
    """``create_many``, then each request's mail once the transaction has committed.

    A mail that cannot be sent is that request's error (the request itself is recorded,
    as with ``create`` followed by ``send``).
    """
    results = create_many(service, intakes)
    for position, result in enumerate(results):
        if isinstance(result, BaseException):
            continue
        try:
            send(service, result[2])
        except Exception as error:  # the transport's failure, reported to this caller alone
            results[position] = error
    return results


def _checked(intake: Intake) -> tuple[RequestType | str, Subject]:
    """The intake's request type and subject, or ``InvalidRequestError`` naming what is wrong."""
    try:
        kind = request_kind(intake.type)
    except RequestNotCoveredError:
        raise InvalidRequestError(f"unknown request type {intake.type!r}; valid types: "
                                  f"{', '.join(request_types())}") from None
    if intake.source not in SOURCES:
        raise InvalidRequestError(f"unknown source {intake.source!r}")
    try:
        return kind, Subject.of(**{k: v for k, v in intake.identities.items() if v})
    except IdentityError as exc:
        raise InvalidRequestError(exc.message) from None


Terms = tuple[RuleSet, VerificationLevel]


# The intake's type, subject, and its terms where they need nothing from the store (not an appeal's).
_Prepared = tuple[RequestType | str, Subject, Terms | None]


def _prepared(service: Service, intake: Intake) -> _Prepared:
    """Every check of ``intake`` that needs no transaction; an appeal's terms are its appealed
    request's, read in the transaction."""
    kind, subject = _checked(intake)
    return kind, subject, None if kind is RequestType.APPEAL else _terms(service, intake, kind, subject, None)


def _terms(service: Service, intake: Intake, kind: RequestType | str, subject: Subject,
           appealed: Request | None) -> Terms:
    """The rule set and verification level of a new request, or ``InvalidRequestError``.

    Needs nothing from the store but the appealed request, so the checks of a batch's
    requests run before its transaction writes anything.
    """
    rules = service.rule_set(appealed.jurisdiction if appealed else intake.jurisdiction)
    try:
        rules.rule(kind)
    except RequestNotCoveredError as exc:
        raise InvalidRequestError(exc.message) from None
    level = VerificationLevel.NONE if appealed else required_level(service, rules, kind)
    if level is not VerificationLevel.NONE and not intake.pre_verified and not subject.values("email"):
        raise InvalidRequestError("an email address is needed to confirm this request")
    if kind is RequestType.CORRECTION:
        _check_corrections(service, intake.corrections)
    return rules, level


def _create_in(
    session: Session, service: Service, intake: Intake, prepared: _Prepared,
    also: Callable[[Session, Request], None] | None,
) -> Created:
    kind, subject, terms = prepared
    appealed = _appealed(session, intake) if kind is RequestType.APPEAL else None
    rules, level = terms or _terms(service, intake, kind, subject, appealed)
    email = next(iter(subject.values("email")), None)
    received = service.clock()
    dates = _in_utc(compute_due_dates(received, kind, rules))
    token = random_token()
    request = Request(
        type=str(kind), jurisdiction=rules.key, status="received", extended=False,
        source=intake.source, agent_id=intake.agent_id,
        agent_permission=(service.vault.encrypt_text(intake.agent_permission)
                          if intake.agent_permission else None),
        verification_level=level.value, needs_approval=kind in service.approval_types or intake.needs_approval,
        received_at=received, acknowledge_by=dates.acknowledge_by, respond_by=dates.respond_by,
        extension_notice_by=dates.extension_notice_by,
        due_at=_utc(appeal_due(received, rules)) if appealed else dates.due,
        details=_details(service, intake),
        appeal_of=appealed.id if appealed else None, token_hash=sha256_hex(token),
        external_ref=intake.external_id, callback_urls=intake.callback_urls or None,
        language=languages.choose(service.datamap, intake.language),
    )
    _store_with_identities(session, service, request, subject)
    audit.append(session, "request.received", actor=intake.source, request_id=request.id, at=received,
                 detail={"type": str(kind), "jurisdiction": rules.key, "source": intake.source,
                         "agent": intake.agent_id, "verification_level": level.value,
                         "due_at": request.due_at, "acknowledge_by": request.acknowledge_by,
                         "appeal_of": request.appeal_of})
    mails: list[Mail] = []
    # One mail acknowledges the request: the code mail where a code is due, else its own.
    needs_code = level is not VerificationLevel.NONE and not intake.pre_verified
    context = {**mail_context(service, request)}
    context["received"] = day_of(received, context["language"])
    if email is not None and intake.acknowledge:
        request.acknowledged_at = received
        audit.append(session, "request.acknowledged", actor="system", request_id=request.id, at=received,
                     detail={"mail": "code" if needs_code else "acknowledgement"})
        if not needs_code:
            mails.append(Mail(email, "acknowledgement", context))
    if not needs_code:
        reason = ("no verification required" if not intake.pre_verified
                  else "verified through the signed-in account" if intake.verified_level == ACCOUNT_VERIFIED
                  else "verified by the controller")
        transition(session, service, request, "verified", actor="system", reason=reason)
        request.verified_level = intake.verified_level or level.value
        if not intake.pre_verified or _frequency_allows(session, service, request, mails):
            proceed(session, service, request, actor="system")
    else:
        from custos.service.requests import verification

        transition(session, service, request, "identity_unverified", actor="system")
        assert email is not None
        code = verification.issue_code(session, service, request)
        mails.append(verification.code_mail(service, request, email, code, context))
    if also is not None:
        also(session, request)
    return request, token, mails


def _frequency_allows(session: Session, service: Service, request: Request, mails: list[Mail]) -> bool:
    """The frequency check a verified request gets, for one its sender verified."""
    from custos.service.requests import verification

    return verification._frequency_allows(session, service, request, mails)


def refuse_at_intake(
    service: Service, intake: Intake, *, code: str, reason: str,
    also: Callable[[Session, Request], None] | None = None,
) -> tuple[Request, list[Mail]]:
    """Record a request refused as it arrives (e.g. made under a law this organization does
    not answer under) as an ordinary request, ``denied`` with ``reason``.

    It is in the admin queue and the audit log like any other; ``code`` names the refusal
    for machines (``outside_jurisdiction``, ``claim_not_covered``…). The rule set is the
    intake's when the organization answers under it, else the organization's first; due
    dates are left empty where that rule set does not provide for the request type.
    Returns the request and the refusal mail to send after commit.
    """
    from custos.service.requests.decisions import refuse

    kind, subject = _checked(intake)
    if not code or not reason.strip():
        raise InvalidRequestError("a refusal names its code and gives its reasons")
    key = intake.jurisdiction if intake.jurisdiction in service.jurisdictions else None
    rules = service.rule_set(key)
    received = service.clock()
    level = VerificationLevel.NONE
    dates = DueDates(None, None, None, None)
    if rules.covers(kind):
        level = required_level(service, rules, kind)
        dates = _in_utc(compute_due_dates(received, kind, rules))
    mails: list[Mail] = []
    with service.plane.write() as session:
        request = Request(
            type=str(kind), jurisdiction=rules.key, status="received", extended=False, source=intake.source,
            agent_id=intake.agent_id,
            agent_permission=(service.vault.encrypt_text(intake.agent_permission)
                              if intake.agent_permission else None),
            verification_level=level.value, needs_approval=False, received_at=received,
            acknowledge_by=dates.acknowledge_by, respond_by=dates.respond_by,
            extension_notice_by=dates.extension_notice_by, due_at=dates.due,
            details=_details(service, intake),
            token_hash=sha256_hex(random_token()), external_ref=intake.external_id,
            callback_urls=intake.callback_urls or None, language=languages.choose(service.datamap, intake.language),
        )
        _store_with_identities(session, service, request, subject)
        audit.append(session, "request.received", actor=intake.source, request_id=request.id, at=received,
                     detail={"type": str(kind), "jurisdiction": rules.key, "source": intake.source,
                             "agent": intake.agent_id, "verification_level": level.value,
                             "due_at": request.due_at, "asked_jurisdiction": intake.jurisdiction})
        audit.append(session, "request.refused_at_intake", actor="system", request_id=request.id, at=received,
                     detail={"code": code, "reason": reason})
        refuse(session, service, request, reason=reason, exception=None, actor="system", mails=mails)
        if also is not None:
            also(session, request)
    return request, mails


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


def _in_utc(dates: DueDates) -> DueDates:
    """Due instants in UTC, as the store gives them back (the local day is kept by the instant)."""
    return DueDates(_utc(dates.acknowledge_by), _utc(dates.respond_by), _utc(dates.extension_notice_by),
                    _utc(dates.extended_respond_by))


def _appealed(session: Session, intake: Intake) -> Request:
    original = session.get(Request, intake.appeal_of) if intake.appeal_of else None
    if original is None or not intake.appeal_token or not same(original.token_hash, sha256_hex(intake.appeal_token)):
        raise NotFoundError("no such request to appeal (check its id and token)")
    if original.status not in ("denied", "completed"):
        raise ConflictError("only a decided request (denied or completed) can be appealed")
    return original


def _check_corrections(service: Service, corrections: dict[str, Any]) -> None:
    if not corrections:
        raise InvalidRequestError("a correction names the fields to correct and their new values")
    for name in corrections:
        qualified, _, field_name = name.rpartition(".")
        info = service.datamap.collections.get(qualified)
        data_field = info.collection.field(field_name) if info else None
        if info is None or data_field is None:
            raise InvalidRequestError(f"no field {name!r} in the data map (write dataset.collection.field)")
        if data_field.primary_key or data_field.references is not None:
            raise InvalidRequestError(f"{name} is a key, not personal data that can be corrected")
