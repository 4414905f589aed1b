"""What an operator decides: approve, deny with reasons, extend with a notice, decide an appeal.

Refusals say why; a deletion refusal names the exception of the data map it relies on,
with its CCPA and GDPR provisions, and every refusal says how to appeal where the rule
set provides an appeal, or where to complain where it does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos import plugins
from custos.controlplane import Request, RequestResult, User
from custos.datamap.models import ErasureException
from custos.rules import RequestNotCoveredError, RequestType, compute_due_dates, rule_set
from custos.rules.models import NotCovered
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, InvalidRequestError
from custos.service.requests.lifecycle import OPEN, load, start, transition
from custos.service.requests.records import Mail, email_of, mail_context, send, subject_of

DENIABLE = frozenset({"received", "identity_unverified", "verified", "approved", "failed"})


def approve(service: Service, request_id: str, *, actor: str) -> Request:
    """Approve a verified request (it starts running), or grant an appeal (the original reruns)."""
    mails: list[Mail] = []
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.type == RequestType.APPEAL.value:
            _decide_appeal(session, service, request, granted=True, reason="the decision was reversed",
                           actor=actor, mails=mails)
        else:
            if request.status != "verified":
                raise ConflictError(f"only a verified request can be approved; this one is {request.status}")
            transition(session, service, request, "approved", actor=actor)
            start(session, service, request, actor=actor)
    send(service, mails)
    _decided(service, request, actor)
    return request


def deny(service: Service, request_id: str, *, actor: str, reason: str, exception: str | None = None,
         note: str | None = None) -> Request:
    """Refuse a request with its reasons; a deletion refusal must name the exception relied on.

    ``reason`` is what the person reads; ``note`` is the operator's, kept in the audit log only.
    """
    if not reason.strip():
        raise InvalidRequestError("a refusal gives its reasons")
    mails: list[Mail] = []
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.type == RequestType.APPEAL.value:
            _decide_appeal(session, service, request, granted=False, reason=reason, actor=actor, mails=mails)
        else:
            if request.status not in DENIABLE:
                raise ConflictError(f"a request that is {request.status} cannot be denied")
            cited = cite_exception(service, exception, request.jurisdiction) if exception else None
            if request.type == RequestType.ERASURE.value and cited is None:
                raise InvalidRequestError("a deletion refusal names the exception it relies on (exception)")
            refuse(session, service, request, reason=reason, exception=cited, actor=actor, mails=mails, note=note)
    send(service, mails)
    _decided(service, request, actor)
    return request


def _decided(service: Service, request: Request, actor: str) -> None:
    """Tell the plug-ins of a decision once it is committed (``custos_request_decided``)."""
    plugins.hook().custos_request_decided(service=service, request=request, status=request.status, actor=actor)


def refuse(
    session: Session, service: Service, request: Request, *, reason: str, exception: str | None,
    actor: str, mails: list[Mail], note: str | None = None,
) -> None:
    """Deny ``request`` in ``session`` and queue the refusal mail (the reasons, never the note)."""
    request.denial_reason = reason
    request.denial_exception = exception
    extra = {"note": note} if note else {}
    transition(session, service, request, "denied", actor=actor, reason=reason, exception=exception, **extra)
    email = email_of(service, request)
    if email:
        mails.append(Mail(email, "refusal", {**mail_context(service, request), "reason": reason,
                                             "exception": exception, **recourse(service, request)}))


def exception_choices(service: Service, jurisdiction: str | None) -> dict[str, str]:
    """The exceptions a deletion refusal may rely on: the map's own and the rule set's, each
    with its citation."""
    choices = {key: _cited(exception) for key, exception in service.datamap.exceptions.items()}
    statutory = rule_set(jurisdiction).erasure_exceptions if jurisdiction else {}
    for key, ground in statutory.items():
        choices.setdefault(key, f"{key}: {ground.text} ({ground.source})")
    return choices


def _cited(exception: ErasureException) -> str:
    parts = [f"{exception.key} ({exception.basis})"]
    if exception.ccpa:
        parts.append(f"Cal. Civ. Code §{exception.ccpa}")
    if exception.gdpr:
        parts.append(f"GDPR Art. {exception.gdpr}")
    return "; ".join(parts)


def cite_exception(service: Service, key: str, jurisdiction: str | None = None) -> str:
    """The exception ``key`` with its legal provisions; an exception neither the map nor the
    rule set knows is refused, naming the ones that exist."""
    choices = exception_choices(service, jurisdiction)
    if key not in choices:
        raise InvalidRequestError(
            f"{key!r} is not an exception of the data map or of the rule set; one of: {', '.join(sorted(choices))}")
    return choices[key]


def recourse(service: Service, request: Request) -> dict[str, str]:
    """How the person can challenge a refusal under the request's rule set."""
    rules = rule_set(request.jurisdiction)
    appeal = rules.requests.get(RequestType.APPEAL)
    if isinstance(appeal, NotCovered) or appeal is None:
        reason = appeal.reason if isinstance(appeal, NotCovered) else ""
        return {"appeal_info": "", "complaint_info": f"You may also: {reason}." if reason else ""}
    return {
        "appeal_info": (
            "You may appeal this decision: open the request page and choose Appeal, or reply to this "
            f"message. We answer appeals with our reasons. ({appeal.respond.source})"
        ),
        "complaint_info": "",
    }


