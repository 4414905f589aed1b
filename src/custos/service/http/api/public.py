"""Public endpoints: a person makes a request, confirms it, follows it, downloads the answer."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi import Request as HttpRequest
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from custos.controlplane import Request
from custos.service import accounts, languages, packages
from custos.service.core import Service
from custos.service.errors import NotFoundError
from custos.service.http.api.deps import ServiceDep
from custos.service.http.api.schemas import (
    ErrorBody,
    PackageLink,
    RequestCreate,
    RequestPublic,
    RequestReceipt,
    VerificationFields,
    VerificationSubmit,
)
from custos.service.requests import verification
from custos.service.requests.intake import Intake, create
from custos.service.requests.records import send
from custos.service.vault import same, sha256_hex

router = APIRouter(prefix="/v1", tags=["public"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (400, 404, 409, 410, 422, 429)
}


@router.post("/requests", status_code=202, response_model=RequestReceipt,
             responses={**ERRORS, 401: ERRORS[400]})
async def create_request(
    body: RequestCreate,
    http: HttpRequest,
    x_account_token: Annotated[str | None, Header(
        min_length=1, max_length=accounts.TOKEN_LENGTH,
        description="The company site's signed assertion of a signed-in customer (docs/service.md): "
                    "the request is verified through the account, no code needed")] = None,
) -> Response:
    """Make a request. The answer is the same whether or not the identity is known.

    Requests that arrive together are recorded in one transaction; the answer comes once
    this one is committed and its mail is sent. With ``X-Account-Token``, the identities are
    the token's (an email, phone or other identity in the body must be the account's own,
    else 400); a token that fails a check answers 401 (400 where account tokens are not
    accepted) naming the check, and nothing is stored.
    """
    service: Service = http.app.state.service  # a busy endpoint: no dependency to solve
    identities = dict(body.identities)
    if body.email:
        identities["email"] = body.email
    if body.phone:
        identities["phone"] = body.phone
    intake = Intake(
        type=body.type, identities=identities, jurisdiction=body.jurisdiction,
        # an agent named here is only declared (its permission is stored for the operator to
        # check): it is never recorded as a registered agent, which speaks the Data Rights Protocol
        source="declared_agent" if body.agent else "api", corrections=body.corrections,
        appeal_of=str(body.appeal_of) if body.appeal_of else None, appeal_token=body.appeal_token,
        statement=body.statement, agent_id=f"declared:{body.agent.name}"[:200] if body.agent else None,
        agent_permission=body.agent.permission if body.agent else None,
        language=languages.choose(service.datamap, body.language, http.headers.get("accept-language")),
    )
    if x_account_token is not None:
        signed_in = await run_in_threadpool(accounts.check, service, x_account_token, source="api")
        request, token = await run_in_threadpool(accounts.create_verified, service, signed_in, intake)
    else:
        request, token, _mails = await asyncio.wrap_future(service.intake.submit(intake))
    # built from the model: serialized once, without a second check
    return Response(shaped(request, token).model_dump_json(), status_code=202, media_type="application/json")


def receipt(service: Service, intake: Intake) -> RequestReceipt:
    """Create the request, send its mail, and shape the answer (shared with the pages)."""
    request, token, mails = create(service, intake)
    send(service, mails)
    return shaped(request, token)


def shaped(request: Request, token: str) -> RequestReceipt:
    """The answer to a new request: its id, the token to follow it, and what is needed next."""
    needs = {"none": "nothing more", "two_points": "the code sent by mail and one more detail we hold",
             "three_points_signed": "the code sent by mail, two more details we hold and a signed declaration"}
    return RequestReceipt(
        id=request.id, token=token, status=request.status, type=request.type,
        jurisdiction=request.jurisdiction, received_at=request.received_at, due_at=request.due_at,
        verification=needs.get(request.verification_level, request.verification_level)
        if request.status == "identity_unverified" else "nothing more",
    )


@router.post("/requests/{request_id}/verify", response_model=RequestPublic, responses=ERRORS)
def verify_request(request_id: UUID, body: VerificationSubmit, service: ServiceDep) -> RequestPublic:
    """Confirm a request with the mailed code and, where needed, data points and a declaration."""
    declaration = (verification.Declaration(body.declaration.signed_name, body.declaration.accepted)
                   if body.declaration else None)
    request = verification.submit(service, str(request_id), code=body.code, data_points=body.data_points,
                                  declaration=declaration)
    return public_view(service, request)


@router.post("/requests/{request_id}/code", status_code=202, responses=ERRORS)
def resend_code(request_id: UUID, service: ServiceDep) -> dict[str, str]:
    """Send a new code (the earlier one stops working)."""
    verification.resend_code(service, str(request_id))
    return {"status": "sent"}


@router.get("/requests/{request_id}", response_model=RequestPublic, responses=ERRORS)
def read_request(
    request_id: UUID,
    service: ServiceDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    x_request_token: Annotated[str | None, Header(max_length=200)] = None,
) -> RequestPublic:
    """The request's status, for the holder of its token."""
    given = x_request_token or token or ""
    with service.plane.read() as session:
        request = session.get(Request, str(request_id))
        if request is None or not same(request.token_hash, sha256_hex(given)):
            raise NotFoundError("no such request")
    return public_view(service, request)


@router.get("/verification/fields", response_model=VerificationFields)
def verification_fields(service: ServiceDep) -> VerificationFields:
    """The details a person may give to confirm who they are."""
    return VerificationFields(fields=verification.eligible_fields(service))


@router.get("/packages/{token}", responses={**ERRORS, 200: {"content": {"application/zip": {}}}})
def download_package(token: str, service: ServiceDep) -> Response:
    """The access package (a zip), while the link is valid and has downloads left."""
    content, request_id = packages.download(service, token)
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="custos-{request_id[:8]}.zip"'})


def public_view(service: Service, request: Request) -> RequestPublic:
    link = packages.latest_link(service, request.id) if request.status == "completed" else None
    return RequestPublic(
        id=request.id, type=request.type, jurisdiction=request.jurisdiction, status=request.status,
        extended=request.extended, received_at=request.received_at, due_at=request.due_at,
        decided_at=request.decided_at, answered_as=request.answered_as, denial_reason=request.denial_reason,
        denial_exception=request.denial_exception, extension_notice=request.extension_notice,
        package=PackageLink.model_validate(link) if link else None,
    )
