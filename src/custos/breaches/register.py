"""Recording a breach and working out, from the data map, what it affects.

- **Targets** name what was affected: ``system:KEY``, ``dataset:KEY`` or a collection
  (``dataset.collection``). They resolve to collections of the map; a name the map does not
  have is refused.
- **Categories** are those of the personal fields of those collections, each with the
  taxonomy's CCPA-sensitive and GDPR special-category flags.
- **The clock**: where the GDPR applies, the supervisory authority is told within 72 hours of
  awareness (Art. 33(1)); a later notification records the reasons for the delay. US state
  laws ask for notice "in the most expedient time possible and without unreasonable delay"
  (Cal. Civ. Code 1798.82(a)) and set no hour count.
- **People**: each affected collection leads up its owner references (in its system) to the
  person's own row, the farthest collection above it that holds an email identity; the store
  counts the distinct people in one statement per person collection. Collections in several
  systems, or leading to several person collections, are counted per group and summed, and the
  count is marked approximate. Nothing of a person is copied into the register.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from custos.breaches.models import Breach
from custos.datamap import DataMap
from custos.engine.retention_rules import owner_chains
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError, NotFoundError
from custos.stores.owners import OwnerStore, Part

AUTHORITY_HOURS = 72


@dataclass(frozen=True)
class Group:
    """The affected collections of one system that lead to one person collection."""

    system: str
    person: str  # the person collection's table name
    qualified: str
    key: str
    email: str
    parts: tuple[Part, ...]


def resolve_targets(datamap: DataMap, targets: list[str]) -> list[str]:
    """The map's collections the targets name, in map order."""
    if not targets:
        raise InvalidRequestError("name what the breach affected: system:KEY, dataset:KEY or dataset.collection")
    chosen: set[str] = set()
    for target in targets:
        kind, _, name = target.partition(":")
        if not name:
            kind, name = "collection", target
        if kind == "system" and name in datamap.systems:
            chosen |= {q for q, info in datamap.collections.items() if info.system == name}
        elif kind == "dataset" and any(q.split(".", 1)[0] == name for q in datamap.collections):
            chosen |= {q for q in datamap.collections if q.split(".", 1)[0] == name}
        elif kind == "collection" and name in datamap.collections:
            chosen.add(name)
        else:
            raise InvalidRequestError(f"the data map has no {kind} {name!r}")
    return [q for q in datamap.collections if q in chosen]


def categories_of(datamap: DataMap, collections: list[str]) -> list[dict[str, Any]]:
    taxonomy = datamap.taxonomy
    keys = sorted({c for q in collections for f in datamap.collections[q].fields if f.is_personal for c in f.categories})
    found = []
    for key in keys:
        known = taxonomy.has_category(key)
        category = taxonomy.category(key) if known else None
        found.append({"key": key, "name": category.name if category else key,
                      "ccpa_sensitive": bool(category and category.ccpa_sensitive),
                      "gdpr_special": bool(category and category.gdpr_special)})
    return found


def authority_due(aware_at: datetime, jurisdictions: list[str]) -> datetime | None:
    return aware_at + timedelta(hours=AUTHORITY_HOURS) if "gdpr" in jurisdictions else None


def groups(datamap: DataMap, collections: list[str]) -> tuple[list[Group], list[str]]:
    """The person groups of the affected collections, and those that lead to nobody."""
    grouped: dict[tuple[str, str], list[Part]] = {}
    people: dict[tuple[str, str], tuple[str, str, str]] = {}
    nobody: list[str] = []
    for qualified in collections:
        found = None
        for above, chain in owner_chains(datamap, qualified):
            info = datamap.collections[above]
            email = next((f.name for f in info.fields if f.identity == "email"), None)
            if email is not None and len(info.primary_key) == 1:
                found = (above, chain, info.primary_key[0], email)
        if found is None:
            nobody.append(qualified)
            continue
        above, chain, key, email = found
        system = datamap.system_of(qualified)
        group_key = (system, above)
        part = Part(datamap.collections[qualified].name, tuple(chain), key if not chain else None)
        grouped.setdefault(group_key, []).append(part)
        people[group_key] = (datamap.collections[above].name, key, email)
    return ([Group(system, people[(system, q)][0], q, people[(system, q)][1], people[(system, q)][2], tuple(parts))
             for (system, q), parts in grouped.items()], nobody)


def record(service: Service, *, summary: str, aware_at: datetime, detected_at: datetime | None,
           targets: list[str], encrypted: bool, actor: str, consequences: str | None = None,
           measures: str | None = None) -> Breach:
    """Enter a breach in the register, with what it affects worked out from the map."""
    if not summary.strip():
        raise InvalidRequestError("say what happened (summary)")
    moment = service.clock()
    detected = detected_at or aware_at
    if aware_at > moment + timedelta(minutes=5) or detected > aware_at:
        raise InvalidRequestError("awareness cannot be in the future, nor detection after awareness")
    datamap = service.datamap
    collections = resolve_targets(datamap, targets)
    jurisdictions = list(datamap.organization.jurisdictions)
    breach = Breach(summary=summary.strip(), detected_at=detected, aware_at=aware_at, targets=list(targets),
                    collections=collections, categories=categories_of(datamap, collections),
                    jurisdictions=jurisdictions, encrypted=encrypted, consequences=consequences,
                    measures=measures, authority_due_at=authority_due(aware_at, jurisdictions),
                    people_notified=0, count_approximate=False, status="open", created_at=moment,
                    created_by=actor)
    with service.plane.write() as session:
        session.add(breach)
        session.flush()
        audit.append(session, "breach.recorded", actor=actor, at=moment, detail={
            "breach": breach.id, "targets": list(targets), "collections": collections, "encrypted": encrypted,
            "aware_at": aware_at, "authority_due_at": breach.authority_due_at})
    return breach


