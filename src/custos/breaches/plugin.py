"""The breach register as a plug-in: its routes, its job, the reminder, its commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.hooks import Task, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

    from custos.service.core import Service


@hookimpl
def custos_install(app: FastAPI, service: Service) -> None:
    from custos.breaches.admin import router as admin_router
    from custos.breaches.pages import router as pages_router

    app.include_router(admin_router)
    app.include_router(pages_router)


@hookimpl
def custos_job_handlers() -> dict[str, Any]:
    from custos.breaches.notices import JOB, run

    return {JOB: run}


@hookimpl
def custos_tasks(service: Service) -> list[Task]:
    """A day before the authority's 72 hours end, remind the privacy contact."""
    from custos.breaches.notices import remind

    return [Task("custos-breach-reminders", lambda: remind(service), 300.0)]


@hookimpl
def custos_cli(app: typer.Typer) -> None:
    from custos.breaches.cli import breach_app

    app.add_typer(breach_app, name="breach")


@hookimpl
def custos_openapi(document: dict[str, Any], service: Service) -> None:
    """A breach's targets are the map's systems, datasets and collections: the document lists them."""
    from custos.service.http.openapi import operation_body

    body = operation_body(document, "/v1/admin/breaches")
    if body is not None:
        datamap = service.datamap
        body["properties"]["targets"]["items"]["enum"] = (
            [f"system:{k}" for k in sorted(datamap.systems)]
            + [f"dataset:{k}" for k in sorted({q.split(".", 1)[0] for q in datamap.collections})]
            + sorted(datamap.collections))
