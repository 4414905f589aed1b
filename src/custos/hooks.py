"""The named extension points of Custos, as pluggy hook specifications.

A plug-in is a module (or an object) with functions named after these specifications and
marked ``@hookimpl``. Custos's own parts register through the same hooks as a third
party's (``custos.plugins.BUILTINS``); a package adds its own through the ``custos``
entry-point group::

    [project.entry-points.custos]
    my_plugin = "my_package.plugin"

Every hook is called with keyword arguments; an implementation may take any subset of
the parameters its specification names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # types only: this module sits below every layer that implements it
    import typer
    from fastapi import FastAPI

    from custos.controlplane import Job, Request
    from custos.engine import Subject
    from custos.rules.request_types import RequestTypeSpec
    from custos.service.core import Service
    from custos.service.requests.handlers import Outcome, RequestHandler
    from custos.stores import StoreFactory

PROJECT = "custos"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class Task:
    """Work that runs beside the job queue wherever jobs run (the server's in-process runner,
    ``custos worker`` and a Celery worker): ``work()`` handles what is due and returns how
    many items it handled; the runner waits ``interval`` seconds whenever it handled none."""

    name: str
    work: Callable[[], int | None]
    interval: float = 2.0


@hookspec
def custos_store_factories() -> dict[str, StoreFactory]:  # type: ignore[empty-body]
    """Store adapters by URL scheme (``{"mongodb": MongoStore}``); each factory is called
    with ``(system_key, url)`` and returns a ``custos.stores.Store``."""


@hookspec
def custos_job_handlers() -> dict[str, Callable[[Service, Job], None]]:  # type: ignore[empty-body]
    """Handlers of queued jobs by kind; a job of kind ``k`` runs ``handler(service, job)``."""


@hookspec
def custos_request_types() -> list[RequestTypeSpec]:  # type: ignore[empty-body]
    """Request types to add to the built-in ones (``custos.rules.RequestTypeSpec``); each needs
    a handler (``custos_request_handlers``) and a row in the laws that provide for it."""


@hookspec
def custos_request_handlers() -> dict[str, RequestHandler]:  # type: ignore[empty-body]
    """How a verified request of each type is carried out, by request type."""


@hookspec
def custos_install(app: FastAPI, service: Service) -> None:
    """Add routes, mounts and app state to the service's app; background threads bound to the
    app are registered with ``custos.service.http.app.on_startup`` / ``on_shutdown``."""


@hookspec
def custos_tasks(service: Service) -> list[Task]:  # type: ignore[empty-body]
    """Polled work to run beside the job queue (see ``Task``)."""


@hookspec
def custos_cli(app: typer.Typer) -> None:
    """Add commands to the ``custos`` command line."""


@hookspec
def custos_openapi(document: dict[str, Any], service: Service) -> None:
    """Make the OpenAPI document exact where only the running service knows a value: the
    map's systems, collections, topics, identity types. Change ``document`` in place; use
    ``custos.service.http.openapi.operation_body`` to find an operation's request body."""


@hookspec
def custos_request_flags(service: Service, request_ids: list[str]) -> dict[str, list[str]]:  # type: ignore[empty-body]
    """What an operator must know of these requests beyond their status, by request id, in
    words ("a recipient has not been told"); the queue and the request page show it, and a
    completed request with a flag is not shown as done."""


@hookspec
def custos_request_decided(service: Service, request: Request, status: str, actor: str) -> None:
    """An operator approved, denied or otherwise decided ``request``; called after the
    decision is committed, with the request's new status."""


@hookspec
def custos_request_completed(
    service: Service, request: Request, kind: str, subject: Subject, outcome: Outcome,
) -> dict[str, Any] | None:
    """``request`` was carried out as ``kind`` for ``subject`` with ``outcome``; called before
    the result is written. What an implementation returns is added to the request's result."""
