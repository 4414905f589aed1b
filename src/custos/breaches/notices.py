"""Telling the people a breach affects (GDPR Art. 34; Cal. Civ. Code 1798.82), and reminding
the privacy contact before the authority's 72 hours run out.

The notice is a mail to each affected person whose email the stores hold, sent through the
service's mailer in batches, each batch a job: the register shows the progress and the count
sent, a crash resumes at the next batch, and every batch is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from custos.breaches import register
from custos.breaches.models import Breach
from custos.controlplane import Job
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, NotFoundError
from custos.service.mail import Fanout, Templates, compose
from custos.service.work.jobs import enqueue

JOB = "breach.notify_people"
BATCH = 5000  # people per statement and per progress update
REMIND_BEFORE = timedelta(hours=24)
_TEMPLATES = Templates("custos.breaches")


def start(service: Service, breach_id: str, *, actor: str) -> Breach:
    """Queue the notices to the people affected."""
    with service.plane.write() as session:
        breach = session.get(Breach, breach_id)
        if breach is None:
            raise NotFoundError("no such breach")
        if breach.people_notice is not None:
            raise ConflictError(f"the people were told already ({breach.people_notice})")
        breach.people_notice = "queued"
        audit.append(session, "breach.people_notice_started", actor=actor, at=service.clock(),
                     detail={"breach": breach_id})
        enqueue(session, service, JOB, None, {"breach": breach_id})
        return breach


def _context(service: Service, breach: Breach) -> dict[str, Any]:
    organization = service.datamap.organization
    return {"org_name": organization.name, "privacy_contact": organization.privacy_contact,
            "summary": breach.summary, "aware": f"{breach.aware_at:%d %B %Y}",
            "categories": [c["name"] for c in breach.categories], "encrypted": breach.encrypted,
            "measures": breach.measures, "consequences": breach.consequences}


def run(service: Service, job: Job) -> None:
    """Send every notice of one breach, a batch at a time (job handler)."""
    breach_id = str((job.payload or {}).get("breach", ""))
    breach = register.load(service, breach_id)
    context = _context(service, breach)
    fanout = Fanout(service.mailer.sender, "breach_notice", _TEMPLATES.render("breach_notice", context),
                    {"Auto-Submitted": "auto-generated"})
    sent = 0
    with service.plane.write() as session:
        stored = session.get(Breach, breach_id)
        assert stored is not None
        stored.people_notice, stored.people_notified = "sending", 0
    for batch in register.emails(service, breach, BATCH):
        for address in batch:
            service.mailer.deliver(fanout.to(address))
        sent += len(batch)
        with service.plane.write() as session:
            stored = session.get(Breach, breach_id)
            assert stored is not None
            stored.people_notified = sent
            audit.append(session, "breach.people_notified", actor="system", at=service.clock(),
                         detail={"breach": breach_id, "batch": len(batch), "sent": sent})
    with service.plane.write() as session:
        stored = session.get(Breach, breach_id)
        assert stored is not None
        stored.people_notice, stored.people_notified = "done", sent
        audit.append(session, "breach.people_notice_done", actor="system", at=service.clock(),
                     detail={"breach": breach_id, "sent": sent})


def remind(service: Service) -> int:
    """Mail the privacy contact once for each breach whose 72 hours end within a day and whose
    authority has not been told; returns how many reminders went out."""
    moment = service.clock()
    sent = 0
    with service.plane.write() as session:
        due = list(session.scalars(sa.select(Breach).where(
            Breach.status == "open", Breach.authority_notified_at.is_(None), Breach.reminded_at.is_(None),
            Breach.authority_due_at.is_not(None), Breach.authority_due_at <= moment + REMIND_BEFORE)))
        for breach in due:
            organization = service.datamap.organization
            rendered = _TEMPLATES.render("breach_reminder", {
                "org_name": organization.name, "summary": breach.summary,
                "due": f"{breach.authority_due_at:%d %B %Y %H:%M} UTC",
                "late": breach.authority_due_at is not None and moment > breach.authority_due_at,
                "link": service.link(f"/admin/breaches#{breach.id}")})
            service.mailer.deliver(compose(service.mailer.sender, organization.privacy_contact, "breach_reminder",
                                           rendered, {"Auto-Submitted": "auto-generated"}))
            breach.reminded_at = moment
            audit.append(session, "breach.reminder_sent", actor="system", at=moment,
                         detail={"breach": breach.id, "to": organization.privacy_contact})
            sent += 1
    return sent
