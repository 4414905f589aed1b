"""The Data Rights Protocol as a plug-in: its routes, and the status callbacks it owes agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custos.hooks import Task, hookimpl

if TYPE_CHECKING:
    from fastapi import FastAPI

    from custos.service.core import Service


@hookimpl
def custos_install(app: FastAPI, service: Service) -> None:
    from custos.agents import install

    install(app)


@hookimpl
def custos_tasks(service: Service) -> list[Task]:
    """Authorized agents' status callbacks follow the requests' state, not a queue: sweep for
    changes and deliver what is due, beside the jobs."""
    from custos.agents import callbacks

    return [Task("custos-agent-callbacks", lambda: callbacks.run_pending(service), 2.0)]
