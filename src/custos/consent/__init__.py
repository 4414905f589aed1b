"""Consent and preferences: consent records with proof, GPC and DNT, the banner, email
preferences (double opt-in, topics, suppression, RFC 8058 one-click) and webhooks.

``install(app)`` adds it all to the service's app: the routes of ``consent_router``, the
banner's static files under ``/consent/static`` and the webhook dispatcher. The plug-in
(``custos.consent.plugin``) calls it when ``custos.server.create_app`` builds the app, and
records the choices made by rights requests (opt-out, withdrawal, objection to marketing).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from custos.consent import models as models
from custos.consent.admin import router as _admin_router
from custos.consent.context import Consent, attach
from custos.consent.email.pages import router as _email_pages
from custos.consent.email.public import router as _email_router
from custos.consent.proof import consent_history, export, history_for_identities
from custos.consent.public import router as _public_router
from custos.consent.records import Choice, current_state, link, record
from custos.consent.settings import ConsentSettings
from custos.consent.webhooks import Dispatcher
from custos.service.http.app import on_shutdown, on_startup

STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/consent/static"

consent_router = APIRouter()
consent_router.include_router(_public_router)
consent_router.include_router(_admin_router)
consent_router.include_router(_email_router)
consent_router.include_router(_email_pages)


def install(app: FastAPI, *, settings: ConsentSettings | None = None) -> None:
    """Add consent to the service's ``app`` (built by ``custos.service.http.app.build_app``)."""
    consent = attach(app, settings)
    app.include_router(consent_router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="consent-static")
    if consent.settings.webhook_worker:
        dispatcher = Dispatcher(consent)
        on_startup(app, dispatcher.start)
        on_shutdown(app, dispatcher.stop)
    on_shutdown(app, consent.stop)  # writes what is queued before the service closes its store


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
