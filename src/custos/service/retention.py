"""Purging old request records of the identities they hold, once their keeping period is over.

The CCPA asks for request records for at least 24 months (11 CCR §7101): the date and
nature of the request, how it was made, the date and nature of the response and the basis
of any denial, used for nothing else. After that period nothing needs the person's
identities. ``purge`` removes from decided requests received before the cut-off their
identities, the encrypted details (corrections, statement, agent permission), the stored
results' bodies and the packages, and keeps the request row (type, dates, status, denial
reason): the record. The audit log keeps every entry, purges included: it holds no
identity values, and it is append-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from custos.controlplane import Identity, Package, Request, RequestResult
from custos.rules import RuleSet, rule_set
from custos.rules.calendar import shift_months
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError
from custos.service.requests.lifecycle import OPEN

_PERIOD = re.compile(r"^\s*(\d{1,4})\s*(d|days?|m|months?|y|years?)\s*$", re.I)
PURGED = b""


@dataclass(frozen=True)
class Period:
    """A span of days or months (years are twelve months)."""

    amount: int
    unit: str  # "days" | "months"

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if match is None:
            raise InvalidRequestError(f"{text!r} is not a period: write e.g. 730d, 24m or 2y")
        amount, unit = int(match.group(1)), match.group(2).lower()[0]
        if unit == "y":
            return cls(amount * 12, "months")
        return cls(amount, "months" if unit == "m" else "days")

    def before(self, moment: datetime) -> datetime:
        if self.unit == "days":
            return moment - timedelta(days=self.amount)
        return datetime.combine(shift_months(moment.date(), -self.amount), moment.timetz())

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


def keeping_period(rules: RuleSet) -> Period | None:
    """The rule set's record-keeping period, where it names one."""
    keep = rules.records.keep_for if rules.records else None
    if keep is None or keep.unit not in ("months", "calendar_days"):
        return None
    return Period(keep.amount, "months" if keep.unit == "months" else "days")


@dataclass(frozen=True)
class PurgeReport:
    purged: int
    kept_for_rules: int  # old enough for --older-than, but still inside their rule set's keeping period
    cutoff: datetime


def purge(service: Service, older_than: Period, *, dry_run: bool = False, actor: str = "cli") -> PurgeReport:
    """Purge the identities of decided requests received before ``older_than`` ago.

    A request is purged only once its jurisdiction's record-keeping period is over too,
    whatever ``older_than`` says; open requests are never purged.
    """
    moment = service.clock()
    cutoff = older_than.before(moment)
    purged = kept = 0
    with service.plane.write() as session:
        candidates = session.scalars(
            sa.select(Request).where(Request.received_at < cutoff, Request.status.not_in(sorted(OPEN)))
            .where(sa.exists().where(Identity.request_id == Request.id))
            .order_by(Request.received_at)
        ).all()
        for request in candidates:
            period = keeping_period(rule_set(request.jurisdiction))
            if period is not None and request.received_at >= period.before(moment):
                kept += 1
                continue
            purged += 1
            if dry_run:
                continue
            kinds = sorted({identity.kind for identity in request.identities})
            session.execute(sa.delete(Identity).where(Identity.request_id == request.id))
            session.execute(sa.delete(Package).where(Package.request_id == request.id))
            session.execute(sa.update(RequestResult).where(RequestResult.request_id == request.id)
                            .values(result_encrypted=PURGED))
            request.details = None
            request.agent_permission = None
            audit.append(session, "request.purged", actor=actor, request_id=request.id, at=moment,
                         detail={"older_than": str(older_than), "identity_kinds": kinds,
                                 "received_at": request.received_at})
        session.flush()
        session.expire_all()
    return PurgeReport(purged, kept, cutoff)
