"""Scans over the admin API (scopes ``scans:read`` and ``scans:write``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from custos.discovery import service as scans
from custos.discovery.models import Scan
from custos.service.auth import Principal
from custos.service.http.api.deps import ServiceDep, require

router = APIRouter(prefix="/v1/admin/scans", tags=["discovery"])
ReadScans = Annotated[Principal, Depends(require("scans:read"))]
WriteScans = Annotated[Principal, Depends(require("scans:write"))]
ScanId = Annotated[str, Field(min_length=1, max_length=36)]


class ScanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    systems: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        default=None, max_length=100, description="systems of the map to scan; all of them when left out")
    sample: int = Field(default=1000, ge=1, le=100_000, description="rows sampled per table")
    all_tables: bool = Field(default=False, description="also scan every table the connections can see")


class ScanProgress(BaseModel):
    done: int = 0
    total: int | None = None
    table: str | None = None


class ScanPublic(BaseModel):
    id: str
    status: str = Field(description="queued, running, done or failed")
    trigger: str
    systems: list[str]
    sample: int
    all_tables: bool
    progress: ScanProgress
    drift_count: int | None
    error: str | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ScanResult(ScanPublic):
    report: dict[str, Any] | None = Field(description="every table and column with its category, confidence, "
                                                       "evidence and a masked example")
    drift: list[dict[str, Any]] | None = Field(description="where the map and the data disagree")


def public(record: Scan) -> ScanPublic:
    return ScanPublic(id=record.id, status=record.status, trigger=record.trigger, systems=list(record.systems),
                      sample=record.sample, all_tables=record.all_tables,
                      progress=ScanProgress(**(record.progress or {})), drift_count=record.drift_count,
                      error=record.error, requested_by=record.requested_by, created_at=record.created_at,
                      started_at=record.started_at, finished_at=record.finished_at)


def full(record: Scan) -> ScanResult:
    return ScanResult(**public(record).model_dump(), report=record.report, drift=record.drift)


@router.post("", response_model=ScanPublic, status_code=202)
def start(body: ScanCreate, service: ServiceDep, principal: WriteScans) -> ScanPublic:
    """Queue a scan of the stores; its progress shows on ``GET /v1/admin/scans/{id}``."""
    return public(scans.request(service, actor=principal.name, systems=body.systems, sample=body.sample,
                                all_tables=body.all_tables))


@router.get("", response_model=list[ScanPublic])
def listed(service: ServiceDep, _: ReadScans) -> list[ScanPublic]:
    """The recent scans, newest first, without their reports."""
    return [public(r) for r in scans.recent(service)]


@router.get("/latest", response_model=ScanResult | None)
def latest(service: ServiceDep, _: ReadScans) -> ScanResult | None:
    """The last scan that finished, with its report and drift (``null`` before the first)."""
    record = scans.latest(service)
    return full(record) if record is not None else None


@router.get("/{scan_id}", response_model=ScanResult)
def read(scan_id: ScanId, service: ServiceDep, _: ReadScans) -> ScanResult:
    return full(scans.load(service, scan_id))
