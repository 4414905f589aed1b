"""The breach register over the admin API (scopes ``breaches:read`` and ``breaches:write``)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from custos.breaches import notices, register
from custos.breaches.models import Breach
from custos.service.auth import Principal
from custos.service.core import Service
from custos.service.http.api.deps import ServiceDep, require
from custos.service.http.api.schemas import Moment

router = APIRouter(prefix="/v1/admin/breaches", tags=["breaches"])
ReadBreaches = Annotated[Principal, Depends(require("breaches:read"))]
WriteBreaches = Annotated[Principal, Depends(require("breaches:write"))]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class BreachCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: Text
    aware_at: Moment = Field(description="when the company became aware of it (the 72 hours start here)")
    detected_at: Moment | None = None
    targets: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        min_length=1, max_length=100, description="system:KEY, dataset:KEY or dataset.collection")
    encrypted: StrictBool = False
    consequences: Annotated[str, Field(max_length=2000)] | None = None
    measures: Annotated[str, Field(max_length=2000)] | None = None


class AuthorityNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    late_reason: Annotated[str, Field(max_length=2000)] | None = None


class BreachPublic(BaseModel):
    id: str
    summary: str
    detected_at: datetime
    aware_at: datetime
    targets: list[str]
    collections: list[str]
    categories: list[dict[str, Any]]
    jurisdictions: list[str]
    encrypted: bool
    people_count: int | None
    records_count: int | None
    count_approximate: bool
    authority_due_at: datetime | None
    hours_left: float | None = Field(description="until the authority's deadline; negative once it passed")
    authority_notified_at: datetime | None
    late_reason: str | None
    people_notice: str | None
    people_notified: int
    status: str


def public(service: Service, breach: Breach) -> BreachPublic:
    left = None
    if breach.authority_due_at is not None and breach.authority_notified_at is None:
        left = round((breach.authority_due_at - service.clock()).total_seconds() / 3600, 1)
    return BreachPublic(
        id=breach.id, summary=breach.summary, detected_at=breach.detected_at, aware_at=breach.aware_at,
        targets=list(breach.targets), collections=list(breach.collections), categories=list(breach.categories),
        jurisdictions=list(breach.jurisdictions), encrypted=breach.encrypted, people_count=breach.people_count,
        records_count=breach.records_count, count_approximate=breach.count_approximate,
        authority_due_at=breach.authority_due_at, hours_left=left,
        authority_notified_at=breach.authority_notified_at, late_reason=breach.late_reason,
        people_notice=breach.people_notice, people_notified=breach.people_notified, status=breach.status)


@router.post("", response_model=BreachPublic, status_code=201)
def record(body: BreachCreate, service: ServiceDep, principal: WriteBreaches) -> BreachPublic:
    """Enter a breach; the categories and the authority's deadline come from the map."""
    return public(service, register.record(
        service, summary=body.summary, aware_at=body.aware_at, detected_at=body.detected_at, targets=body.targets,
        encrypted=body.encrypted, actor=principal.name, consequences=body.consequences, measures=body.measures))


@router.get("", response_model=list[BreachPublic])
def listed(service: ServiceDep, _: ReadBreaches) -> list[BreachPublic]:
    """The register, newest first, with the hours left for the authority."""
    return [public(service, b) for b in register.all_breaches(service)]


@router.get("/export", responses={200: {"description": "the register as JSON, or (``format=csv``) CSV",
                                         "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}}})
def export(service: ServiceDep, _: ReadBreaches,
           format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response:
    """The register as the documentation GDPR Art. 33(5) asks for."""
    rows = [public(service, b).model_dump(mode="json") for b in register.all_breaches(service)]
    if format == "json":
        import json

        return Response(json.dumps(rows, indent=2), media_type="application/json")
    out = io.StringIO()
    fields = list(BreachPublic.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (";".join(c["key"] if isinstance(c, dict) else str(c) for c in v)
                             if isinstance(v, list) else v) for k, v in row.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/{breach_id}", response_model=BreachPublic)
def read(breach_id: str, service: ServiceDep, _: ReadBreaches) -> BreachPublic:
    return public(service, register.load(service, breach_id))


@router.post("/{breach_id}/count", response_model=BreachPublic)
def count(breach_id: str, service: ServiceDep, principal: WriteBreaches) -> BreachPublic:
    """Count the people and records affected, on the stores."""
    return public(service, register.count(service, breach_id, actor=principal.name))


@router.post("/{breach_id}/notify-people", response_model=BreachPublic, status_code=202)
def notify_people(breach_id: str, service: ServiceDep, principal: WriteBreaches) -> BreachPublic:
    """Queue a mail to each person affected whose email the stores hold."""
    return public(service, notices.start(service, breach_id, actor=principal.name))


@router.post("/{breach_id}/authority", response_model=BreachPublic)
def authority(breach_id: str, body: AuthorityNotice, service: ServiceDep, principal: WriteBreaches) -> BreachPublic:
    """Record that the supervisory authority was told (with the reasons, when late)."""
    return public(service, register.notify_authority(service, breach_id, actor=principal.name,
                                                     late_reason=body.late_reason))


@router.get("/{breach_id}/authority-draft", response_class=Response,
            responses={200: {"description": "the draft, as text", "content": {"text/plain": {"schema": {"type": "string"}}}}})
def draft(breach_id: str, service: ServiceDep, _: ReadBreaches) -> Response:
    """The notification to the authority with the contents of GDPR Art. 33(3), as text."""
    return Response(register.authority_draft(service, register.load(service, breach_id)),
                    media_type="text/plain; charset=utf-8")
