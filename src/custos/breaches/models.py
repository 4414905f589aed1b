"""The register's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.controlplane import Base, UTCDateTime, new_id


class Breach(Base):
    __tablename__ = "breaches"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    summary: Mapped[str] = mapped_column(sa.String(2000))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    targets: Mapped[list[str]] = mapped_column(sa.JSON)
    collections: Mapped[list[str]] = mapped_column(sa.JSON)
    categories: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    jurisdictions: Mapped[list[str]] = mapped_column(sa.JSON)
    encrypted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    consequences: Mapped[str | None] = mapped_column(sa.String(2000))
    measures: Mapped[str | None] = mapped_column(sa.String(2000))
    people_count: Mapped[int | None] = mapped_column(sa.Integer)
    records_count: Mapped[int | None] = mapped_column(sa.Integer)
    count_approximate: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_reason: Mapped[str | None] = mapped_column(sa.String(2000))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    people_notice: Mapped[str | None] = mapped_column(sa.String(16))  # queued | sending | done
    people_notified: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(200))
