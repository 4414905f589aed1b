"""Authorized agents over the Data Rights Protocol 0.9.4: Custos as a Privacy Infrastructure
Provider.

``install(app)`` adds the DRP endpoints (``agents_router``), the admin endpoints for the
trusted agents, the agents of ``CUSTOS_AGENTS_FILE``, and the status-callback runner to an
app made by ``custos.service.create_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from custos.agents import registry
from custos.agents.admin import router as agents_admin_router
from custos.agents.callbacks import CallbackRunner
from custos.agents.router import AgentsState
from custos.agents.router import router as agents_router
from custos.service.context import Service

__all__ = ["agents_admin_router", "agents_router", "install"]


def install(app: FastAPI, *, deliver_callbacks: bool | None = None) -> None:
    """Serve DRP on ``app``; ``deliver_callbacks`` runs the callback thread with the app
    (default: when the app runs its jobs in-process, as ``create_app`` decides)."""
    service: Service = app.state.service
    parsed = registry.read_file(service.settings.agents_file)
    registry.sync(service, parsed)
    app.state.agents = AgentsState(parsed.business)
    app.include_router(agents_router)
    app.include_router(agents_admin_router)
    from custos.agents.console import router as console_router

    app.include_router(console_router)
    if deliver_callbacks is None:
        deliver_callbacks = bool(getattr(app.state, "run_jobs", not service.settings.broker_url))
    if deliver_callbacks:
        _run_callbacks_with(app, service)


def _run_callbacks_with(app: FastAPI, service: Service) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            runner = CallbackRunner(service)
            runner.start()
            try:
                yield state
            finally:
                runner.stop()

    app.router.lifespan_context = lifespan
