"""Public consent endpoints: record and read choices, banner settings, GPC, sign-in links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from custos.consent import records
from custos.consent.context import Consent, get_consent
from custos.consent.cors import add_cors, preflight
from custos.consent.purposes import banner_purposes
from custos.consent.schemas import (
    SUBJECT_PATTERN,
    BannerConfig,
    ConsentCreate,
    ConsentPublic,
    PurposePublic,
    PurposeStatePublic,
    SubjectLinkCreate,
    SubjectLinkPublic,
)
from custos.consent.signals import gpc_resource, opt_out_signal
from custos.consent.submission import submit
from custos.consent.texts import texts_for
from custos.service.api.deps import WriteRequests
from custos.service.api.schemas import ErrorBody

ConsentDep = Annotated[Consent, Depends(get_consent)]
router = APIRouter(tags=["consent"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (400, 401, 403, 422)}


def answer(consent: Consent, subject: str, state: dict[str, records.PurposeState], *,
           signal: str | None = None, recorded: int = 0) -> ConsentPublic:
    offered = [p.key for p in consent.purposes]
    return ConsentPublic(
        subject=subject,
        choices={k: PurposeStatePublic(granted=s.granted, method=s.method, at=s.at, notice_version=s.notice_version)
                 for k, s in sorted(state.items())},
        undecided=[k for k in offered if k not in state],
        opt_out_signal=signal,
        gpc_honored=bool(signal) and all(k in state and not state[k].granted for k in consent.opt_out_keys),
        notice_version=consent.notice_version(),
        recorded=recorded,
    )


@router.post("/v1/consent", response_model=ConsentPublic, status_code=201, responses=ERRORS)
def create_consent(body: ConsentCreate, request: Request, response: Response, consent: ConsentDep) -> ConsentPublic:
    """Record a choice. ``Sec-GPC: 1`` (or ``gpc: true``) also turns off sale, sharing and targeted ads."""
    add_cors(request, response, consent.settings)
    signal = opt_out_signal(request.headers, consent.settings) or ("gpc" if body.gpc else None)
    outcome = submit(consent, subject=body.subject, choices=body.choices, method=body.method,
                     notice_version=body.notice_version, user_agent=request.headers.get("user-agent"),
                     signal=signal)
    return answer(consent, outcome.subject, outcome.state, signal=outcome.signal, recorded=outcome.recorded)


@router.get("/v1/consent", response_model=ConsentPublic, responses=ERRORS)
def read_consent(
    request: Request,
    response: Response,
    consent: ConsentDep,
    subject: Annotated[str, Query(pattern=SUBJECT_PATTERN)],
) -> ConsentPublic:
    """A subject's current choices (across devices linked to the same person)."""
    add_cors(request, response, consent.settings)
    with consent.service.plane.read() as session:
        state = records.current_state(session, records.subject_group(session, subject))
    return answer(consent, subject, state, signal=opt_out_signal(request.headers, consent.settings))


@router.options("/v1/consent", include_in_schema=False)
def consent_preflight(request: Request, consent: ConsentDep) -> Response:
    return preflight(request, consent.settings, "GET, POST")


@router.get("/v1/consent/config", response_model=BannerConfig)
def banner_config(
    request: Request,
    response: Response,
    consent: ConsentDep,
    lang: Annotated[str, Query(max_length=16)] = "",
) -> BannerConfig:
    """The banner's words (``lang``: ``en``, ``de``), purposes with descriptions, and notice version."""
    add_cors(request, response, consent.settings)
    response.headers["Cache-Control"] = "public, max-age=300"
    language, texts = texts_for(lang, consent.settings.default_language)
    return BannerConfig(
        language=language, texts=texts,
        purposes=[PurposePublic(key=p.key, name=p.name, description=p.description, opt_out=p.opt_out)
                  for p in banner_purposes(consent.service.datamap)],
        notice_version=consent.notice_version(), notice_url=consent.service.link("/privacy"),
        honor_dnt=consent.settings.honor_dnt, endpoint=consent.service.link("/v1/consent"),
    )


@router.post("/v1/consent/links", response_model=SubjectLinkPublic, responses=ERRORS)
def link_subject(body: SubjectLinkCreate, consent: ConsentDep, principal: WriteRequests) -> SubjectLinkPublic:
    """Tie a device to a signed-in person (an API key of the site's back end; never the browser)."""
    group = records.link(consent, body.subject, body.identities, actor=principal.name)
    return SubjectLinkPublic(subject=body.subject, linked_subjects=group)


@router.get("/.well-known/gpc.json")
def gpc_json(consent: ConsentDep, response: Response) -> dict[str, object]:
    """This site honors Global Privacy Control."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return gpc_resource(consent.settings)
