"""Work that several processes poll for (webhook and callback deliveries) is claimed first.

A poller takes the rows due now in one write transaction and moves their due time past a
lease before it works on them, so another process (a second ``custos serve`` worker,
``custos worker``) skips them; on PostgreSQL rows another transaction holds are skipped
(``FOR UPDATE SKIP LOCKED``), on SQLite writers take turns. The work then records its
outcome, which sets the row's next due time. If the process dies mid-way, the lease runs
out and the row is due again: each row is worked at least once, and not by two at a time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from custos.service.core import Service


def claim_due(service: Service, model: Any, *, pending: sa.ColumnElement[bool], due: Any, lease: timedelta,
              limit: int) -> list[int]:
    """Ids of at most ``limit`` rows of ``model`` that are ``pending`` and whose ``due`` time
    has come, oldest due first, each now leased to the caller for ``lease``."""
    moment = service.clock()
    with service.plane.read() as session:  # most polls find nothing: they take no write lock
        if session.scalar(sa.select(model.id).where(pending, due <= moment).limit(1)) is None:
            return []
    with service.plane.write() as session:
        ids = list(session.scalars(
            sa.select(model.id).where(pending, due <= moment).order_by(due, model.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            session.execute(sa.update(model).where(model.id.in_(ids)).values({due.key: moment + lease}))
    return ids
