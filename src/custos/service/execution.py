"""Running a verified (and approved) request through the engine, as a job.

Access and portability build the package; categories lists them; erasure runs the
engine's resumable erasure keyed by the request id and stores its residual check;
correction applies the new values; opt-out, limit, withdrawal of consent, restriction and
objection are recorded as the person's standing choice. Row counts per collection go to
the audit log. An erasure that did not complete raises, so the job is retried and the
request is never reported done when it stopped part-way.
"""

from __future__ import annotations

from typing import Any

from custos.package import build_package
from custos.rules import RequestType
from custos.service import audit, holds, packages
from custos.service.context import Service
from custos.service.jobs import JobFailure
from custos.service.preferences import record_choice
from custos.service.workflow import (
    Mail,
    details_of,
    email_of,
    load,
    mail_context,
    send,
    subject_of,
    transition,
)
from custos.store import Hold, Job, RequestResult

PREFERENCES = frozenset({
    RequestType.RESTRICTION, RequestType.OBJECTION, RequestType.OPT_OUT_SALE_SHARING,
    RequestType.LIMIT_SENSITIVE, RequestType.WITHDRAW_CONSENT, RequestType.OPT_IN_SALE_SHARING,
})
ERASURE_DONE = frozenset({"completed", "nothing_found"})


def execute(service: Service, job: Job) -> None:
    """Do the work of request ``job.request_id`` and complete it (job handler)."""
    with service.plane.read() as session:
        request = load(session, job.request_id or "")
        if request.status != "in_progress":
            return  # cancelled or decided meanwhile: nothing to do
        subject = subject_of(service, request)
        details = details_of(service, request)
        kind = RequestType(request.answered_as or request.type)
    extra: dict[str, Any] = {}
    counts: dict[str, Any]
    with service.engine_lock:
        engine = service.engine
        if kind in (RequestType.ACCESS, RequestType.PORTABILITY):
            access = engine.access(subject)
            content = build_package(service.datamap, access)
            result: dict[str, Any] = {"rows": access.row_count, "categories": access.categories()}
            counts = {f"{d}.{c}": len(rows) for d, cols in access.datasets().items() for c, rows in cols.items()}
            status, rows, residual_ok = "completed", access.row_count, None
            extra["package"] = content
        elif kind is RequestType.CATEGORIES:
            access = engine.access(subject)
            result = {"categories": access.categories(), "rows": access.row_count}
            counts = {q: len(f.rows) for q, f in access.reach.found.items() if f.rows}
            status, rows, residual_ok = "completed", access.row_count, None
            extra["categories"] = access.categories()
        elif kind is RequestType.ERASURE:
            blocking = holds.blocking_erasure(service, {i.value_hmac for i in request.identities}, subject)
            if blocking:
                _held(service, request.id, blocking)
                return
            erasure = engine.erase(subject, run_key=request.id)
            result = erasure.to_dict()
            counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed, "deleted": c.rows_deleted}
                      for c in erasure.collections if c.rows_found}
            status, rows = erasure.status, erasure.rows_changed + erasure.rows_deleted
            residual_ok = erasure.residual.ok if erasure.residual else None
            extra["kept"] = sorted({f"{k.field} ({k.reason})" for c in erasure.collections
                                    if c.rows_found for k in c.fields_kept})
        elif kind is RequestType.CORRECTION:
            correction = engine.correct(subject, details.get("corrections") or {})
            result = correction.to_dict()
            counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed}
                      for c in correction.collections}
            status, rows, residual_ok = correction.status, sum(c.rows_changed for c in correction.collections), None
        elif kind in PREFERENCES:
            result = {"recorded": kind.value, "identities": sorted(i.kind for i in request.identities),
                      **record_choice(service, request, kind, subject)}
            counts, status, rows, residual_ok = {}, "recorded", 0, None
        else:
            raise JobFailure(f"{kind.value} requests are decided by an operator, not run")
    _finish(service, request.id, kind, status, rows, residual_ok, counts, result, extra)


def _held(service: Service, request_id: str, blocking: list[Hold]) -> None:
    """An erasure that meets a legal hold waits: the hold is its exception, the request is not
    complete, and lifting the hold queues it again."""
    ids = sorted({h.id for h in blocking})
    result = {"status": "held", "holds": [h.label for h in blocking], "exception": holds.HOLD_EXCEPTION}
    with service.plane.write() as session:
        moment = service.clock()
        session.add(RequestResult(
            request_id=request_id, kind=RequestType.ERASURE.value, status="held", row_count=0, residual_ok=None,
            collections={"holds": ids}, result_encrypted=service.vault.encrypt_json(result), created_at=moment))
        audit.append(session, "request.held", actor="system", request_id=request_id, at=moment,
                     detail={"holds": ids, "exception": holds.HOLD_EXCEPTION})


def _finish(
    service: Service, request_id: str, kind: RequestType, status: str, rows: int, residual_ok: bool | None,
    counts: dict[str, Any], result: dict[str, Any], extra: dict[str, Any],
) -> None:
    mails: list[Mail] = []
    done = kind is not RequestType.ERASURE or status in ERASURE_DONE
    with service.plane.write() as session:
        request = load(session, request_id)
        moment = service.clock()
        session.add(RequestResult(
            request_id=request.id, kind=kind.value, status=status, row_count=rows, residual_ok=residual_ok,
            collections=counts, result_encrypted=service.vault.encrypt_json(result), created_at=moment))
        audit.append(session, "request.result", actor="system", request_id=request.id, at=moment,
                     detail={"kind": kind.value, "status": status, "rows": rows, "residual_ok": residual_ok,
                             "collections": counts})
        if not done:
            raise_after = JobFailure(f"erasure {status}: see the request's results; it resumes when retried")
        else:
            raise_after = None
            context: dict[str, Any] = {**mail_context(service, request), "answered_as": request.answered_as,
                                       "package_url": None, "categories": extra.get("categories"),
                                       "summary": "", "kept": extra.get("kept", [])}
            if "package" in extra:
                package, token = packages.create(session, service, request, extra["package"])
                context.update(package_url=packages.url(service, token),
                               package_expires=package.expires_at.strftime("%d %B %Y %H:%M UTC"),
                               package_downloads=package.downloads_left)
            if kind in PREFERENCES:
                context["summary"] = "Your choice has been recorded and is in effect."
            if kind is RequestType.ERASURE:
                context["summary"] = ("Your personal information has been deleted." if status == "completed"
                                      else "We hold no personal information about you to delete.")
            if kind is RequestType.CORRECTION:
                context["summary"] = "Your personal information has been corrected."
            transition(session, service, request, "completed", actor="system", rows=rows)
            email = email_of(service, request)
            if email:
                mails.append(Mail(email, "completion", context))
    if raise_after is not None:
        raise raise_after
    send(service, mails)
