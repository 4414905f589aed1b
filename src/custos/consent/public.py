"""Public consent endpoints: record and read choices, banner settings, GPC, sign-in links."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from custos.consent import records
from custos.consent.context import Consent, get_consent
from custos.consent.cors import add_cors, preflight
from custos.consent.limits import check, consent_limit
from custos.consent.purposes import banner_purposes
from custos.consent.schemas import (
    SUBJECT_PATTERN,
    BannerConfig,
    ConfirmationPublic,
    ConsentCreate,
    ConsentPublic,
    PurposePublic,
    PurposeStatePublic,
    SubjectLinkCreate,
    SubjectLinkPublic,
)
from custos.consent.signals import gpc_resource, opt_out_signal
from custos.consent.submission import Outcome, Submission
from custos.consent.texts import texts_for
from custos.service.http.api.deps import WriteRequests
from custos.service.http.api.schemas import ErrorBody

ConsentDep = Annotated[Consent, Depends(get_consent)]
router = APIRouter(tags=["consent"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (400, 401, 403, 422)}


def answer(consent: Consent, subject: str, state: dict[str, records.PurposeState], *,
           signal: str | None = None, recorded: int = 0, outcome: Outcome | None = None) -> ConsentPublic:
    offered = [p.key for p in consent.purposes]
    opt_outs = consent.opt_out_keys
    wait = timedelta(days=consent.settings.reask_days)
    now = consent.service.clock()
    confirmation = outcome.confirmation if outcome else None
    # Built without validation: every value comes from the store or from checked input.
    return ConsentPublic.model_construct(
        subject=subject,
        choices={k: PurposeStatePublic.model_construct(granted=s.granted, method=s.method, at=s.at,
                                                       notice_version=s.notice_version)
                 for k, s in sorted(state.items())},
        undecided=[k for k in offered if k not in state],
        opt_out_signal=signal,
        gpc_honored=bool(signal) and all(k in state and not state[k].granted for k in opt_outs),
        notice_version=consent.notice_version(),
        recorded=recorded,
        ask_again_after={k: state[k].at + wait for k in opt_outs
                         if k in state and not state[k].granted and state[k].at + wait > now},
        age_band=outcome.age_band if outcome else None,
        confirmation_required=ConfirmationPublic.model_validate(confirmation) if confirmation else None,
        gpp_opt_outs=outcome.gpp_opt_outs if outcome else [],
    )


def json_answer(request: Request, consent: Consent, body: ConsentPublic, status: int) -> Response:
    """The answer as JSON, serialized once (the models are already checked)."""
    response = Response(body.model_dump_json(), status_code=status, media_type="application/json")
    add_cors(request, response, consent.settings)
    return response


@router.post("/v1/consent", response_model=ConsentPublic, status_code=201, responses=ERRORS)
async def create_consent(body: ConsentCreate, request: Request,
                         gpp: Annotated[str | None, Query(max_length=4096)] = None) -> Response:
    """Record a choice. ``Sec-GPC: 1`` (or ``gpc: true``) also turns off sale, sharing and targeted ads.

    ``gpp`` (in the body or the query) is an IAB GPP string whose US opt-outs are honored.
    Under 16, a grant of sale or sharing answers 202 with ``confirmation_required``; the
    same call with its ``token`` and ``confirmed_by`` records it. The answer comes once the
    choice is committed (with others that arrived at the same time).
    """
    consent: Consent = request.app.state.consent  # the busiest endpoint: no dependency to solve
    check(request, "consent")
    signal = opt_out_signal(request.headers, consent.settings) or ("gpc" if body.gpc else None)
    future = consent.recorder.submit(Submission(
        subject=body.subject, choices=body.choices, method=body.method, notice_version=body.notice_version,
        user_agent=request.headers.get("user-agent"), signal=signal, gpp=body.gpp if body.gpp is not None else gpp,
        age_band=body.age_band, confirmation=body.confirmation, confirmed_by=body.confirmed_by,
    ))
    outcome = await asyncio.wrap_future(future)
    public = answer(consent, outcome.subject, outcome.state, signal=outcome.signal, recorded=outcome.recorded,
                    outcome=outcome)
    return json_answer(request, consent, public, 202 if outcome.confirmation else 201)


def read_state(consent: Consent, subject: str) -> dict[str, records.PurposeState]:
    """The subject's current state, from memory when a recent write or read left it there."""
    cached = consent.states.get(subject)
    if cached is not None:
        return cached
    generation = consent.states.generation
    with consent.service.plane.read() as session:
        group = records.subject_group(session, subject)
        state = records.current_state(session, group)
    consent.states.put(subject, group, state, generation)
    return state


@router.get("/v1/consent", response_model=ConsentPublic, responses=ERRORS)
async def read_consent(request: Request, subject: Annotated[str, Query(pattern=SUBJECT_PATTERN)]) -> Response:
    """A subject's current choices (across devices linked to the same person), and when the
    banner may ask again about what was opted out of."""
    consent: Consent = request.app.state.consent
    check(request, "consent")
    state = consent.states.get(subject)
    if state is None:
        state = await run_in_threadpool(read_state, consent, subject)
    public = answer(consent, subject, state, signal=opt_out_signal(request.headers, consent.settings))
    return json_answer(request, consent, public, 200)


@router.options("/v1/consent", include_in_schema=False)
def consent_preflight(request: Request, consent: ConsentDep) -> Response:
    return preflight(request, consent.settings, "GET, POST")


@router.get("/v1/consent/config", response_model=BannerConfig, dependencies=[Depends(consent_limit)])
def banner_config(
    request: Request,
    response: Response,
    consent: ConsentDep,
    lang: Annotated[str, Query(max_length=16)] = "",
) -> BannerConfig:
    """The banner's words (``lang``: ``en``, ``de``), purposes with descriptions, and notice version."""
    add_cors(request, response, consent.settings)
    response.headers["Cache-Control"] = "public, max-age=300"
    language, texts = texts_for(lang, consent.settings.default_language, consent.texts)
    return BannerConfig(
        language=language, texts=texts,
        purposes=[PurposePublic(key=p.key, name=p.name, description=p.description, opt_out=p.opt_out)
                  for p in banner_purposes(consent.service.datamap)],
        notice_version=consent.notice_version(), notice_url=consent.service.link("/privacy"),
        honor_dnt=consent.settings.honor_dnt, endpoint=consent.service.link("/v1/consent"),
        reask_days=consent.settings.reask_days,
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
