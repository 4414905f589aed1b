"""Running a verified (and approved) request through the engine, as a job.

The request's type picks its handler from the registry (``custos.service.requests.handlers``):
access and portability build the package, categories lists them, erasure runs the
engine's resumable erasure keyed by the request id and stores its residual check,
correction applies the new values, a standing choice is recorded. Plug-ins then add to
the result (``custos_request_completed``: the consent store records an opt-out). Row counts
per collection go to the audit log. An erasure that did not complete raises, so the job is
retried and the request is never reported done when it stopped part-way.
"""

from __future__ import annotations

from typing import Any

from custos import plugins
from custos.controlplane import Hold, Job, RequestResult
from custos.errors import JobFailure
from custos.service import audit, languages, packages
from custos.service.core import Service
from custos.service.holds import HOLD_EXCEPTION
from custos.service.requests.handlers import Held, Outcome, Run, registry
from custos.service.requests.lifecycle import load, transition
from custos.service.requests.records import (
    Mail,
    details_of,
    email_of,
    mail_context,
    send,
    subject_of,
)


def execute(service: Service, job: Job) -> None:
    """Do the work of request ``job.request_id`` and complete it (job handler)."""
    with service.plane.read() as session:
        request = load(session, job.request_id or "")
        if request.status != "in_progress":
            return  # cancelled or decided meanwhile: nothing to do
        subject = subject_of(service, request)
        details = details_of(service, request)
        kind = request.answered_as or request.type
    handler = registry().get(kind)
    if handler is None:
        raise JobFailure(f"{kind} requests are decided by an operator, not run")
    with service.engine_lock:
        outcome = handler(Run(service, request, kind, subject, details))
    if isinstance(outcome, Held):
        _held(service, request.id, kind, outcome.holds)
        return
    added = plugins.merged(plugins.hook().custos_request_completed(
        service=service, request=request, kind=kind, subject=subject, outcome=outcome))
    outcome.result.update(added)
    _finish(service, request.id, kind, outcome)


def _held(service: Service, request_id: str, kind: str, blocking: list[Hold]) -> None:
    """A request that meets a legal hold waits: the hold is its exception, the request is not
    complete, and lifting the hold queues it again."""
    ids = sorted({h.id for h in blocking})
    result = {"status": "held", "holds": [h.label for h in blocking], "exception": HOLD_EXCEPTION}
    with service.plane.write() as session:
        moment = service.clock()
        session.add(RequestResult(
            request_id=request_id, kind=kind, status="held", row_count=0, residual_ok=None,
            collections={"holds": ids}, result_encrypted=service.vault.encrypt_json(result), created_at=moment))
        audit.append(session, "request.held", actor="system", request_id=request_id, at=moment,
                     detail={"holds": ids, "exception": HOLD_EXCEPTION})


def _finish(service: Service, request_id: str, kind: str, outcome: Outcome) -> None:
    mails: list[Mail] = []
    with service.plane.write() as session:
        request = load(session, request_id)
        moment = service.clock()
        session.add(RequestResult(
            request_id=request.id, kind=kind, status=outcome.status, row_count=outcome.rows,
            residual_ok=outcome.residual_ok, collections=outcome.counts,
            result_encrypted=service.vault.encrypt_json(outcome.result), created_at=moment))
        audit.append(session, "request.result", actor="system", request_id=request.id, at=moment,
                     detail={"kind": kind, "status": outcome.status, "rows": outcome.rows,
                             "residual_ok": outcome.residual_ok, "collections": outcome.counts})
        if not outcome.done:
            raise_after: JobFailure | None = JobFailure(
                f"{kind} {outcome.status}: see the request's results; it resumes when retried")
        else:
            raise_after = None
            context: dict[str, Any] = {**mail_context(service, request), "answered_as": request.answered_as,
                                       "package_url": None, "categories": outcome.categories, "kept": outcome.kept}
            context["summary"] = languages.say(outcome.summary, context["language"])
            if outcome.package is not None:
                package, token = packages.create(session, service, request, outcome.package)
                expires = package.expires_at
                context.update(package_url=packages.url(service, token),
                               package_expires=f"{languages.day(expires, context['language'])} "
                                               f"{expires.strftime('%H:%M')} UTC",
                               package_downloads=package.downloads_left)
            transition(session, service, request, "completed", actor="system", rows=outcome.rows)
            email = email_of(service, request)
            if email:
                mails.append(Mail(email, "completion", context))
    if raise_after is not None:
        raise raise_after
    send(service, mails)
