"""A DRP Data Rights Exercise becomes an ordinary Custos request, marked with its agent.

- ``exercise`` maps to a request type (``EXERCISES``); ``regime`` ``ccpa`` to the CCPA
  rule set when the organization answers under it (else ``denied/outside_jurisdiction``),
  none or ``voluntary`` to the organization's default rule set.
- Verified claims that match the stores count toward the rule's verification level; when
  they reach it the request is verified by the agent, otherwise the person confirms it
  on the privacy center (``need_user_verification``) with the code mailed to them.
- Requests the agent's claims verify are held to the rule set's frequency limit by the
  workflow (``too_many_requests``).
- A request refused as it arrives (``outside_jurisdiction``, or a type the rule set does not
  provide for: ``claim_not_covered``) is an ordinary Custos request, ``denied``.
- ``sale:opt_in`` is an ``opt_in_sale_sharing`` request: the consent to sale and sharing is
  recorded in the consent store and the request completed at once.
- The Custos request and its DRP record are written in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.agents import callbacks
from custos.agents import claims as claim_rules
from custos.agents.admission import Admitted
from custos.agents.models import Agent, AgentRequest
from custos.consent import Choice, Consent, link
from custos.consent.records import record_in
from custos.controlplane import Job, Request, RequestResult
from custos.errors import ProtocolError
from custos.rules import RequestNotCoveredError, RequestType, RuleSet, VerificationLevel
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError
from custos.service.requests.intake import Intake, create, refuse_at_intake, required_level
from custos.service.requests.lifecycle import transition
from custos.service.requests.records import send
from custos.service.requests.verification import POINTS

DRP_VERSION = "1.0"
#: versions spoken: 1.0 states that nothing changed since 0.9.4 but the hyphenated action names
VERSIONS = ("0.9.4", "1.0")
EXERCISES: dict[str, str] = {
    "sale:opt_out": RequestType.OPT_OUT_SALE_SHARING.value,
    "sale:opt_in": RequestType.OPT_IN_SALE_SHARING.value,
    "deletion": RequestType.ERASURE.value,
    "access": RequestType.ACCESS.value,
    "access:categories": RequestType.CATEGORIES.value,
    "access:specific": RequestType.ACCESS.value,
}
# 1.0 spells the sale actions with hyphens; 0.9.4's list of actions uses underscores while its
# own examples use hyphens. Both are taken; requests are stored under one name.
ALIASES = {"sale:opt-out": "sale:opt_out", "sale:opt-in": "sale:opt_in"}
SPELLINGS = {"0.9.4": list(EXERCISES), "1.0": [{v: k for k, v in ALIASES.items()}.get(e, e) for e in EXERCISES]}


def supported_version(version: object) -> bool:
    """``0.9.x`` and ``1.x`` (1.0 and its revisions change nothing a request carries)."""
    if not isinstance(version, str) or len(version) > 20:
        return False
    return version.startswith("0.9") or version == "1" or version.startswith("1.")
REGIMES = ("ccpa", "voluntary")
# The consent purposes an opt-in to sale grants (custos.consent.purposes.OPT_OUT_RIGHTS).
OPT_IN_PURPOSES = ("sale", "sharing")


class ExerciseError(ProtocolError):
    """The message is signed and fresh, but what it asks is not a request we can take (400)."""


@dataclass
class Exercise:
    """The request part of a DRP message, checked."""

    exercise: str
    regime: str | None
    agent_request_id: str | None
    status_callback: str | None
    claims: claim_rules.Claims


def read(message: dict[str, Any]) -> Exercise:
    """The exercise of ``message``; ``ExerciseError`` saying what is wrong."""
    version = message.get("drp.version")
    if version is not None and not supported_version(version):
        raise ExerciseError(f"drp.version {str(version)[:20]!r} is not supported; this endpoint speaks "
                            f"{' and '.join(VERSIONS)}")
    exercise = message.get("exercise")
    exercise = ALIASES.get(exercise, exercise) if isinstance(exercise, str) else exercise
    if exercise not in EXERCISES:
        raise ExerciseError(f"Unsupported rights actions submitted; supported: {', '.join(EXERCISES)}")
    regime = message.get("regime")
    if regime is not None and regime not in REGIMES:
        raise ExerciseError(f"regime is one of {', '.join(REGIMES)}, or absent for voluntary processing")
    agent_request_id = message.get("agent-request-id")
    if agent_request_id is not None and (not isinstance(agent_request_id, str) or len(agent_request_id) > 200):
        raise ExerciseError("agent-request-id is a string of at most 200 characters")
    callback = message.get("status_callback")
    if callback is not None:
        parts = urlsplit(callback) if isinstance(callback, str) and len(callback) <= 1000 else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
            raise ExerciseError("status_callback is an http(s) URL")
    relationships = message.get("relationships")
    if relationships is not None and (not isinstance(relationships, list)
                                      or not all(isinstance(r, str) for r in relationships)):
        raise ExerciseError("relationships is a list of strings")
    try:
        claims = claim_rules.parse(message)
        subject = claims.subject()
    except claim_rules.ClaimError as exc:
        raise ExerciseError(str(exc)) from None
    if not subject.identities:
        raise ExerciseError("the request names the person by email or phone_number")
    return Exercise(str(exercise), regime, agent_request_id, callback, claims)


def admissible(agent: Agent, exercise: Exercise) -> None:
    """``ExerciseError`` when ``exercise`` may not be taken from ``agent`` (its callback host)."""
    if exercise.status_callback is not None:
        refusal = callbacks.callback_refusal(agent.callback_hosts or [], exercise.status_callback)
        if refusal is not None:
            raise ExerciseError(refusal)


def submit(service: Service, admitted: Admitted, exercise: Exercise) -> AgentRequest:
    """Record the Custos request and its DRP record, in one transaction, and return the record."""
    agent = admitted.agent
    kind = EXERCISES[exercise.exercise]
    jurisdiction = _jurisdiction(service, exercise.regime)
    record = AgentRequest(
        agent_id=agent.id, agent_request_id=exercise.agent_request_id, exercise=exercise.exercise,
        regime=exercise.regime, status_callback=exercise.status_callback)
    permission = json.dumps({"agent": agent.id, "message_sha256": admitted.digest,
                             "power_of_attorney": exercise.claims.power_of_attorney})
    intake = Intake(
        type=kind, identities=exercise.claims.identities(), jurisdiction=jurisdiction or exercise.regime,
        source="agent", agent_id=agent.id, agent_permission=permission)
    rules = service.rule_set(jurisdiction) if jurisdiction is not None else None
    if rules is None or not rules.covers(kind):
        code, reason = "outside_jurisdiction", "this business does not answer requests under the CCPA"
        if rules is not None:
            code, reason = "claim_not_covered", _not_covered(rules, kind)
        verified_by_agent = False

        def refused(session: Session, request: Request) -> None:
            write_record(session, record, request, verified_by_agent=verified_by_agent)

        try:
            _, mails = refuse_at_intake(service, intake, code=code, reason=reason, also=refused)
        except InvalidRequestError as exc:
            raise ExerciseError(exc.message) from None
        send(service, mails)
        return record
    level = required_level(service, rules, RequestType(kind))
    verified = level is VerificationLevel.NONE or (
        agent.trust_claims and _claims_suffice(service, exercise.claims, level))
    if not verified and not exercise.claims.email:
        raise ExerciseError("this request needs the person to confirm it: give their email claim")
    # Requests the agent's claims verify are held to the rule set's frequency limit by the workflow.
    intake.pre_verified = verified and level is not VerificationLevel.NONE
    opt_in = kind == RequestType.OPT_IN_SALE_SHARING.value
    consent = Consent(service) if opt_in else None
    version = consent.notice_version() if consent is not None else ""

    def created(session: Session, request: Request) -> None:
        write_record(session, record, request, verified_by_agent=intake.pre_verified)
        if consent is not None and request.status == "in_progress":
            _record_opt_in(session, service, consent, version, request, admitted)

    try:
        request, _token, mails = create(service, intake, also=created)
    except InvalidRequestError as exc:
        raise ExerciseError(exc.message) from None
    if consent is not None and request.status == "completed":
        link(consent, _consent_subject(request), exercise.claims.identities(), actor=f"agent:{agent.id}")
    send(service, mails)
    return record


def write_record(session: Session, record: AgentRequest, request: Request, *, verified_by_agent: bool) -> None:
    """Write the DRP record of ``request`` in the transaction that creates it."""
    record.id = record.request_id = request.id
    record.received_at = request.received_at
    session.add(record)
    audit.append(session, "agent.request", actor=f"agent:{record.agent_id}", request_id=request.id,
                 at=request.received_at,
                 detail={"agent": record.agent_id, "exercise": record.exercise, "regime": record.regime,
                         "verified_by_agent": verified_by_agent, "agent_request_id": record.agent_request_id})


def _not_covered(rules: RuleSet, kind: str) -> str:
    try:
        rules.rule(kind)
    except RequestNotCoveredError as exc:
        return exc.message
    return f"{rules.key} does not provide for {kind} requests"


def _consent_subject(request: Request) -> str:
    return f"drp:{request.id}"


def _record_opt_in(
    session: Session, service: Service, consent: Consent, version: str, request: Request, admitted: Admitted,
) -> None:
    """Record the opt-in as the person's consent to sale and sharing, and complete the request."""
    actor = f"agent:{admitted.agent.id}"
    subject = _consent_subject(request)
    record_in(session, consent, Choice(
        subject=subject, choices=dict.fromkeys(OPT_IN_PURPOSES, True), method="agent", notice_version=version,
        evidence={"agent": admitted.agent.id, "request_id": request.id, "message_sha256": admitted.digest}),
        actor=actor)
    moment = service.clock()
    result = {"recorded": request.type, "consent_subject": subject, "purposes": list(OPT_IN_PURPOSES)}
    session.add(RequestResult(
        request_id=request.id, kind=request.type, status="recorded", row_count=0, residual_ok=None, collections={},
        result_encrypted=service.vault.encrypt_json(result), created_at=moment))
    audit.append(session, "request.result", actor="system", request_id=request.id, at=moment,
                 detail={"kind": request.type, "status": "recorded", "rows": 0, "residual_ok": None,
                         "collections": {}, "consent_subject": subject})
    # The choice is recorded here, so the queued engine run has nothing left to do.
    session.execute(sa.update(Job).where(Job.request_id == request.id, Job.kind == "execute",
                                         Job.status == "queued").values(status="done", updated_at=moment))
    transition(session, service, request, "completed", actor=actor, rows=0)


def _jurisdiction(service: Service, regime: str | None) -> str | None:
    if regime == "ccpa":
        return "ccpa" if "ccpa" in service.jurisdictions else None
    return service.jurisdictions[0]


def _claims_suffice(service: Service, claims: claim_rules.Claims, level: VerificationLevel) -> bool:
    points = claim_rules.count_points(service, claims)
    if points < POINTS[level]:
        return False
    return level is not VerificationLevel.THREE_POINTS_SIGNED or bool(claims.power_of_attorney)
