"""The service's own app: its routes, its pages, its job runner, and the places where the
plug-ins' background work starts and stops.

``build_app(service)`` returns the FastAPI app of the rights-request service alone;
``custos.server.create_app`` is the composition root that adds the plug-ins to it. A
plug-in that runs a thread with the app registers it with ``on_startup`` and
``on_shutdown`` instead of wrapping the app's lifespan; polled work that must run wherever
jobs run is a ``custos.hooks.Task``, run here when the app runs its jobs in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI

from custos import plugins
from custos.hooks import Task
from custos.service.core import Service
from custos.service.http import openapi
from custos.service.http.api import (
    admin_router,
    install_error_handlers,
    opendsr_router,
    public_router,
    retention_router,
)
from custos.service.http.api.session import router as session_router
from custos.service.http.notice import router as notice_router
from custos.service.http.security import RateLimiter, SecurityMiddleware, redact_access_log
from custos.service.work.jobs import JobRunner
from custos.service.work.polling import Poller


@dataclass
class Lifecycle:
    """What starts with the app and stops with it, in registration order (stopped in reverse)."""

    startup: list[Callable[[], None]] = field(default_factory=list)
    shutdown: list[Callable[[], None]] = field(default_factory=list)


def lifecycle(app: FastAPI) -> Lifecycle:
    found: Lifecycle = app.state.lifecycle
    return found


def on_startup(app: FastAPI, call: Callable[[], None]) -> None:
    """Run ``call`` when the app starts (after the job runner)."""
    lifecycle(app).startup.append(call)


def on_shutdown(app: FastAPI, call: Callable[[], None]) -> None:
    """Run ``call`` when the app stops, before the job runner stops and the service closes."""
    lifecycle(app).shutdown.append(call)


def task_runners(service: Service) -> list[Poller]:
    """A background thread for each plug-in task (``custos.hooks.Task``)."""
    tasks: list[Task] = [task for found in plugins.hook().custos_tasks(service=service) for task in found or []]
    return [Poller(task.name, task.work, task.interval) for task in tasks]


def build_app(service: Service, *, run_jobs: bool, pages: bool = True) -> FastAPI:
    """The HTTP service over ``service``: JSON API, notice, and (with ``pages``) the privacy
    center and admin console. With ``run_jobs`` the job runner and the plug-ins' tasks run
    in threads of the app; otherwise queued jobs wait for ``custos worker`` (or a test's
    ``jobs.run_pending``)."""

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        runners: list[Poller] = [JobRunner(service), *task_runners(service)] if run_jobs else []
        for runner in runners:
            runner.start()
        stages = lifecycle(application)
        try:
            for call in stages.startup:
                call()
            yield
        finally:
            try:
                for call in reversed(stages.shutdown):
                    call()
            finally:
                for runner in reversed(runners):
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
    app.state.run_jobs = run_jobs
    app.state.lifecycle = Lifecycle()
    app.add_middleware(SecurityMiddleware, limiter=RateLimiter(service.settings.rate_limit_per_minute))
    redact_access_log()  # package links and sign-in tokens never reach the access log
    install_error_handlers(app)
    openapi.install(app)
    app.include_router(public_router)
    app.include_router(session_router)
    app.include_router(admin_router)
    app.include_router(retention_router)
    app.include_router(opendsr_router)
    app.include_router(notice_router)
    if pages:
        from custos.service.http.pages import center_router, console_router, retention_pages_router

        app.include_router(center_router)
        app.include_router(console_router)
        app.include_router(retention_pages_router)
    return app
