"""The trusted agents: read from the agents file (``CUSTOS_AGENTS_FILE``), managed in the
admin console, and paired with bearer tokens.

The file is YAML or TOML (by its extension) with a ``business`` section (this company's
DRP identity) and an ``agents`` list; unknown keys are an error. At start the file's
agents are written to the store (``source: file``); agents added through the admin
endpoints are ``source: admin``. Suspending an agent revokes its tokens. An agent's
``callback_hosts`` limit where its status callbacks may go (``custos.agents.callbacks``).
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator
from sqlalchemy.orm import Session

from custos.agents.models import Agent, AgentToken
from custos.agents.signing import verify_key
from custos.errors import ConfigError
from custos.service import audit
from custos.service.core import Service
from custos.service.vault import random_token, sha256_hex

AGENT_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class AgentEntry(BaseModel):
    """One agent as the agents file or the admin console gives it (DRP §3.05.1)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=AGENT_ID.pattern)
    name: str = Field(min_length=1, max_length=200)
    verify_key: str = Field(max_length=64, pattern=r"^\s*[A-Za-z0-9+/]{43}=\s*$",
                            description="base64 Ed25519 verify key (32 bytes)")
    web_url: str | None = Field(None, max_length=500)
    identity_assurance_url: str | None = Field(None, max_length=500)
    technical_contact: str | None = Field(None, max_length=320)
    business_contact: str | None = Field(None, max_length=320)
    rate_limit_per_minute: int = Field(60, ge=1, le=100_000)
    trust_claims: StrictBool = Field(True, description="the agent's verified claims count toward verification")
    callback_hosts: list[str] = Field(
        default_factory=list, max_length=50,
        description="hosts its status_callback URLs may name (a leading *. allows subdomains); empty: any "
                    "public host. Loopback and private addresses need to be listed.")

    @field_validator("callback_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        from custos.agents.callbacks import valid_host_pattern

        cleaned = [host.strip().lower().rstrip(".") for host in hosts]
        for host in cleaned:
            if not valid_host_pattern(host):
                raise ValueError(f"{host[:60]!r} is not a host name, *.domain or IP address")
        return cleaned

    @field_validator("verify_key")
    @classmethod
    def _key(cls, value: str) -> str:
        verify_key(value)
        return value.strip()


class Business(BaseModel):
    """This company as DRP names it (§3.05.2); the id defaults to the organization's name."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=100)
    logo: str | None = None
    web_url: str | None = None
    privacy_policy_url: str | None = None
    technical_contact: str | None = None
    business_contact: str | None = None
    supported_verifications: list[str] = Field(default_factory=lambda: ["email", "phone_number", "address"])


class AgentsFile(BaseModel):
    """The whole agents file."""

    model_config = ConfigDict(extra="forbid")

    business: Business = Field(default_factory=Business)
    agents: list[AgentEntry] = Field(default_factory=list)


def read_file(path: str) -> AgentsFile:
    """The agents file at ``path`` (empty when no path is set); ``ConfigError`` naming what is wrong."""
    if not path:
        return AgentsFile()
    source = Path(path)
    try:
        text = source.read_text()
        data: Any = tomllib.loads(text) if source.suffix == ".toml" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the agents file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {'TOML' if source.suffix == '.toml' else 'YAML'}: {exc}") from None
    try:
        parsed = AgentsFile.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigError(f"{path}: {problems}") from None
    ids = [agent.id for agent in parsed.agents]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: agent ids must be unique")
    return parsed


def business_id(service: Service, business: Business) -> str:
    """The ``business-id`` agents must name: the file's, else the organization's name in capitals."""
    if business.id:
        return business.id
    name = re.sub(r"[^A-Z0-9]+", "_", service.datamap.organization.name.upper()).strip("_")
    return name or "CUSTOS"


def sync(service: Service, parsed: AgentsFile) -> None:
    """Write the file's agents to the store; an admin suspension of a file agent stays."""
    with service.plane.write() as session:
        for entry in parsed.agents:
            stored = session.get(Agent, entry.id)
            if stored is None:
                save(session, service, entry, source="file", actor="agents-file")
            elif _fields(entry) != {k: getattr(stored, k) for k in _fields(entry)}:
                save(session, service, entry, source="file", actor="agents-file")


def _fields(entry: AgentEntry) -> dict[str, Any]:
    return entry.model_dump(exclude={"id"})


def save(session: Session, service: Service, entry: AgentEntry, *, source: str, actor: str) -> Agent:
    """Create or update an agent; a changed verify key revokes the agent's tokens."""
    moment = service.clock()
    stored = session.get(Agent, entry.id)
    created = stored is None
    if stored is None:
        stored = Agent(id=entry.id, created_at=moment, active=True)
        session.add(stored)
    elif stored.verify_key != entry.verify_key:
        revoke_tokens(session, entry.id, moment)
    for key, value in _fields(entry).items():
        setattr(stored, key, value)
    stored.source = source
    stored.updated_at = moment
    audit.append(session, "agent.saved", actor=actor, at=moment,
                 detail={"agent": entry.id, "created": created, "source": source})
    return stored


def set_active(service: Service, agent_id: str, active: bool, *, actor: str) -> Agent | None:
    """Suspend (revoking its tokens) or resume an agent; ``None`` when there is no such agent."""
    with service.plane.write() as session:
        stored = session.get(Agent, agent_id)
        if stored is None:
            return None
        moment = service.clock()
        stored.active = active
        stored.updated_at = moment
        if not active:
            revoke_tokens(session, agent_id, moment)
        audit.append(session, "agent.resumed" if active else "agent.suspended", actor=actor, at=moment,
                     detail={"agent": agent_id})
        return stored


def revoke_tokens(session: Session, agent_id: str, moment: datetime) -> None:
    session.execute(sa.update(AgentToken).where(AgentToken.agent_id == agent_id,
                                                AgentToken.revoked_at.is_(None)).values(revoked_at=moment))


def find(service: Service, agent_id: str) -> Agent | None:
    """An active agent by id."""
    with service.plane.read() as session:
        stored = session.get(Agent, agent_id)
        return stored if stored is not None and stored.active else None


def all_agents(service: Service) -> list[tuple[Agent, bool]]:
    """Every agent, with whether it holds a live token."""
    with service.plane.read() as session:
        paired = set(session.scalars(sa.select(AgentToken.agent_id).where(AgentToken.revoked_at.is_(None))))
        return [(agent, agent.id in paired) for agent in session.scalars(sa.select(Agent).order_by(Agent.id))]


def pair(service: Service, agent_id: str) -> str:
    """A new bearer token for ``agent_id`` (earlier ones stop working); returned once."""
    token = random_token(48)
    with service.plane.write() as session:
        moment = service.clock()
        revoke_tokens(session, agent_id, moment)
        session.add(AgentToken(agent_id=agent_id, token_hash=sha256_hex(token), created_at=moment))
        audit.append(session, "agent.paired", actor=f"agent:{agent_id}", at=moment, detail={"agent": agent_id})
    return token


def by_token(service: Service, token: str) -> Agent | None:
    """The active agent holding ``token``, if any."""
    if not token or len(token) > 200:
        return None
    with service.plane.read() as session:
        stored = session.scalars(sa.select(Agent).join(AgentToken, AgentToken.agent_id == Agent.id).where(
            AgentToken.token_hash == sha256_hex(token), AgentToken.revoked_at.is_(None),
            Agent.active.is_(True))).first()
        return stored
