"""The admin console's page for authorized agents: who is trusted, paired, suspended, and
what their status callbacks did; operators with ``agents:write`` add, update, suspend or
resume an agent from the same page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from custos.agents import callbacks, registry
from custos.service.auth import Principal
from custos.service.core import Service
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.console import form_token, form_writer, signed_in, to_login
from custos.service.http.pages.rendering import render

router = APIRouter(prefix="/admin/agents", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
MANAGE = "agents:write"


def _page(request: Request, service: Service, principal: Principal, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    agents = [(agent, paired, callbacks.log_of(service, agent.id, limit=5))
              for agent, paired in registry.all_agents(service)]
    return render(request, "console_agents.html.j2", status, principal=principal, agents=agents, error=error,
                  can_write=principal.can(MANAGE), csrf_token=form_token(service, principal))


def _writer(request: Request, service: Service, csrf_token: str) -> Principal | None:
    return form_writer(request, service, csrf_token, MANAGE, "your role cannot change agents")


@router.get("", response_class=HTMLResponse)
def agents_page(request: Request, service: ServiceDep) -> Response:
    """Every agent with its pairing, state and latest callbacks."""
    principal = signed_in(request, service)
    return to_login() if principal is None else _page(request, service, principal)


@router.post("", response_class=HTMLResponse)
def save_agent(
    request: Request, service: ServiceDep, agent_id: Text, name: Text, verify_key: Text,
    technical_contact: Text = "", callback_hosts: Text = "", csrf_token: Text = "",
) -> Response:
    """Add an agent, or update one (a changed verify key ends its pairing)."""
    principal = _writer(request, service, csrf_token)
    if principal is None:
        return to_login()
    try:
        entry = registry.AgentEntry(
            id=agent_id.strip(), name=name.strip(), verify_key=verify_key.strip(),
            technical_contact=technical_contact.strip() or None,
            callback_hosts=[h for h in callback_hosts.replace(",", " ").split() if h],
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _page(request, service, principal, f"the agent was not saved: {problems}", 422)
    with service.plane.write() as session:
        registry.save(session, service, entry, source="admin", actor=principal.name)
    return RedirectResponse("/admin/agents", status_code=303)


@router.post("/{agent_id}/{action}", response_class=HTMLResponse)
def change_state(request: Request, agent_id: str, action: str, service: ServiceDep,
                 csrf_token: Text = "") -> Response:
    """Suspend (its tokens stop working at once) or resume an agent."""
    principal = _writer(request, service, csrf_token)
    if principal is None:
        return to_login()
    if action not in ("suspend", "resume"):
        return _page(request, service, principal, f"unknown action {action!r}", 404)
    if registry.set_active(service, agent_id, action == "resume", actor=principal.name) is None:
        return _page(request, service, principal, f"no agent {agent_id!r}", 404)
    return RedirectResponse("/admin/agents", status_code=303)
