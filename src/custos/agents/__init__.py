"""Authorized agents over the Data Rights Protocol 0.9.4 and 1.0: Custos as a Privacy
Infrastructure Provider.

``install(app)`` adds the DRP endpoints (``agents_router``), the admin endpoints for the
trusted agents and the agents of ``CUSTOS_AGENTS_FILE`` to an app made by
``custos.service.http.app.build_app``. The plug-in (``custos.agents.plugin``) calls it when
``custos.server.create_app`` builds the app, and runs the status-callback sweep as a task
wherever jobs run.
"""

from __future__ import annotations

from fastapi import FastAPI

from custos.agents import registry
from custos.agents.admin import router as agents_admin_router
from custos.agents.pages import router as console_router
from custos.agents.public import AgentsState
from custos.agents.public import router as agents_router
from custos.service.core import Service

__all__ = ["agents_admin_router", "agents_router", "install"]


def install(app: FastAPI) -> None:
    """Serve DRP on ``app``."""
    service: Service = app.state.service
    parsed = registry.read_file(service.settings.agents_file)
    registry.sync(service, parsed)
    app.state.agents = AgentsState(parsed.business)
    app.include_router(agents_router)
    app.include_router(agents_admin_router)
    app.include_router(console_router)
