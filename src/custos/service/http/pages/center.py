"""The privacy center: make a request, confirm it with the mailed code, follow it, download."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import selectinload

from custos.controlplane import Request as StoredRequest
from custos.rules import RequestType, request_types, rule_set
from custos.service import accounts, languages
from custos.service.core import Service
from custos.service.errors import NotFoundError, ServiceError
from custos.service.http.api.deps import ServiceDep
from custos.service.http.api.public import receipt
from custos.service.http.pages.rendering import check_form_token, render
from custos.service.packages import latest_link
from custos.service.requests import verification
from custos.service.requests.intake import Intake
from custos.service.requests.lifecycle import label
from custos.service.requests.records import email_of
from custos.service.vault import same, sha256_hex

router = APIRouter(prefix="/privacy-center", include_in_schema=False)
FormText = Annotated[str, Form(max_length=2000)]


def choices(service: Service) -> list[tuple[str, str]]:
    """The request types at least one of the organization's jurisdictions provides for."""
    kinds = request_types()
    covered = {kind for key in service.jurisdictions for kind in kinds if rule_set(key).covers(kind)}
    return [(kind, spec.label) for kind, spec in kinds.items() if kind in covered and kind != RequestType.APPEAL]


def correctable(service: Service) -> list[tuple[str, str]]:
    """The fields a person may ask to correct, with a label for people (not a column name)."""
    found = []
    for info, data_field in service.datamap.personal_fields():
        if data_field.primary_key or data_field.references is not None:
            continue
        label = data_field.description or data_field.name.replace("_", " ")
        found.append((f"{info.qualified}.{data_field.name}",
                      f"{label[:1].upper()}{label[1:]} ({info.name.replace('_', ' ')})"))
    return found


def home_page(
    request: Request, service: Service, error: str | None = None, status: int = 200,
    signed_in: accounts.SignedIn | None = None, account_token: str = "",
) -> HTMLResponse:
    """The request form; for a customer the company's site signed in, with the account's email and token."""
    organization = service.datamap.organization
    return render(request, "center_home.html.j2", status, organization=organization, types=choices(service),
                  jurisdictions=service.jurisdictions, error=error, correctable=correctable(service),
                  signed_in_email=signed_in.email if signed_in else None,
                  account_token=account_token if signed_in else "")


def _sign_in_refused(request: Request, service: Service, error: ServiceError) -> HTMLResponse:
    return home_page(request, service, f"Your sign-in could not be used: {error.message}. You can sign in again "
                                       "on our site, or make the request with your email address (we send a code).",
                     error.status)


@router.get("", response_class=HTMLResponse)
def home(
    request: Request, service: ServiceDep,
    account_token: Annotated[str, Query(max_length=accounts.TOKEN_LENGTH)] = "",
) -> HTMLResponse:
    """The form to make a request; with ``account_token`` (from the company's site), no code is needed."""
    if not account_token:
        return home_page(request, service)
    try:
        signed_in = accounts.check(service, account_token, source="privacy_center")
    except ServiceError as exc:
        return _sign_in_refused(request, service, exc)
    return home_page(request, service, signed_in=signed_in, account_token=account_token)


@router.post("/requests", response_class=HTMLResponse)
def submit(
    request: Request, service: ServiceDep, type: FormText, email: FormText, csrf_token: FormText = "",
    jurisdiction: FormText = "", account_token: Annotated[str, Form(max_length=accounts.TOKEN_LENGTH)] = "",
    correct_field: FormText = "", correct_value: FormText = "",
) -> Response:
    """Make the request, then show its page."""
    check_form_token(request, csrf_token)
    corrections = {}
    if type == RequestType.CORRECTION.value:
        if not correct_field or not correct_value.strip():
            return home_page(request, service, "For a correction, choose the information that is wrong and "
                                               "write what it should say.", 422)
        corrections = {correct_field: correct_value.strip()}
    intake = Intake(type=type, identities={"email": email}, jurisdiction=jurisdiction or None,
                             source="privacy_center", corrections=corrections,
                             language=languages.choose(service.datamap, None, request.headers.get("accept-language")))
    if account_token:
        return _submit_signed_in(request, service, intake, account_token)
    try:
        made = receipt(service, intake)
    except ServiceError as exc:
        return home_page(request, service, exc.message, exc.status)
    return RedirectResponse(f"/privacy-center/requests/{made.id}?token={made.token}", status_code=303)


