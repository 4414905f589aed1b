"""The composition root: the rights-request service and every plug-in, as one app.

``create_app(settings)`` builds the ``Service`` (settings, control plane, mail, engine),
the service's own app (``custos.service.http.app.build_app``), and lets each plug-in add its
part through the ``custos_install`` hook: consent and preferences, the Data Rights Protocol,
and whatever packages register under the ``custos`` entry-point group. Nothing below this
module imports it; it is the one place where the parts meet.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from custos import plugins
from custos.config import Settings, get_settings
from custos.controlplane import now
from custos.datamap import DataMap
from custos.service.core import Clock, Service
from custos.service.http.app import build_app


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
    (``/admin``); pass ``False`` to serve the JSON API alone. ``extensions`` lets the
    plug-ins install themselves (consent and preferences, the Data Rights Protocol, and
    third-party plug-ins); pass ``False`` to install them yourself (``custos.consent.install``).
    ``migrate=False`` leaves the schema as it is (``custos serve --workers`` migrates once,
    before its workers start).
    """
    settings = settings or get_settings()
    service = Service(settings, clock=clock, datamap=datamap, migrate=migrate)
    runs = run_jobs if run_jobs is not None else not settings.broker_url
    if settings.broker_url:
        from custos.service.work.celery_app import attach, make_celery

        attach(service, make_celery(settings))
    app = build_app(service, run_jobs=runs, pages=pages)
    if extensions:
        plugins.hook().custos_install(app=app, service=service)
    return app


def app_from_environment() -> FastAPI:
    """The app for one of several server processes: settings from the environment, schema
    already migrated (``uvicorn --factory custos.server:app_from_environment``)."""
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
