"""The DRP 0.9.4 endpoints of a Privacy Infrastructure Provider.

``POST /v1/agent/{agent-id}`` (pairing), ``GET /v1/agent/{agent-id}`` (token check),
``POST /v1/data-rights-request`` (exercise), ``GET``/``DELETE
/v1/data-rights-request/{request_id}`` (status, revoke) and the discovery document at
``/.well-known/data-rights.json``. Signed bodies are ``text/plain`` base64. A message
that fails validation, a bad or missing token and another agent's request are answered
403 with no body; other errors carry the spec's ``{"code", "message", "fatal"}`` (and the
service's ``error`` object); nothing is written for a refused message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from custos.agents import callbacks, exercise, registry
from custos.agents.admission import Admitted, AgentRateLimiter, Refused, admit, remember
from custos.agents.models import Agent, AgentRequest
from custos.agents.signing import MAX_MESSAGE_BYTES, MalformedMessageError
from custos.agents.status import status_of
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError
from custos.service.requests import decisions

router = APIRouter(tags=["authorized agents (DRP)"])


@dataclass
class AgentsState:
    """What the DRP endpoints share: this business as DRP names it, and the rate limiter."""

    business: registry.Business
    limiter: AgentRateLimiter = field(default_factory=AgentRateLimiter)


def _service(http: Request) -> Service:
    service: Service = http.app.state.service
    return service


def _state(http: Request) -> AgentsState:
    state: AgentsState = http.app.state.agents
    return state


def forbidden() -> Response:
    """403 with no body (DRP §2.05.1, §2.02.1)."""
    return Response(status_code=403)


def problem(status: int, message: str, *, fatal: bool = True, code: str = "invalid_request") -> JSONResponse:
    """A DRP error state (§3.06), with the service's error object beside it."""
    return JSONResponse({"code": str(status), "message": message, "fatal": fatal,
                         "error": {"code": code, "message": message}}, status_code=status)


def _bearer(http: Request) -> str:
    header = http.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


async def _body(http: Request) -> bytes | None:
    body = b""
    async for chunk in http.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES * 2:
            return None
    return body


def _limited(http: Request, agent: Agent) -> JSONResponse | None:
    moment = _service(http).clock().timestamp()
    if _state(http).limiter.allow(agent, moment):
        return None
    return problem(429, "too many calls from this agent; slow down", fatal=False, code="rate_limited")


#: a message that fails the protocol's checks is answered 403 with no body (DRP §2.05.1)
REFUSED: dict[int | str, dict[str, object]] = {
    401: {"description": "no bearer token, or one no paired agent holds (no body)"},
    403: {"description": "the message failed validation (no body)"},
}

@router.post("/v1/agent/{agent_id}", responses=REFUSED)
async def pair(agent_id: str, http: Request) -> Response:
    """Pair-wise key setup (§2.05): a signed message from a listed agent gets a bearer token."""
    service, state = _service(http), _state(http)
    body = await _body(http)
    agent = await run_in_threadpool(registry.find, service, agent_id) if len(agent_id) <= 100 else None
    if agent is None or body is None:
        return forbidden()
    if (limited := _limited(http, agent)) is not None:
        return limited
    business_id = registry.business_id(service, state.business)
    try:
        admitted = await run_in_threadpool(admit, service, agent, body, business_id)
        await run_in_threadpool(remember, service, admitted)
    except Refused:
        return forbidden()
    except MalformedMessageError as exc:
        return problem(400, str(exc))
    token = await run_in_threadpool(registry.pair, service, agent.id)
    return JSONResponse({"agent-id": agent.id, "token": token})


@router.get("/v1/agent/{agent_id}", responses=REFUSED)
async def agent_information(agent_id: str, http: Request) -> Response:
    """Whether the bearer token is still good for ``agent_id`` (§2.06)."""
    agent = await run_in_threadpool(registry.by_token, _service(http), _bearer(http))
    if agent is None or agent.id != agent_id:
        return forbidden()
    return JSONResponse({})


@router.post("/v1/data-rights-request", responses=REFUSED)
@router.post("/v1/data-rights-request/", include_in_schema=False)
async def exercise_rights(http: Request) -> Response:
    """Data Rights Exercise (§2.01): a signed request becomes a Custos request; answers its status."""
    service, state = _service(http), _state(http)
    body = await _body(http)
    agent = await run_in_threadpool(registry.by_token, service, _bearer(http))
    if agent is None or body is None:
        return forbidden()
    if (limited := _limited(http, agent)) is not None:
        return limited
    business_id = registry.business_id(service, state.business)
    try:
        admitted = await run_in_threadpool(admit, service, agent, body, business_id)
        asked = exercise.read(admitted.claims)
        exercise.admissible(admitted.agent, asked)
        await run_in_threadpool(remember, service, admitted)
        record = await run_in_threadpool(exercise.submit, service, admitted, asked)
    except Refused:
        return forbidden()
    except (MalformedMessageError, exercise.ExerciseError) as exc:
        return problem(400, str(exc))
    return JSONResponse(await run_in_threadpool(_answer, service, record))