def _submit_signed_in(request: Request, service: Service, intake: Intake, account_token: str) -> Response:
    try:
        signed_in = accounts.check(service, account_token, source="privacy_center")
    except ServiceError as exc:
        return _sign_in_refused(request, service, exc)
    try:
        made, token = accounts.create_verified(service, signed_in, intake)
    except accounts.AccountMismatchError as exc:
        return _sign_in_refused(request, service, exc)
    except ServiceError as exc:
        return home_page(request, service, exc.message, exc.status, signed_in=signed_in, account_token=account_token)
    return RedirectResponse(f"/privacy-center/requests/{made.id}?token={token}", status_code=303)


def _load(service: Service, request_id: UUID, token: str) -> StoredRequest | None:
    """The request whose page ``token`` opens, with its identities (for the mail address)."""
    with service.plane.read() as session:
        stored = session.get(StoredRequest, str(request_id), options=[selectinload(StoredRequest.identities)])
        if stored is None or not token or not same(stored.token_hash, sha256_hex(token)):
            return None
        return stored


def status_page(
    request: Request, service: Service, request_id: UUID, token: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    stored = _load(service, request_id, token)
    package = latest_link(service, stored.id) if stored and stored.status == "completed" else None
    appealable = bool(stored and stored.type != RequestType.APPEAL.value and stored.status in ("denied", "completed")
                      and rule_set(stored.jurisdiction).covers(RequestType.APPEAL))
    return render(request, "center_status.html.j2", status, organization=service.datamap.organization,
                  request_id=str(request_id), token=token, stored=stored, package=package, error=error,
                  label=label(stored) if stored else "", appealable=appealable,
                  fields=verification.eligible_fields(service))


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def show(
    request: Request, request_id: UUID, service: ServiceDep, token: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    """The request's status for the holder of its token; otherwise the form to enter the code."""
    return status_page(request, service, request_id, token)


@router.post("/requests/{request_id}/verify", response_class=HTMLResponse)
async def verify(request: Request, request_id: UUID, service: ServiceDep) -> Response:
    """Confirm the request with the mailed code and the details asked for."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    check_form_token(request, text.get("csrf_token"))
    token = text.get("token", "")[:200]
    points = {k.removeprefix("dp:"): v for k, v in text.items() if k.startswith("dp:") and v.strip()}
    declaration = None
    if text.get("signed_name", "").strip():
        declaration = verification.Declaration(text["signed_name"][:200], text.get("declare") == "yes")
    code = text.get("code", "").strip()
    try:
        if not (len(code) == 6 and code.isdigit()):
            raise ServiceError("the code has 6 digits")
        await run_in_threadpool(verification.submit, service, str(request_id), code=code,
                                data_points=dict(list(points.items())[:20]), declaration=declaration)
    except NotFoundError:
        return status_page(request, service, request_id, token, "No request matches this link.", 404)
    except ServiceError as exc:
        return status_page(request, service, request_id, token, exc.message, exc.status)
    suffix = f"?token={token}" if token else ""
    return RedirectResponse(f"/privacy-center/requests/{request_id}{suffix}", status_code=303)


@router.post("/requests/{request_id}/appeal", response_class=HTMLResponse)
def appeal(
    request: Request, request_id: UUID, service: ServiceDep, token: FormText = "", statement: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Appeal a decided request from its page: the page's token proves it is the person's."""
    check_form_token(request, csrf_token)
    stored = _load(service, request_id, token[:200])
    if stored is None:
        return status_page(request, service, request_id, token, "No request matches this link.", 404)
    email = email_of(service, stored)
    if not statement.strip():
        return status_page(request, service, request_id, token, "Tell us why you disagree with the decision.", 422)
    intake = Intake(type=RequestType.APPEAL.value, identities={"email": email or ""},
                             appeal_of=str(request_id), appeal_token=token[:200], statement=statement.strip(),
                             source="privacy_center")
    try:
        made = receipt(service, intake)
    except ServiceError as exc:
        return status_page(request, service, request_id, token, exc.message, exc.status)
    return RedirectResponse(f"/privacy-center/requests/{made.id}?token={made.token}", status_code=303)
