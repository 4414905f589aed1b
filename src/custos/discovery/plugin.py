"""Discovery as a plug-in: the ``custos scan`` command, the scan job, its API, page and schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.hooks import Task, hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

    from custos.service.core import Service


@hookimpl
def custos_cli(app: typer.Typer) -> None:
    from custos.discovery.cli import scan_command

    app.command("scan")(scan_command)


@hookimpl
def custos_install(app: FastAPI, service: Service) -> None:
    from custos.discovery.admin import router as admin_router
    from custos.discovery.pages import router as pages_router

    app.include_router(admin_router)
    app.include_router(pages_router)


@hookimpl
def custos_job_handlers() -> dict[str, Any]:
    from custos.discovery.service import JOB, run

    return {JOB: run}


@hookimpl
def custos_tasks(service: Service) -> list[Task]:
    """A scan every ``scan_every_hours`` (off unless set)."""
    from custos.discovery.service import scheduled

    return [Task("custos-scheduled-scan", lambda: scheduled(service), 300.0)]


@hookimpl
def custos_openapi(document: dict[str, Any], service: Service) -> None:
    """A scan names systems of the map: the document lists them."""
    from custos.service.http.openapi import operation_body

    body = operation_body(document, "/v1/admin/scans")
    if body is not None:
        systems = body["properties"]["systems"]
        for option in systems.get("anyOf", [systems]):
            if option.get("type") == "array":
                option["items"]["enum"] = sorted(service.datamap.systems)
