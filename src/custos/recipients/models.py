"""The notices to recipients, one row per request and recipient, with their delivery log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.controlplane import Base, UTCDateTime

#: a notice's states: queued, then delivered (the receiver answered 2xx, or the mail was
#: handed to the mail server), then acknowledged (the recipient confirmed it acted); or failed
STATUSES = ("queued", "delivered", "acknowledged", "failed")


class RecipientNotice(Base):
    __tablename__ = "recipient_notices"
    __table_args__ = (sa.UniqueConstraint("request_id", "recipient", name="uq_recipient_notices_request"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(128))
    channel: Mapped[str] = mapped_column(sa.String(16))  # webhook | email
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    categories: Mapped[list[str]] = mapped_column(sa.JSON)
    payload_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ack_token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
