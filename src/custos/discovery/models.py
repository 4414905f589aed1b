"""The control plane's record of each scan: who asked, its progress, its report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.controlplane import Base, UTCDateTime, new_id


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # queued | running | done | failed
    trigger: Mapped[str] = mapped_column(sa.String(16))  # request | schedule
    systems: Mapped[list[str]] = mapped_column(sa.JSON)
    sample: Mapped[int] = mapped_column(sa.Integer)
    all_tables: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: tables done, tables in all, the one being read
    progress: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    drift: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    drift_count: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
