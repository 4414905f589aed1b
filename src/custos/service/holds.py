"""Legal holds: placed and lifted by operators, honoured by retention sweeps and erasures.

A hold covers a person (by identity), a collection, a dataset or a whole system, with a
reason, a matter reference and an optional end. Placing one never looks the person up:
the answer is the same whether the stores hold anyone by that identity, so holds reveal
nobody. The identities are kept encrypted, with keyed HMACs to recognise the person in a
request; the audit log records the scope, the target and the matter, never the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from custos.controlplane import Hold, Request, RequestResult
from custos.engine import Subject
from custos.engine.retention import Holds
from custos.errors import IdentityError
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError, NotFoundError
from custos.service.work.jobs import enqueue

SCOPES = ("subject", "collection", "dataset", "system")
#: the exception an erasure reports when a hold keeps rows (GDPR Art. 17(3)(e), CCPA 1798.105(d)(8))
HOLD_EXCEPTION = "legal hold: establishment, exercise or defence of legal claims (GDPR Art. 17(3)(e); " \
                 "CCPA 1798.105(d)(8))"


@dataclass(frozen=True)
class HoldView:
    """A hold as operators see it (no identity values)."""

    id: int
    scope: str
    target: str | None
    identity_kinds: list[str]
    reason: str
    matter: str
    placed_at: datetime
    placed_by: str
    ends_at: datetime | None
    lifted_at: datetime | None
    lifted_by: str | None
    active: bool


def _view(hold: Hold, moment: datetime, kinds: list[str]) -> HoldView:
    return HoldView(hold.id, hold.scope, hold.target, kinds, hold.reason, hold.matter, hold.placed_at,
                    hold.placed_by, hold.ends_at, hold.lifted_at, hold.lifted_by, hold.active(moment))


def _target(service: Service, scope: str, target: str | None) -> str | None:
    datamap = service.datamap
    names: dict[str, Mapping[str, object]] = {"collection": datamap.collections, "dataset": datamap.datasets,
                                              "system": datamap.systems}
    known = names.get(scope, {})
    if scope == "subject":
        if target:
            raise InvalidRequestError("a hold on a person names them by identity (email, phone...), not by target")
        return None
    if not target:
        raise InvalidRequestError(f"a hold on a {scope} names it: target")
    if target not in known:
        raise InvalidRequestError(f"the data map has no {scope} {target!r}; its {scope}s: {', '.join(sorted(known))}")
    return target


def place(service: Service, *, scope: str, reason: str, matter: str, actor: str, target: str | None = None,
          identities: Mapping[str, list[str]] | None = None, ends_at: datetime | None = None) -> HoldView:
    """Place a hold; the person named is not looked up."""
    if scope not in SCOPES:
        raise InvalidRequestError(f"unknown hold scope {scope!r}; one of {', '.join(SCOPES)}")
    if not reason.strip() or not matter.strip():
        raise InvalidRequestError("a hold needs a reason and a matter reference")
    moment = service.clock()
    if ends_at is not None and ends_at <= moment:
        raise InvalidRequestError("a hold's end must be in the future")
    target = _target(service, scope, target)
    encrypted, hmacs, kinds = None, None, []
    if scope == "subject":
        given = {k: v for k, v in (identities or {}).items() if v}
        if not given:
            raise InvalidRequestError("a hold on a person needs at least one identity (email, phone, user id...)")
        try:
            subject = Subject.of(**given)
        except IdentityError as exc:
            raise InvalidRequestError(exc.message) from None
        normalized = {k: sorted(v) for k, v in subject.identities.items()}
        encrypted = service.vault.encrypt_json(normalized)
        hmacs = sorted(service.vault.lookup_hash(k, v) for k, values in normalized.items() for v in values)
        kinds = sorted(normalized)
    with service.plane.write() as session:
        hold = Hold(scope=scope, target=target, identities_encrypted=encrypted, identity_hmacs=hmacs,
                    reason=reason.strip()[:2000], matter=matter.strip()[:200], placed_at=moment, placed_by=actor,
                    ends_at=ends_at)
        session.add(hold)
        session.flush()
        audit.append(session, "hold.placed", actor=actor, at=moment,
                     detail={"hold": hold.id, "scope": scope, "target": target, "identity_kinds": kinds,
                             "matter": hold.matter, "ends_at": ends_at})
        return _view(hold, moment, kinds)


def lift(service: Service, hold_id: int, *, actor: str) -> HoldView:
    moment = service.clock()
    with service.plane.write() as session:
        hold = session.get(Hold, hold_id)
        if hold is None:
            raise NotFoundError(f"no hold {hold_id}")
        if hold.lifted_at is None:
            hold.lifted_at, hold.lifted_by = moment, actor
            audit.append(session, "hold.lifted", actor=actor, at=moment,
                         detail={"hold": hold.id, "scope": hold.scope, "target": hold.target, "matter": hold.matter})
        view = _view(hold, moment, _kinds(service, hold))
    release(service, hold_id, actor=actor)
    return view


def _kinds(service: Service, hold: Hold) -> list[str]:
    if hold.identities_encrypted is None:
        return []
    return sorted(service.vault.decrypt_json(hold.identities_encrypted))


def listed(service: Service, *, active_only: bool = False) -> list[HoldView]:
    moment = service.clock()
    with service.plane.read() as session:
        holds = session.scalars(sa.select(Hold).order_by(Hold.id)).all()
        return [_view(h, moment, _kinds(service, h)) for h in holds if h.active(moment) or not active_only]


def active(service: Service) -> list[Hold]:
    moment = service.clock()
    with service.plane.read() as session:
        holds = session.scalars(sa.select(Hold).where(Hold.lifted_at.is_(None)).order_by(Hold.id)).all()
        for hold in holds:
            session.expunge(hold)
    return [h for h in holds if h.active(moment)]


def engine_holds(service: Service, holds: list[Hold] | None = None) -> Holds:
    """The active holds in the engine's terms."""
    holds = active(service) if holds is None else holds
    by_scope: dict[str, dict[str, str]] = {"system": {}, "dataset": {}, "collection": {}}
    subjects: list[tuple[str, Subject]] = []
    for hold in holds:
        if hold.scope == "subject" and hold.identities_encrypted is not None:
            subjects.append((hold.label, Subject.of(**service.vault.decrypt_json(hold.identities_encrypted))))
        elif hold.target:
            by_scope[hold.scope].setdefault(hold.target, hold.label)
    return Holds(by_scope["system"], by_scope["dataset"], by_scope["collection"], tuple(subjects))


