"""Admin endpoints for the trusted agents: list, add or change, suspend, resume, and the
callback delivery log. Changing who is trusted is an admin's decision (``agents:write``,
held by the admin role alone); reading needs ``requests:read``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from custos.agents import callbacks, registry
from custos.agents.models import Agent
from custos.service.auth import Principal
from custos.service.errors import InvalidRequestError, NotFoundError
from custos.service.http.api.deps import ReadRequests, ServiceDep, require

router = APIRouter(prefix="/v1/admin/agents", tags=["admin: authorized agents"])
ManageAgents = Annotated[Principal, Depends(require("agents:write"))]


class AgentPublic(BaseModel):
    """An agent as the admin console shows it (never a token)."""

    id: str
    name: str
    verify_key: str
    web_url: str | None
    identity_assurance_url: str | None
    technical_contact: str | None
    business_contact: str | None
    rate_limit_per_minute: int
    trust_claims: bool
    callback_hosts: list[str]
    source: str
    active: bool
    paired: bool
    updated_at: datetime


class DeliveryPublic(BaseModel):
    """One status callback and how its delivery went."""

    id: int
    request_id: str
    url: str
    status: dict[str, Any]
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


def public(agent: Agent, paired: bool) -> AgentPublic:
    return AgentPublic(
        id=agent.id, name=agent.name, verify_key=agent.verify_key, web_url=agent.web_url,
        identity_assurance_url=agent.identity_assurance_url, technical_contact=agent.technical_contact,
        business_contact=agent.business_contact, rate_limit_per_minute=agent.rate_limit_per_minute,
        trust_claims=agent.trust_claims, callback_hosts=list(agent.callback_hosts or []), source=agent.source,
        active=agent.active, paired=paired, updated_at=agent.updated_at)


@router.get("")
def list_agents(service: ServiceDep, _: ReadRequests) -> list[AgentPublic]:
    """Every agent, from the agents file and the console."""
    return [public(agent, paired) for agent, paired in registry.all_agents(service)]


@router.put("/{agent_id}")
def save_agent(agent_id: str, entry: registry.AgentEntry, service: ServiceDep,
               principal: ManageAgents) -> AgentPublic:
    """Add or change an agent; a new verify key ends its pairing."""
    if entry.id != agent_id:
        raise InvalidRequestError("the body's id differs from the one in the path")
    with service.plane.write() as session:
        registry.save(session, service, entry, source="admin", actor=principal.name)
    return _one(service, agent_id)


def _one(service: Any, agent_id: str) -> AgentPublic:
    for agent, paired in registry.all_agents(service):
        if agent.id == agent_id:
            return public(agent, paired)
    raise NotFoundError("no such agent")


@router.post("/{agent_id}/suspend")
def suspend(agent_id: str, service: ServiceDep, principal: ManageAgents) -> AgentPublic:
    """Stop trusting an agent: its token stops working at once."""
    if registry.set_active(service, agent_id, False, actor=principal.name) is None:
        raise NotFoundError("no such agent")
    return _one(service, agent_id)


@router.post("/{agent_id}/resume")
def resume(agent_id: str, service: ServiceDep, principal: ManageAgents) -> AgentPublic:
    """Trust a suspended agent again (it pairs anew)."""
    if registry.set_active(service, agent_id, True, actor=principal.name) is None:
        raise NotFoundError("no such agent")
    return _one(service, agent_id)


@router.get("/{agent_id}/callbacks")
def delivery_log(agent_id: str, service: ServiceDep, _: ReadRequests) -> list[DeliveryPublic]:
    """The newest status callbacks sent to an agent, with their attempts and outcomes."""
    return [DeliveryPublic(
        id=d.id, request_id=d.agent_request_id, url=d.url, status=d.body, state=d.state, attempts=d.attempts,
        last_status_code=d.last_status_code, last_error=d.last_error, created_at=d.created_at,
        next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at) for d in callbacks.log_of(service, agent_id)]