def load(service: Service, breach_id: str) -> Breach:
    with service.plane.read() as session:
        found = session.get(Breach, breach_id)
        if found is None:
            raise NotFoundError("no such breach")
        return found


def all_breaches(service: Service) -> list[Breach]:
    with service.plane.read() as session:
        return list(session.scalars(sa.select(Breach).order_by(Breach.aware_at.desc())))


def _store(service: Service, system: str) -> OwnerStore:
    store = service.engine.store(system)
    if not isinstance(store, OwnerStore):
        raise InvalidRequestError(f"the store of system {system!r} cannot count the people a breach affects")
    return store


def count(service: Service, breach_id: str, *, actor: str) -> Breach:
    """Count the people and records affected, on the stores, and keep the figures."""
    breach = load(service, breach_id)
    datamap = service.datamap
    found, _nobody = groups(datamap, breach.collections)
    with service.engine_lock:
        people = sum(_store(service, g.system).owner_count(g.parts) for g in found)
        records = sum(_store(service, datamap.system_of(q)).row_count(datamap.collections[q].name)
                      for q in breach.collections)
    approximate = len(found) > 1
    with service.plane.write() as session:
        stored = session.get(Breach, breach_id)
        assert stored is not None
        stored.people_count, stored.records_count = people, records
        stored.count_approximate, stored.counted_at = approximate, service.clock()
        audit.append(session, "breach.counted", actor=actor, at=service.clock(), detail={
            "breach": breach_id, "people": people, "records": records, "approximate": approximate})
        return stored


def emails(service: Service, breach: Breach, batch: int) -> Iterator[list[str]]:
    """The emails of the people affected, a batch at a time, each address once."""
    seen: set[str] = set()
    for group in groups(service.datamap, breach.collections)[0]:
        after: Any = None
        while True:
            with service.engine_lock:
                rows = _store(service, group.system).owner_values(group.person, group.key, group.email,
                                                                  group.parts, after, batch)
            if not rows:
                break
            after = rows[-1][0]
            fresh = []
            for _, value in rows:
                address = str(value or "").strip().lower()
                if address and "@" in address and address not in seen:
                    seen.add(address)
                    fresh.append(address)
            if fresh:
                yield fresh


def notify_authority(service: Service, breach_id: str, *, actor: str, late_reason: str | None = None) -> Breach:
    """Record that the supervisory authority was told; past the 72 hours, with the reasons (Art. 33(1))."""
    moment = service.clock()
    with service.plane.write() as session:
        breach = session.get(Breach, breach_id)
        if breach is None:
            raise NotFoundError("no such breach")
        if breach.authority_notified_at is not None:
            raise InvalidRequestError("the authority was told already")
        late = breach.authority_due_at is not None and moment > breach.authority_due_at
        if late and not (late_reason or "").strip():
            raise InvalidRequestError("the 72 hours have passed: give the reasons for the delay (GDPR Art. 33(1))")
        breach.authority_notified_at = moment
        breach.late_reason = (late_reason or "").strip() or None
        audit.append(session, "breach.authority_notified", actor=actor, at=moment,
                     detail={"breach": breach_id, "late": late, "late_reason": breach.late_reason})
        return breach


def authority_draft(service: Service, breach: Breach) -> str:
    """The notification to the supervisory authority, with the contents of GDPR Art. 33(3)."""
    organization = service.datamap.organization
    categories = ", ".join(c["name"] + (" (special category)" if c["gdpr_special"] else "") for c in breach.categories)
    people = (f"about {breach.people_count}" + (" (counted per system; some may be counted twice)"
                                                if breach.count_approximate else "")
              if breach.people_count is not None else "not counted yet")
    records = str(breach.records_count) if breach.records_count is not None else "not counted yet"
    lines = [
        f"Personal data breach notification: {organization.name}",
        "",
        f"Became aware: {breach.aware_at.isoformat()}; detected: {breach.detected_at.isoformat()}.",
        "",
        "(a) Nature of the breach",
        f"    {breach.summary}",
        f"    Systems and collections affected: {', '.join(breach.collections)}.",
        f"    The data was {'encrypted' if breach.encrypted else 'not encrypted'}.",
        f"    Categories of personal data: {categories or 'none recorded'}.",
        f"    Approximate number of people concerned: {people}; of records: {records}.",
        "(b) Contact point",
        f"    {organization.dpo or organization.privacy_contact}",
        "(c) Likely consequences",
        f"    {breach.consequences or 'to be assessed'}",
        "(d) Measures taken or proposed",
        f"    {breach.measures or 'to be described'}",
    ]
    if breach.late_reason:
        lines += ["", f"Reasons for notifying after 72 hours (Art. 33(1)): {breach.late_reason}"]
    return "\n".join(lines) + "\n"