def holding_person(holds: list[Hold], hmacs: set[str]) -> list[Hold]:
    """The subject holds that name one of the identities (by their keyed HMACs)."""
    return [h for h in holds if h.scope == "subject" and hmacs & set(h.identity_hmacs or [])]


def blocking_erasure(service: Service, hmacs: set[str], subject: Subject,
                     current: list[Hold] | None = None) -> list[Hold]:
    """The active holds (``current``, else read now) an erasure of ``subject`` meets: a hold on
    the person (by identity), or a hold on a system, dataset or collection where the person has
    rows. The caller holds the engine lock."""
    current = active(service) if current is None else current
    if not current:
        return []
    blocking = holding_person(current, hmacs)
    scoped = [h for h in current if h.scope != "subject"]
    if scoped:
        reach = service.engine.find(subject)
        having = [q for q, found in reach.found.items() if found.rows]
        for hold in scoped:
            for qualified in having:
                info = service.datamap.collections[qualified]
                if (hold.scope, hold.target) in (("collection", qualified), ("dataset", info.dataset),
                                                 ("system", info.system)):
                    blocking.append(hold)
                    break
    return blocking


def release(service: Service, hold_id: int, *, actor: str) -> list[str]:
    """Queue again the erasures whose latest result is a wait for hold ``hold_id``; one that
    meets another hold when it runs waits again, for that one."""
    moment = service.clock()
    released: list[str] = []
    latest = (sa.select(sa.func.max(RequestResult.id)).join(Request, Request.id == RequestResult.request_id)
              .where(Request.status == "in_progress").group_by(RequestResult.request_id))
    with service.plane.write() as session:
        waiting = session.scalars(sa.select(RequestResult).where(RequestResult.id.in_(latest),
                                                                 RequestResult.status == "held")).all()
        for result in waiting:
            if hold_id not in (result.collections or {}).get("holds", []):
                continue
            enqueue(session, service, "execute", result.request_id, {})
            audit.append(session, "request.hold_released", actor=actor, request_id=result.request_id, at=moment,
                         detail={"hold": hold_id})
            released.append(result.request_id)
    return released
