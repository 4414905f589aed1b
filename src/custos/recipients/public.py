"""The endpoint a recipient calls to acknowledge a notice, with the token the notice carried."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from custos.recipients import notices
from custos.service.http.api.deps import ServiceDep
from custos.service.http.api.schemas import MAX_ID, ErrorBody

router = APIRouter(prefix="/v1/recipient-notices", tags=["recipients"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (403, 404, 409, 422)}


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, Field(min_length=16, max_length=200)]


@router.post("/{notice_id}/ack", responses=ERRORS)
def acknowledge(notice_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: Acknowledgement,
                service: ServiceDep) -> dict[str, str]:
    """The recipient confirms it acted on the notice (once; a wrong or used token is refused)."""
    notice = notices.acknowledge(service, notice_id, body.token)
    return {"status": notice.status}