def _decide_appeal(
    session: Session, service: Service, appeal: Request, *, granted: bool, reason: str, actor: str,
    mails: list[Mail],
) -> None:
    if appeal.status != "verified":
        raise ConflictError(f"this appeal is {appeal.status}; only an open appeal can be decided")
    original = load(session, appeal.appeal_of or "")
    transition(session, service, appeal, "in_progress", actor=actor)
    if granted:
        appeal.denial_reason = None
        transition(session, service, appeal, "completed", actor=actor, granted=True, reason=reason)
        if original.status == "denied":
            transition(session, service, original, "approved", actor=actor, reason="appeal granted",
                       appeal=appeal.id)
            start(session, service, original, actor=actor)
    else:
        appeal.denial_reason = reason
        transition(session, service, appeal, "completed", actor=actor, granted=False, reason=reason)
    audit.append(session, "appeal.decided", actor=actor, request_id=appeal.id,
                 detail={"granted": granted, "appealed": original.id, "reason": reason})
    email = email_of(service, appeal)
    if email:
        region = rule_set(appeal.jurisdiction).region
        complaint = (f"If you disagree, you can submit a complaint to the Attorney General of {region}."
                     if not granted else "")
        mails.append(Mail(email, "appeal_outcome", {
            **mail_context(service, appeal), "appealed_id": original.id, "granted": granted,
            "reason": reason, "complaint_info": complaint}))


def extend(service: Service, request_id: str, *, actor: str, notice: str) -> Request:
    """Extend the response period, telling the person why, inside the rule's notice period."""
    if not notice.strip():
        raise InvalidRequestError("an extension notice gives the reasons for the delay")
    mails: list[Mail] = []
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.status not in OPEN:
            raise ConflictError(f"a request that is {request.status} cannot be extended")
        if request.extended:
            raise ConflictError("this request was already extended")
        rules = rule_set(request.jurisdiction)
        moment = service.clock()
        try:
            dates = compute_due_dates(request.received_at, request.type, rules, extended=True)
        except RequestNotCoveredError as exc:
            raise ConflictError(exc.message) from None
        if dates.extension_notice_by is not None and moment > dates.extension_notice_by:
            raise ConflictError(
                f"the extension had to be notified by {dates.extension_notice_by.isoformat()}"
            )
        request.extended = True
        request.extended_at = moment
        request.extension_notice = notice
        request.due_at = dates.due.astimezone(UTC) if dates.due else None
        audit.append(session, "request.extended", actor=actor, request_id=request.id, at=moment,
                     detail={"due_at": request.due_at, "notice": notice})
        email = email_of(service, request)
        if email:
            mails.append(Mail(email, "extension", {**mail_context(service, request), "notice": notice}))
    send(service, mails)
    _decided(service, request, actor)
    return request


def lift_restriction(service: Service, request_id: str, *, actor: str, notice: str) -> Request:
    """Lift a restriction the person asked for, telling them first (GDPR Art. 18(3)): the mail
    goes out, then the map's restriction flags are cleared on their rows."""
    if not notice.strip():
        raise InvalidRequestError("lifting a restriction tells the person why (notice)")
    with service.plane.read() as session:
        request = load(session, request_id)
        if request.type != RequestType.RESTRICTION.value or request.status != "completed":
            raise ConflictError("only a completed restriction can be lifted")
        lifted_before = session.scalars(sa.select(RequestResult.id).where(
            RequestResult.request_id == request_id, RequestResult.kind == "restriction_lifted")).first()
        if lifted_before is not None:
            raise ConflictError("this restriction was lifted already")
        subject = subject_of(service, request)
        email = email_of(service, request)
        context = {**mail_context(service, request), "notice": notice}
    if email:
        send(service, [Mail(email, "restriction_lifted", context)])  # before, as Art. 18(3) requires
    with service.engine_lock:
        lifted = service.engine.restrict(subject, lift=True)
    counts = {c.collection: {"found": c.rows_found, "changed": c.rows_changed} for c in lifted.collections}
    rows = sum(c.rows_changed for c in lifted.collections)
    with service.plane.write() as session:
        request = load(session, request_id)
        moment = service.clock()
        session.add(RequestResult(request_id=request.id, kind="restriction_lifted", status=lifted.status,
                                  row_count=rows, residual_ok=None, collections=counts,
                                  result_encrypted=service.vault.encrypt_json(lifted.to_dict()), created_at=moment))
        audit.append(session, "request.restriction_lifted", actor=actor, request_id=request.id, at=moment,
                     detail={"notice": notice, "told": bool(email), "rows": rows, "collections": counts})
    return request


