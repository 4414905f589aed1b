"""Consent and preferences: consent records with proof, GPC and DNT, the banner, email
preferences (double opt-in, topics, suppression, RFC 8058 one-click) and webhooks.

``install(app)`` adds it all to the service's app: the routes of ``consent_router``, the
banner's static files under ``/consent/static`` and the webhook dispatcher.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from custos.consent import models as models
from custos.consent.admin_api import router as _admin_router
from custos.consent.api import router as _public_router
from custos.consent.context import Consent, attach
from custos.consent.email.api import router as _email_router
from custos.consent.email.pages import router as _email_pages
from custos.consent.proof import consent_history, export, history_for_identities
from custos.consent.records import Choice, current_state, link, record
from custos.consent.settings import ConsentSettings
from custos.consent.webhooks import Dispatcher

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/consent/static"

consent_router = APIRouter()
consent_router.include_router(_public_router)
consent_router.include_router(_admin_router)
consent_router.include_router(_email_router)
consent_router.include_router(_email_pages)


def install(app: FastAPI, *, settings: ConsentSettings | None = None) -> None:
    """Add consent to the service's ``app`` (built by ``custos.service.app.create_app``)."""
    consent = attach(app, settings)
    app.include_router(consent_router)
    # The banner's calls are the busiest on the app: match them first. No other route
    # shares their paths, so the order changes nothing else.
    app.router.routes.insert(0, app.router.routes.pop())
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="consent-static")
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        dispatcher = Dispatcher(consent) if consent.settings.webhook_worker else None
        if dispatcher:
            dispatcher.start()
        try:
            async with inner(application) as state:
                try:
                    yield state
                finally:
                    consent.stop()  # writes what is queued before the service closes its store
        finally:
            if dispatcher:
                dispatcher.stop()

    app.router.lifespan_context = lifespan


__all__ = [
    "Choice",
    "Consent",
    "ConsentSettings",
    "consent_history",
    "consent_router",
    "current_state",
    "export",
    "history_for_identities",
    "install",
    "link",
    "record",
]
