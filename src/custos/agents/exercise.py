"""A DRP Data Rights Exercise becomes an ordinary Custos request, marked with its agent.

- ``exercise`` maps to a request type (``EXERCISES``); ``regime`` ``ccpa`` to the CCPA
  rule set when the organization answers under it (else ``denied/outside_jurisdiction``),
  none or ``voluntary`` to the organization's default rule set.
- Verified claims that match the stores count toward the rule's verification level; when
  they reach it the request is verified by the agent, otherwise the person confirms it
  on the privacy center (``need_user_verification``) with the code mailed to them.
- Requests to know are held to the rule set's frequency limit (``too_many_requests``).
- ``sale:opt_in`` has no Custos request type: it is recorded (audited) and fulfilled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from custos.agents import claims as claim_rules
from custos.agents.admission import Admitted
from custos.agents.models import AgentRequest
from custos.rules import (
    RequestNotCoveredError,
    RequestType,
    VerificationLevel,
    check_frequency,
    rule_set,
)
from custos.service import audit, workflow
from custos.service.context import Service
from custos.service.errors import InvalidRequestError
from custos.service.verification import POINTS
from custos.store import Identity, Request

DRP_VERSION = "0.9.4"
EXERCISES: dict[str, str | None] = {
    "sale:opt_out": RequestType.OPT_OUT_SALE_SHARING.value,
    "sale:opt_in": None,
    "deletion": RequestType.ERASURE.value,
    "access": RequestType.ACCESS.value,
    "access:categories": RequestType.CATEGORIES.value,
    "access:specific": RequestType.ACCESS.value,
}
# Spellings of earlier drafts, still sent by the reference agent.
ALIASES = {"sale:opt-out": "sale:opt_out", "sale:opt-in": "sale:opt_in"}
REGIMES = ("ccpa", "voluntary")


class ExerciseError(ValueError):
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
    if version is not None and (not isinstance(version, str) or not version.startswith("0.9")):
        raise ExerciseError(f"drp.version {str(version)[:20]!r} is not supported; this endpoint speaks {DRP_VERSION}")
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


def submit(service: Service, admitted: Admitted, exercise: Exercise) -> AgentRequest:
    """Record the request (a Custos request where one applies) and return its DRP record."""
    agent = admitted.agent
    kind = EXERCISES[exercise.exercise]
    jurisdiction = _jurisdiction(service, exercise.regime)
    if jurisdiction is None:
        return _final(service, admitted, exercise, "denied", "outside_jurisdiction",
                      "this business does not answer requests under the CCPA")
    if kind is None:
        return _final(service, admitted, exercise, "fulfilled", None,
                      "the opt-in to the sale of personal information was recorded")
    rules = service.rule_set(jurisdiction)
    try:
        rules.rule(RequestType(kind))
    except RequestNotCoveredError as exc:
        return _final(service, admitted, exercise, "denied", "claim_not_covered", exc.message)
    level = workflow.required_level(service, rules, RequestType(kind))
    verified = level is VerificationLevel.NONE or (
        agent.trust_claims and _claims_suffice(service, exercise.claims, level))
    if verified and not _frequency_allows(service, exercise.claims, kind, jurisdiction):
        return _final(service, admitted, exercise, "denied", "too_many_requests",
                      "the law does not oblige the business to answer more requests to know in this period")
    if not verified and not exercise.claims.email:
        raise ExerciseError("this request needs the person to confirm it: give their email claim")
    permission = json.dumps({"agent": agent.id, "message_sha256": admitted.digest,
                             "power_of_attorney": exercise.claims.power_of_attorney})
    intake = workflow.Intake(
        type=kind, identities=exercise.claims.identities(), jurisdiction=jurisdiction, source="agent",
        agent_id=agent.id, agent_permission=permission,
        pre_verified=verified and level is not VerificationLevel.NONE)
    try:
        request, _token, mails = workflow.create(service, intake)
    except InvalidRequestError as exc:
        raise ExerciseError(exc.message) from None
    record = AgentRequest(
        id=request.id, agent_id=agent.id, agent_request_id=exercise.agent_request_id, request_id=request.id,
        exercise=exercise.exercise, regime=exercise.regime, status_callback=exercise.status_callback,
        received_at=request.received_at)
    with service.plane.write() as session:
        session.add(record)
        audit.append(session, "agent.request", actor=f"agent:{agent.id}", request_id=request.id,
                     detail={"agent": agent.id, "exercise": exercise.exercise, "regime": exercise.regime,
                             "verified_by_agent": intake.pre_verified,
                             "agent_request_id": exercise.agent_request_id})
    workflow.send(service, mails)
    return record


def _jurisdiction(service: Service, regime: str | None) -> str | None:
    if regime == "ccpa":
        return "ccpa" if "ccpa" in service.jurisdictions else None
    return service.jurisdictions[0]


def _claims_suffice(service: Service, claims: claim_rules.Claims, level: VerificationLevel) -> bool:
    points = claim_rules.count_points(service, claims)
    if points < POINTS[level]:
        return False
    return level is not VerificationLevel.THREE_POINTS_SIGNED or bool(claims.power_of_attorney)


def _frequency_allows(service: Service, claims: claim_rules.Claims, kind: str, jurisdiction: str) -> bool:
    rules = rule_set(jurisdiction)
    kinds = sorted(k.value for k in rules.counted_together(kind))
    subject = claims.subject()
    hashes = [service.vault.lookup_hash(k, v) for k, values in subject.identities.items() for v in values]
    with service.plane.read() as session:
        earlier = session.scalars(sa.select(Request.received_at).join(Identity).where(
            Identity.value_hmac.in_(hashes), Request.type.in_(kinds),
            Request.status.not_in(("cancelled", "denied"))).distinct()).all()
    return check_frequency(kind, rules, list(earlier), service.clock()).allowed


def _final(
    service: Service, admitted: Admitted, exercise: Exercise, status: str, reason: str | None, details: str,
) -> AgentRequest:
    moment = service.clock()
    record = AgentRequest(
        agent_id=admitted.agent.id, agent_request_id=exercise.agent_request_id, exercise=exercise.exercise,
        regime=exercise.regime, status_callback=exercise.status_callback, final_status=status,
        final_reason=reason, processing_details=details, received_at=moment)
    with service.plane.write() as session:
        session.add(record)
        session.flush()
        audit.append(session, "agent.request", actor=f"agent:{admitted.agent.id}", at=moment,
                     detail={"agent": admitted.agent.id, "drp_request": record.id, "exercise": exercise.exercise,
                             "regime": exercise.regime, "status": status, "reason": reason,
                             "agent_request_id": exercise.agent_request_id})
    return record
