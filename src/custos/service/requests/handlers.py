"""How a verified request of each type is carried out: one handler per request type.

A handler receives the ``Run`` (the service, the request, the person as the engine looks
them up, the request's details) and returns an ``Outcome``: the status and row count the
request's record shows, what the audit log counts per collection, the result kept
(encrypted) with the request, and what the completion mail says. It returns ``None`` when
the request cannot run yet (an erasure under a legal hold waits for it to lift).

The built-in handlers are registered by ``custos.service.plugin``; a plug-in adds a request
type by returning ``{type: handler}`` from the ``custos_request_handlers`` hook (with the
type's rows in the rule sets, docs/architecture.md shows how). A type with no handler is
decided by an operator (an appeal), never run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from custos import plugins
from custos.controlplane import Hold, Request
from custos.datamap import DataMap
from custos.datamap.models import LawfulBasis, Purpose
from custos.engine import Subject
from custos.package import build_package
from custos.service import holds
from custos.service.core import Service


@dataclass(frozen=True)
class Run:
    """One request about to be carried out."""

    service: Service
    request: Request
    kind: str
    subject: Subject
    details: dict[str, Any]


@dataclass
class Outcome:
    """What carrying out a request did."""

    status: str
    rows: int = 0
    residual_ok: bool | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    #: the completion mail's first sentence
    summary: str = ""
    #: ``False``: the work stopped part-way; the request stays in progress and the job is retried
    done: bool = True
    package: bytes | None = None  # an access package (a zip) to offer for download
    categories: list[str] | None = None
    kept: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Held:
    """The request waits: these legal holds block it."""

    holds: list[Hold]


RequestHandler = Callable[[Run], Outcome | Held]


def registry() -> dict[str, RequestHandler]:
    """Every request handler the plug-ins give, by request type."""
    return plugins.merged(plugins.hook().custos_request_handlers())


def access(run: Run) -> Outcome:
    """Access and portability: the person's data from every store, as a package."""
    found = run.service.engine.access(run.subject)
    counts = {f"{d}.{c}": len(rows) for d, cols in found.datasets().items() for c, rows in cols.items()}
    return Outcome("completed", rows=found.row_count, counts=counts,
                   result={"rows": found.row_count, "categories": found.categories()},
                   package=build_package(run.service.datamap, found))


def categories(run: Run) -> Outcome:
    """The categories of data held about the person, without the data."""
    found = run.service.engine.access(run.subject)
    counts = {q: len(f.rows) for q, f in found.reach.found.items() if f.rows}
    return Outcome("completed", rows=found.row_count, counts=counts,
                   result={"categories": found.categories(), "rows": found.row_count},
                   categories=found.categories())


ERASURE_DONE = frozenset({"completed", "nothing_found"})


def erasure(run: Run) -> Outcome | Held:
    """The engine's resumable erasure, keyed by the request id, with its residual check."""
    blocking = holds.blocking_erasure(run.service, {i.value_hmac for i in run.request.identities}, run.subject)
    if blocking:
        return Held(blocking)
    erased = run.service.engine.erase(run.subject, run_key=run.request.id)
    counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed, "deleted": c.rows_deleted}
              for c in erased.collections if c.rows_found}
    return Outcome(
        erased.status, rows=erased.rows_changed + erased.rows_deleted,
        residual_ok=erased.residual.ok if erased.residual else None, counts=counts, result=erased.to_dict(),
        done=erased.status in ERASURE_DONE,
        summary=("Your personal information has been deleted." if erased.status == "completed"
                 else "We hold no personal information about you to delete."),
        kept=sorted({f"{k.field} ({k.reason})" for c in erased.collections if c.rows_found for k in c.fields_kept}))


def correction(run: Run) -> Outcome:
    """The new values the person gave, applied where the map holds each field."""
    corrected = run.service.engine.correct(run.subject, run.details.get("corrections") or {})
    counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed} for c in corrected.collections}
    return Outcome(corrected.status, rows=sum(c.rows_changed for c in corrected.collections), counts=counts,
                   result=corrected.to_dict(), summary="Your personal information has been corrected.")


def restriction(run: Run) -> Outcome:
    """A restriction (GDPR Art. 18) sets the map's restriction flags on the person's rows: the
    data stays and the company's application stops using it. Without a flag in the map it is
    recorded as the person's standing choice, as any other."""
    engine = run.service.engine
    if not engine.restriction_fields():
        return choice(run)
    restricted = engine.restrict(run.subject)
    counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed} for c in restricted.collections}
    return Outcome(restricted.status, rows=sum(c.rows_changed for c in restricted.collections), counts=counts,
                   result={"restricted": restricted.to_dict()},
                   summary="We keep your personal information but no longer use it. We will tell you before "
                           "we lift this restriction.")


#: a data use that markets to the person: an objection to it is absolute (GDPR Art. 21(3))
MARKETING = "marketing"


def weighable(datamap: DataMap) -> list[Purpose]:
    """The purposes an objection under GDPR Art. 21(1) reaches and an operator must weigh:
    processing on legitimate interests or a public task, other than direct marketing (which
    stops at once, without weighing)."""
    bases = (LawfulBasis.LEGITIMATE_INTERESTS, LawfulBasis.PUBLIC_TASK)
    return [p for p in datamap.purposes.values()
            if p.lawful_basis in bases and not any(use.startswith(MARKETING) for use in p.uses)]


def objection(run: Run) -> Outcome:
    """An objection (GDPR Art. 21): direct marketing stops at once (the consent plug-in withdraws
    those purposes); processing on legitimate interests or a public task becomes a decision for
    an operator, who weighs the person's grounds against the company's (Art. 21(1))."""
    recorded = choice(run)
    to_weigh = weighable(run.service.datamap)
    if not to_weigh:
        recorded.summary = "We have stopped using your personal information for direct marketing."
        return recorded
    keys = [p.key for p in to_weigh]
    names = "; ".join(p.name for p in to_weigh)
    return Outcome("recorded", counts={"to_weigh": keys}, result={**recorded.result, "to_weigh": keys},
                   summary="We have stopped using your personal information for direct marketing. You may also "
                           f"object to our other uses of it that rest on our legitimate interests ({names}); we are "
                           "weighing your objection and will write to you with our decision.")


def choice(run: Run) -> Outcome:
    """A standing choice (opt-out, opt-in, limit, withdrawal, restriction, objection): recorded
    with the request; plug-ins record it where they keep choices (the consent store)."""
    return Outcome("recorded", result={"recorded": run.kind,
                                       "identities": sorted(i.kind for i in run.request.identities)},
                   summary="Your choice has been recorded and is in effect.")