def assign(service: Service, request_id: str, assignee: str | None, *, actor: str) -> Request:
    """Give the request to an operator (an active console user), or take it back (``None``)."""
    with service.plane.write() as session:
        request = load(session, request_id)
        if assignee is not None:
            assignee = assignee.strip().lower()
            user = session.scalars(sa.select(User).where(sa.func.lower(User.email) == assignee)).first()
            if user is None or not user.active:
                raise InvalidRequestError(f"no active console user {assignee!r} to assign it to")
            assignee = user.email
        if request.assignee != assignee:
            request.assignee = assignee
            audit.append(session, "request.assigned", actor=actor, request_id=request.id, at=service.clock(),
                         detail={"assignee": assignee})
    return request


def cancel(service: Service, request_id: str, *, actor: str) -> Request:
    """Cancel a request that has not started running (OpenDSR cancellation)."""
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.status not in ("received", "identity_unverified", "verified", "approved"):
            raise ConflictError(f"a request that is {request.status} can no longer be cancelled")
        transition(session, service, request, "cancelled", actor=actor)
    _decided(service, request, actor)
    return request


def to_weigh(results: Iterable[RequestResult]) -> list[str]:
    """The purposes of an objection still waiting for an operator, from one request's results
    (``[]`` once it is decided)."""
    rows = list(results)
    if any(r.kind == "objection_decided" for r in rows):
        return []
    return [str(k) for r in rows if r.kind == "objection" for k in (r.collections or {}).get("to_weigh", [])]


def purpose_names(service: Service, keys: list[str]) -> list[str]:
    purposes = service.datamap.purposes
    return [purposes[k].name if k in purposes else k for k in keys]


def _objection_results(session: Session, request_ids: list[str]) -> list[RequestResult]:
    return list(session.scalars(sa.select(RequestResult).where(
        RequestResult.request_id.in_(request_ids), RequestResult.kind.in_(("objection", "objection_decided")))))


def objections_to_weigh(service: Service, request_ids: list[str]) -> dict[str, list[str]]:
    """Flags for the queue: objections whose weighing (GDPR Art. 21(1)) is the operator's to do."""
    with service.plane.read() as session:
        rows = _objection_results(session, request_ids)
    flags: dict[str, list[str]] = {}
    for request_id in {r.request_id for r in rows}:
        keys = to_weigh(r for r in rows if r.request_id == request_id)
        if keys:
            flags[request_id] = [
                f"objection to processing on legitimate interests ({', '.join(purpose_names(service, keys))}): "
                "weigh the person's grounds against the company's and decide (GDPR Art. 21(1))"]
    return flags


def decide_objection(service: Service, request_id: str, *, upheld: bool, reason: str, actor: str) -> Request:
    """The operator's decision on an objection to processing on legitimate interests: upheld,
    the processing stops for the person; refused, the person reads the compelling legitimate
    grounds that override theirs and how to complain (GDPR Art. 21(1), Art. 12(4))."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequestError("say what was decided and why (reason); the person reads it")
    with service.plane.read() as session:
        request = load(session, request_id)
        if request.type != RequestType.OBJECTION.value or request.status != "completed":
            raise ConflictError("only a completed objection can be decided")
        keys = to_weigh(_objection_results(session, [request_id]))
        if not keys:
            raise ConflictError("this objection has nothing left to weigh")
        email = email_of(service, request)
        names = purpose_names(service, keys)
        context = {**mail_context(service, request), **recourse(service, request), "upheld": upheld,
                   "reason": reason, "purposes": names}
    moment = service.clock()
    with service.plane.write() as session:
        stored = load(session, request_id)
        session.add(RequestResult(request_id=stored.id, kind="objection_decided",
                                  status="upheld" if upheld else "refused", row_count=0, residual_ok=None,
                                  collections={"purposes": keys},
                                  result_encrypted=service.vault.encrypt_json({"upheld": upheld, "reason": reason}),
                                  created_at=moment))
        audit.append(session, "request.objection_decided", actor=actor, request_id=stored.id, at=moment,
                     detail={"upheld": upheld, "purposes": keys, "reason": reason, "told": bool(email)})
    if email:
        send(service, [Mail(email, "objection_outcome", context)])
    with service.plane.read() as session:
        return load(session, request_id)
