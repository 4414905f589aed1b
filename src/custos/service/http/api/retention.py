"""Admin endpoints for legal holds and retention sweeps, under their own scopes.

``holds:read`` lists holds and sweeps; ``holds:write`` places and lifts holds;
``retention:run`` starts a sweep now (the schedule runs them otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from custos.controlplane import RetentionRun
from custos.service import holds, sweeps
from custos.service.auth import Principal
from custos.service.http.api.deps import ServiceDep, require
from custos.service.http.api.schemas import MAX_ID, ErrorBody, Moment

router = APIRouter(prefix="/v1/admin", tags=["retention"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
ReadHolds = Annotated[Principal, Depends(require("holds:read"))]
WriteHolds = Annotated[Principal, Depends(require("holds:write"))]
RunRetention = Annotated[Principal, Depends(require("retention:run"))]


class HoldCreate(BaseModel):
    """A hold on a person (``identities``) or on a collection, dataset or system (``target``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scope: Literal["subject", "collection", "dataset", "system"]
    target: str | None = Field(default=None, max_length=300)
    identities: dict[str, list[Annotated[str, Field(max_length=320)]]] | None = Field(default=None, max_length=8)
    reason: str = Field(min_length=1, max_length=2000)
    matter: str = Field(min_length=1, max_length=200)
    ends_at: Moment | None = None


class RunPublic(BaseModel):
    id: str
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    report: dict[str, Any] | None


class RetentionStatus(BaseModel):
    next_run_at: datetime
    runs: list[RunPublic]


@router.get("/holds", response_model=list[holds.HoldView], responses=ERRORS)
def list_holds(service: ServiceDep, _: ReadHolds,
               active: Annotated[bool, Query(description="Only holds in force.")] = False) -> list[holds.HoldView]:
    """Every hold, oldest first; no identity values, only their kinds."""
    return holds.listed(service, active_only=active)


@router.post("/holds", response_model=holds.HoldView, status_code=201, responses=ERRORS)
def place_hold(body: HoldCreate, service: ServiceDep, principal: WriteHolds) -> holds.HoldView:
    """Place a hold. The person named is not looked up: the answer is the same for anyone."""
    return holds.place(service, scope=body.scope, target=body.target, identities=body.identities,
                       reason=body.reason, matter=body.matter, ends_at=body.ends_at, actor=principal.name)


@router.post("/holds/{hold_id}/lift", response_model=holds.HoldView, responses=ERRORS)
def lift_hold(hold_id: Annotated[int, Path(ge=1, le=MAX_ID)], service: ServiceDep,
              principal: WriteHolds) -> holds.HoldView:
    """Lift a hold; erasures that waited for it are queued again."""
    return holds.lift(service, hold_id, actor=principal.name)


def _run(record: RetentionRun) -> RunPublic:
    return RunPublic(id=record.id, trigger=record.trigger, status=record.status, started_at=record.started_at,
                     finished_at=record.finished_at, error=record.error, report=record.report)


@router.get("/retention", response_model=RetentionStatus, responses=ERRORS)
def retention_status(service: ServiceDep, _: ReadHolds,
                     limit: Annotated[int, Query(ge=1, le=100)] = 10) -> RetentionStatus:
    """The latest sweeps, newest first, and when the next one is due."""
    with service.plane.read() as session:
        runs = [_run(r) for r in session.scalars(sa.select(RetentionRun)
                                                  .order_by(RetentionRun.started_at.desc()).limit(limit))]
    return RetentionStatus(next_run_at=sweeps.next_at(service), runs=runs)


@router.post("/retention/run", response_model=RunPublic, responses=ERRORS)
def run_retention(service: ServiceDep, principal: RunRetention) -> RunPublic:
    """Sweep the stores now (also how a failed sweep is retried at once)."""
    record, _report = sweeps.run(service, trigger="api", actor=principal.name)
    return _run(record)
