"""Who was told of a request, and the notices still undelivered (admin API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from custos.recipients import notices
from custos.recipients.models import RecipientNotice
from custos.service.http.api.deps import ReadRequests, ServiceDep

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class NoticeItem(BaseModel):
    id: int
    request_id: str
    recipient: str
    recipient_name: str
    channel: str
    status: str
    attempts: int
    categories: list[str]
    created_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    last_error: str | None


def item(names: dict[str, Any], notice: RecipientNotice) -> NoticeItem:
    recipient = names.get(notice.recipient)
    return NoticeItem(id=notice.id, request_id=notice.request_id, recipient=notice.recipient,
                      recipient_name=recipient.name if recipient is not None else notice.recipient,
                      channel=notice.channel, status=notice.status, attempts=notice.attempts,
                      categories=list(notice.categories), created_at=notice.created_at,
                      delivered_at=notice.delivered_at, acknowledged_at=notice.acknowledged_at,
                      last_error=notice.last_error)


@router.get("/requests/{request_id}/recipients", response_model=list[NoticeItem])
def told(request_id: str, service: ServiceDep, _: ReadRequests) -> list[NoticeItem]:
    """Who was told of this request, how, and whether they acknowledged it."""
    names = service.datamap.recipients
    return [item(names, n) for n in notices.of_request(service, request_id)]


@router.get("/recipient-notices/overdue", response_model=list[NoticeItem])
def overdue(service: ServiceDep, _: ReadRequests) -> list[NoticeItem]:
    """Notices that failed, or are undelivered longer than ``CUSTOS_RECIPIENT_NOTICE_HOURS``."""
    names = service.datamap.recipients
    return [item(names, n) for n in notices.overdue(service, service.settings.recipient_notice_hours)]
