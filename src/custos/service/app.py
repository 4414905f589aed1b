"""The application factory: ``create_app(settings) -> FastAPI``.

Pages (privacy center, admin console) mount as routers on the app it returns
(``app.include_router``); they reach the shared parts through ``app.state.service``.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from custos.config import Settings, get_settings
from custos.datamap import DataMap
from custos.service.api import (
    admin_router,
    install_error_handlers,
    opendsr_router,
    public_router,
    retention_router,
)
from custos.service.api.session import router as session_router
from custos.service.context import Clock, Service
from custos.service.jobs import JobRunner
from custos.service.notice_page import router as notice_router
from custos.service.security import RateLimiter, SecurityMiddleware, redact_access_log
from custos.store import now


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = now,
    datamap: DataMap | None = None,
    run_jobs: bool | None = None,
    pages: bool = True,
    extensions: bool = True,
    migrate: bool = True,
) -> FastAPI:
    """The HTTP service for ``settings``; migrates the control-plane store first.

    ``run_jobs`` starts the in-process job runner with the app (default: when
    ``CUSTOS_BROKER_URL`` is unset; when it is set, queued jobs wake Celery workers);
    tests pass ``False`` and call ``jobs.run_pending``.
    ``pages`` mounts the privacy center (``/privacy-center``) and the admin console
    (``/admin``); pass ``False`` to serve the JSON API alone. ``extensions`` installs
    consent and preferences (``custos.consent``) and the Data Rights Protocol
    (``custos.agents``) with their defaults; pass ``False`` to install them yourself.
    ``migrate=False`` leaves the schema as it is (``custos serve --workers`` migrates once,
    before its workers start).
    """
    settings = settings or get_settings()
    service = Service(settings, clock=clock, datamap=datamap, migrate=migrate)
    runs = run_jobs if run_jobs is not None else not settings.broker_url
    if settings.broker_url:
        from custos.service.celery_jobs import attach, make_celery

        attach(service, make_celery(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner = JobRunner(service) if runs else None
        if runner:
            runner.start()
        try:
            yield
        finally:
            if runner:
                runner.stop()
            service.close()

    app = FastAPI(
        title="Custos rights-request service",
        version="1.0",
        description="Rights requests (access, deletion, correction, opt-out…) answered from the data map, "
                    "on the legal clock, with an audit trail.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.run_jobs = runs
    app.add_middleware(SecurityMiddleware, limiter=RateLimiter(settings.rate_limit_per_minute))
    redact_access_log()  # package links and sign-in tokens never reach the access log
    install_error_handlers(app)
    app.include_router(public_router)
    app.include_router(session_router)
    app.include_router(admin_router)
    app.include_router(retention_router)
    app.include_router(opendsr_router)
    app.include_router(notice_router)
    if extensions:
        # they build on the service's context: imported here, once it exists
        from custos.agents import install as install_agents
        from custos.consent import install as install_consent

        install_agents(app)
        install_consent(app)
        service.consent = getattr(app.state, "consent", None)
    if pages:
        from custos.service.pages import center_router, console_router, retention_pages_router

        app.include_router(center_router)
        app.include_router(console_router)
        app.include_router(retention_pages_router)
    return app


def app_from_environment() -> FastAPI:
    """The app for one of several server processes: settings from the environment, schema
    already migrated (``uvicorn --factory custos.service.app:app_from_environment``)."""
    app = create_app(get_settings(), migrate=False)
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Take everything alive once the app is built out of the garbage collector's view.

    The cyclic collector then scans only what requests create. Without this, its full
    collections over the start-up heap (modules, mappers, compiled statements) paused a
    busy server for tens of milliseconds and made most of its p99 latency. For a server
    process, after the app is built; objects it frees later are still freed.
    """
    gc.collect()
    gc.freeze()