def _answer(service: Service, record: AgentRequest) -> dict[str, Any]:
    body = status_of(service, record)
    callbacks.mark_notified(service, record.id, body)
    return body


def _owned(service: Service, agent: Agent, request_id: str) -> AgentRequest | None:
    if len(request_id) > 36:
        return None
    with service.plane.read() as session:
        record = session.get(AgentRequest, request_id)
        return record if record is not None and record.agent_id == agent.id else None


@router.get("/v1/data-rights-request/{request_id}", responses=REFUSED)
async def request_status(request_id: str, http: Request) -> Response:
    """Data Rights Status (§2.02); 403 for a request another agent manages."""
    service = _service(http)
    agent = await run_in_threadpool(registry.by_token, service, _bearer(http))
    if agent is None:
        return forbidden()
    if (limited := _limited(http, agent)) is not None:
        return limited
    record = await run_in_threadpool(_owned, service, agent, request_id)
    if record is None:
        return forbidden()
    return JSONResponse(await run_in_threadpool(status_of, service, record))


@router.delete("/v1/data-rights-request/{request_id}", responses=REFUSED)
async def revoke(request_id: str, http: Request) -> Response:
    """Data Rights Revoke (§2.04): cancels an open request; answers the new ``revoked`` status."""
    service, state = _service(http), _state(http)
    body = await _body(http)
    agent = await run_in_threadpool(registry.by_token, service, _bearer(http))
    if agent is None or body is None:
        return forbidden()
    if (limited := _limited(http, agent)) is not None:
        return limited
    record = await run_in_threadpool(_owned, service, agent, request_id)
    if record is None:
        return forbidden()
    business_id = registry.business_id(service, state.business)
    try:
        admitted = await run_in_threadpool(admit, service, agent, body, business_id, envelope=False)
        reason = admitted.claims.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
            return problem(400, "reason is a string of at most 2000 characters")
        current = await run_in_threadpool(status_of, service, record)
        if current.get("status") == "revoked":
            # revoking is idempotent: a repeated revoke (the same signed bytes, since the body
            # is only a reason) answers the request's status; a body carries no issued-at, so
            # replay protection has nothing to key on here, and a replay changes nothing
            return JSONResponse(current)
        await run_in_threadpool(_revoke, service, admitted, record, reason)
    except Refused:
        return forbidden()
    except MalformedMessageError as exc:
        return problem(400, str(exc))
    except ConflictError as exc:
        return problem(409, exc.message, fatal=False, code="conflict")
    return JSONResponse(await run_in_threadpool(_answer, service, record))


def _revoke(service: Service, admitted: Admitted, record: AgentRequest, reason: str | None) -> None:
    if record.request_id is None:
        raise ConflictError(f"this request is {record.final_status} and can no longer be revoked")
    actor = f"agent:{admitted.agent.id}"
    decisions.cancel(service, record.request_id, actor=actor)
    with service.plane.write() as session:
        stored = session.get(AgentRequest, record.id)
        assert stored is not None
        stored.revoke_reason = reason
        audit.append(session, "agent.revoked", actor=actor, request_id=record.request_id,
                     detail={"agent": admitted.agent.id, "reason": reason})


@router.get("/.well-known/data-rights.json")
def discovery(http: Request) -> dict[str, Any]:
    """What this business supports, in the discovery shape of DRP ≤ 0.8 and the directory
    fields of §3.05.2 (the reference agent and earlier agents read this document)."""
    service, state = _service(http), _state(http)
    business = state.business
    # both spellings of the sale actions: 0.9.4 agents look for underscores, 1.0 agents for hyphens
    actions = list(dict.fromkeys(exercise.SPELLINGS["0.9.4"] + exercise.SPELLINGS["1.0"]))
    document: dict[str, Any] = {
        "version": exercise.DRP_VERSION, "versions": list(exercise.VERSIONS), "api_base": service.link(""),
        "actions": actions, "user_relationships": [], "id": registry.business_id(service, business),
        "name": service.datamap.organization.name, "supported_actions": actions,
        "supported_verifications": business.supported_verifications,
    }
    # every key the directory schema names, null where the business configured nothing
    for key in ("logo", "web_url", "privacy_policy_url", "technical_contact", "business_contact"):
        document[key] = getattr(business, key) or None
    return document
