"""Notices to recipients: made when a request completes, delivered as jobs, acknowledged by the
recipient with the token its notice carries.

What a notice carries is what the recipient needs to act and nothing else: the request type,
the identities it is known to hold (in the form agreed with it: raw, or SHA-256 of the
normalized value), the categories it received of those the request touched, and for a
correction the new values of the fields in those categories. A webhook is POSTed as JSON
signed with the recipient's secret (``X-Custos-Signature: t=TIMESTAMP,v1=HMAC-SHA-256 of
"TIMESTAMP.BODY"``) to an address the outgoing-call rules allow, checked again after name
resolution at each attempt; a failed attempt is retried with a growing delay (the job
queue's), and each attempt is in the audit log.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from custos.controlplane import Job, Request
from custos.engine import Subject
from custos.errors import JobFailure
from custos.recipients.models import RecipientNotice
from custos.recipients.routing import Told, recipients_to_tell, touched_by_fields
from custos.rules import RequestType, label_of
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, NotFoundError, PermissionDeniedError
from custos.service.mail import Outgoing, Templates, compose
from custos.service.outbound import resolution_refusal, service_hosts, signature, url_refusal
from custos.service.requests.handlers import Outcome
from custos.service.requests.records import details_of
from custos.service.vault import random_token, same, sha256_hex
from custos.service.work.jobs import enqueue

JOB = "recipient.notify"
SIGNATURE = "X-Custos-Signature"
TIMEOUT = 10.0
_TEMPLATES = Templates("custos.recipients")
#: outcomes after which recipients are told: the request changed or recorded something
TOLD_AFTER = frozenset({"completed", "recorded"})


def touched(service: Service, request: Request, kind: str, outcome: Outcome) -> set[str] | None:
    """The categories a completed request touched (``None``: a standing choice: all)."""
    datamap = service.datamap
    if kind == RequestType.ERASURE:
        fields: list[tuple[str, str]] = []
        for part in outcome.result.get("collections", []):
            qualified = str(part.get("collection"))
            info = datamap.collections.get(qualified)
            if info is None or not part.get("rows_found"):
                continue
            if part.get("rows_deleted"):
                fields += [(qualified, f.name) for f in info.fields if f.is_personal]
            fields += [(qualified, name) for name in part.get("fields_masked", {})]
            fields += [(qualified, name) for name in part.get("fields_masked_where_subject", [])]
        return touched_by_fields(datamap, fields)
    if kind == RequestType.CORRECTION:
        corrections = details_of(service, request).get("corrections") or {}
        return touched_by_fields(datamap, [(q, f) for q, _, f in (str(n).rpartition(".") for n in corrections)])
    return None


def create(service: Service, request: Request, kind: str, subject: Subject, outcome: Outcome) -> list[RecipientNotice]:
    """Record and queue a notice for each recipient to tell; a request completed twice (a job
    that ran again) makes no second notice."""
    if not outcome.done or outcome.status not in TOLD_AFTER:
        return []
    told = [t for t in recipients_to_tell(service.datamap, kind, touched(service, request, kind, outcome))
            if t.recipient.notify is not None and t.recipient.notify.none is None]
    if not told:
        return []
    corrections = details_of(service, request).get("corrections") or {} if kind == RequestType.CORRECTION else {}
    made: list[RecipientNotice] = []
    with service.plane.write() as session:
        existing = set(session.scalars(sa.select(RecipientNotice.recipient)
                                       .where(RecipientNotice.request_id == request.id)))
        moment = service.clock()
        for item in told:
            if item.recipient.key in existing:
                continue
            token = random_token()
            notice = RecipientNotice(
                request_id=request.id, recipient=item.recipient.key,
                channel="webhook" if item.recipient.notify and item.recipient.notify.webhook else "email",
                status="queued", attempts=0, categories=list(item.categories), ack_token_hash=sha256_hex(token),
                created_at=moment, payload_encrypted=b"")
            session.add(notice)
            session.flush()
            body = _body(service, notice, request, kind, subject, item, corrections, token)
            notice.payload_encrypted = service.vault.encrypt_json(body)
            audit.append(session, "recipient.notice_queued", actor="system", request_id=request.id, at=moment,
                         detail={"notice": notice.id, "recipient": item.recipient.key, "channel": notice.channel,
                                 "categories": list(item.categories), "purposes": list(item.purposes)})
            enqueue(session, service, JOB, request.id, {"notice": notice.id})
            made.append(notice)
    return made


def _body(service: Service, notice: RecipientNotice, request: Request, kind: str, subject: Subject, item: Told,
          corrections: dict[str, Any], token: str) -> dict[str, Any]:
    notify = item.recipient.notify
    assert notify is not None
    identities: dict[str, list[str]] = {}
    for name in notify.identities:
        values = sorted(subject.values(name))
        if values:
            identities[name] = [sha256_hex(v) for v in values] if notify.identity_form == "sha256" else values
    received = set(item.categories)
    fields: dict[str, Any] = {}
    for name, value in corrections.items():
        qualified, _, field_name = str(name).rpartition(".")
        info = service.datamap.collections.get(qualified)
        field = info.field(field_name) if info is not None else None
        if field is not None and any(c in received or any(c.startswith(r + ".") for r in received)
                                     for c in field.categories):
            fields[name] = value
    organization = service.datamap.organization
    return {
        "type": "custos.recipient_notice", "notice_id": notice.id, "sender": organization.name,
        "request_type": kind, "request": label_of(kind), "identities": identities,
        "identity_form": notify.identity_form, "categories": sorted(received),
        **({"corrections": fields} if fields else {}),
        "completed_at": (request.completed_at or service.clock()).isoformat(),
        "acknowledge": {"url": service.link(f"/v1/recipient-notices/{notice.id}/ack"), "token": token},
    }


def deliver(service: Service, job: Job) -> None:
    """Send one notice (job handler); a failed attempt raises, so the job queue tries again."""
    notice_id = int((job.payload or {}).get("notice", 0))
    with service.plane.read() as session:
        notice = session.get(RecipientNotice, notice_id)
        if notice is None or notice.status != "queued":
            return
        body = service.vault.decrypt_json(notice.payload_encrypted)
        recipient = service.datamap.recipients.get(notice.recipient)
    notify = recipient.notify if recipient is not None else None
    if notify is None or notify.none is not None:
        _record(service, notice_id, "failed", f"recipient {notice.recipient!r} has no notify channel in the map")
        return
    try:
        if notify.webhook:
            _post(notify.webhook, notify.secret or "", body)
        else:
            assert notify.email is not None
            service.mailer.deliver(_mail(service, notify.email, body))
    except Exception as exc:
        error = (str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}")[:500]
        _record(service, notice_id, "failed" if job.attempts >= job.max_attempts else "queued", error)
        raise JobFailure(error) from None
    _record(service, notice_id, "delivered", None)


def _post(url: str, secret: str, body: dict[str, Any]) -> None:
    refusal = resolution_refusal(url, service_hosts(), what="the recipient's webhook")
    if refusal is not None:
        raise ValueError(refusal)
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()
    answer = httpx.post(url, content=raw, timeout=TIMEOUT, follow_redirects=False, headers={
        "Content-Type": "application/json", SIGNATURE: signature(secret, raw, int(time.time()))})
    if not 200 <= answer.status_code < 300:
        raise ValueError(f"the receiver answered {answer.status_code}")


def _mail(service: Service, to: str, body: dict[str, Any]) -> Outgoing:
    context = {**body, "org_name": service.datamap.organization.name,
               "privacy_contact": service.datamap.organization.privacy_contact}
    return compose(service.mailer.sender, to, "recipient_notice", _TEMPLATES.render("recipient_notice", context),
                   {"Auto-Submitted": "auto-generated"})


def _record(service: Service, notice_id: int, status: str, error: str | None) -> None:
    """One delivery attempt: ``delivered``, ``failed`` (the last attempt), or ``queued`` again
    (the job queue tries once more), in the notice and the audit log."""
    with service.plane.write() as session:
        notice = session.get(RecipientNotice, notice_id)
        if notice is None:
            return
        moment = service.clock()
        notice.attempts += 1
        notice.status = status
        notice.last_error = error
        if status == "delivered":
            notice.delivered_at = moment
        action = "recipient.notice_retry" if status == "queued" else f"recipient.notice_{status}"
        audit.append(session, action, actor="system", request_id=notice.request_id, at=moment,
                     detail={"notice": notice.id, "recipient": notice.recipient, "channel": notice.channel,
                             **({"error": error} if error else {})})


def acknowledge(service: Service, notice_id: int, token: str) -> RecipientNotice:
    """The recipient confirms it acted on the notice; a wrong token is refused, and a token
    works once."""
    with service.plane.write() as session:
        notice = session.get(RecipientNotice, notice_id)
        if notice is None:
            raise NotFoundError("no such notice")
        if not same(sha256_hex(token), notice.ack_token_hash):
            raise PermissionDeniedError("this token does not acknowledge this notice")
        if notice.status == "acknowledged":
            raise ConflictError("this notice was acknowledged already")
        moment = service.clock()
        notice.status, notice.acknowledged_at = "acknowledged", moment
        notice.delivered_at = notice.delivered_at or moment
        audit.append(session, "recipient.notice_acknowledged", actor=f"recipient:{notice.recipient}",
                     request_id=notice.request_id, at=moment, detail={"notice": notice.id})
        return notice


def of_request(service: Service, request_id: str) -> list[RecipientNotice]:
    with service.plane.read() as session:
        return list(session.scalars(sa.select(RecipientNotice).where(RecipientNotice.request_id == request_id)
                                    .order_by(RecipientNotice.id)))


def _late(service: Service, hours: int) -> sa.ColumnElement[bool]:
    """Failed, or still queued ``hours`` after it was made."""
    limit = service.clock() - timedelta(hours=hours)
    return sa.or_(RecipientNotice.status == "failed",
                  sa.and_(RecipientNotice.status == "queued", RecipientNotice.created_at < limit))


def overdue(service: Service, hours: int) -> list[RecipientNotice]:
    """Notices not delivered within ``hours`` of their request's completion (or failed)."""
    with service.plane.read() as session:
        return list(session.scalars(sa.select(RecipientNotice).where(_late(service, hours))
                                    .order_by(RecipientNotice.created_at)))


def overdue_of(service: Service, request_ids: list[str], hours: int) -> dict[str, list[str]]:
    """For each of ``request_ids`` with notices failed or undelivered after ``hours``: what to say."""
    found: dict[str, list[str]] = {}
    with service.plane.read() as session:
        rows = session.execute(sa.select(RecipientNotice.request_id, RecipientNotice.recipient, RecipientNotice.status)
                               .where(RecipientNotice.request_id.in_(request_ids), _late(service, hours)))
        for request_id, recipient, status in rows:
            found.setdefault(request_id, []).append(
                f"recipient {recipient} {'could not be told' if status == 'failed' else 'not told yet'}")
    return found


def check_webhooks(service: Service) -> list[str]:
    """The map's webhooks the outgoing-call rules refuse (checked when the app starts)."""
    problems = []
    for recipient in service.datamap.document.recipients:
        if recipient.notify and recipient.notify.webhook:
            refusal = url_refusal(recipient.notify.webhook, service_hosts(), what=f"recipient {recipient.key!r}'s webhook")
            if refusal:
                problems.append(refusal)
    return problems
