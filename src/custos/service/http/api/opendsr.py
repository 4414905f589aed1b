"""OpenDSR 1.0 endpoints (and the legacy OpenGDPR names): discovery, create, status, cancel.

Controllers authenticate with an API key holding the ``opendsr`` scope; their requests
arrive verified by the controller. Answers carry the processor's signature.
"""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from custos.controlplane import Request as StoredRequest
from custos.service.core import Service
from custos.service.errors import ConflictError, InvalidRequestError, NotFoundError
from custos.service.http.api.deps import OpenDsrCaller, ServiceDep
from custos.service.http.api.schemas import ErrorBody, OpenDsrCreate
from custos.service.opendsr import (
    API_VERSION,
    IDENTITY_TYPES,
    REQUEST_TYPES,
    encode,
    signer,
    status_body,
)
from custos.service.outbound import url_refusal
from custos.service.requests import decisions
from custos.service.requests import intake as intakes
from custos.service.requests.intake import Intake
from custos.service.requests.records import send

router = APIRouter(prefix="/v1", tags=["opendsr"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 422)}
COLLECTIONS = ("opencompliance_requests", "opengdpr_requests")


def signed(service: Service, body: dict[str, Any], status: int = 200, *, embed: bool = False) -> Response:
    payload = encode(body)
    headers = signer(service).headers(payload)
    if embed:
        payload = encode({**body, "processor_signature": headers["X-OpenDSR-Signature"]})
    return Response(payload, status_code=status, media_type="application/json", headers=headers)


@router.get("/discovery")
def discovery(service: ServiceDep) -> Response:
    """What this processor supports, and where its certificate is."""
    return signed(service, {
        "api_version": API_VERSION,
        "supported_api_versions": [API_VERSION],
        "supported_subject_request_types": list(REQUEST_TYPES),
        "supported_identities": [{"identity_type": t, "identity_format": "raw"} for t in IDENTITY_TYPES],
        "supported_regulations": [j for j in ("gdpr", "ccpa") if j in service.jurisdictions],
        "processor_certificate": service.link("/v1/opendsr/certificate.pem"),
    })


@router.get("/status")
def health(service: ServiceDep) -> dict[str, str]:
    """Whether the processor is up."""
    return {"status": "ok", "api_version": API_VERSION}


@router.get("/opendsr/certificate.pem", response_class=Response)
def certificate(service: ServiceDep) -> Response:
    """The certificate whose key signs responses and callbacks."""
    return Response(signer(service).certificate, media_type="application/x-pem-file")


def create(body: OpenDsrCreate, raw: bytes, service: Service, controller: str) -> Response:
    identities: dict[str, list[str]] = {}
    for identity in body.subject_identities:
        if identity.identity_format != "raw":
            raise InvalidRequestError("only raw identities are supported: hashed ones cannot be matched")
        kind = IDENTITY_TYPES.get(identity.identity_type)
        if kind is None:
            raise InvalidRequestError(f"unsupported identity_type {identity.identity_type!r}")
        identities.setdefault(kind, []).append(identity.identity_value)
    if any(len(v) > 1 for v in identities.values()):
        raise InvalidRequestError("give one value per identity type")
    for url in body.status_callback_urls or []:
        refusal = url_refusal(url, what="status_callback_url")
        if refusal is not None:
            raise InvalidRequestError(f"{refusal} (CUSTOS_OUTBOUND_HOSTS)")
    with service.plane.read() as session:
        if session.scalars(sa.select(StoredRequest.id).where(
                StoredRequest.agent_id == controller,
                StoredRequest.external_ref == str(body.subject_request_id))).first():
            raise ConflictError("you sent a request with this subject_request_id already")
    jurisdiction = body.regulation if body.regulation in service.jurisdictions else None
    intake = Intake(
        type=body.subject_request_type, identities={k: v[0] for k, v in identities.items()},
        jurisdiction=jurisdiction, source="opendsr", agent_id=controller,
        external_id=str(body.subject_request_id), callback_urls=body.status_callback_urls, pre_verified=True)
    request, _token, mails = intakes.create(service, intake)
    send(service, mails)
    return signed(service, {
        "controller_id": controller, "subject_request_id": str(body.subject_request_id),
        "received_time": request.received_at, "expected_completion_time": request.due_at,
        "encoded_request": base64.b64encode(raw).decode(),
    }, 201, embed=True)


def find(service: Service, subject_request_id: UUID, controller: str) -> StoredRequest:
    with service.plane.read() as session:
        request = session.scalars(sa.select(StoredRequest).where(
            StoredRequest.agent_id == controller,
            sa.or_(StoredRequest.external_ref == str(subject_request_id),
                   StoredRequest.external_id == str(subject_request_id)))).first()
        if request is None:
            raise NotFoundError("no such request")
        return request


for _collection in COLLECTIONS:

    @router.post(f"/{_collection}", status_code=201, responses=ERRORS, name=f"create_{_collection}")
    async def create_request(body: OpenDsrCreate, http: Request, service: ServiceDep,
                             caller: OpenDsrCaller) -> Response:
        """Create a request on behalf of a controller that has verified the person."""
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(create, body, await http.body(), service, caller.name)

    @router.get(f"/{_collection}/{{subject_request_id}}", responses=ERRORS, name=f"status_{_collection}")
    def request_status(subject_request_id: UUID, service: ServiceDep, caller: OpenDsrCaller) -> Response:
        """The request's OpenDSR status."""
        return signed(service, status_body(service, find(service, subject_request_id, caller.name)))

    @router.delete(f"/{_collection}/{{subject_request_id}}", status_code=202, responses=ERRORS,
                   name=f"cancel_{_collection}")
    def cancel_request(subject_request_id: UUID, service: ServiceDep, caller: OpenDsrCaller) -> Response:
        """Cancel a request while it is pending."""
        request = find(service, subject_request_id, caller.name)
        decisions.cancel(service, request.id, actor=caller.name)
        moment = service.clock()
        return signed(service, {"controller_id": caller.name, "subject_request_id": str(subject_request_id),
                                "received_time": moment, "api_version": API_VERSION}, 202, embed=True)
