"""Commands of the rights-request service: serve, worker, audit verify, users, API keys, request purges."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer

from custos.cli.options import MapOption, user_errors
from custos.config import Settings, get_settings
from custos.datamap import load_datamap
from custos.errors import CustosError
from custos.service.auth import change_password, revoke_api_key, set_active


def _settings(map_path: object = None) -> Settings:
    return get_settings(datamap=str(map_path)) if map_path else get_settings()


def _user_change(change: Callable[[Any], None], done: str) -> None:
    from custos.service import Service

    service = Service(get_settings())
    try:
        change(service)
    finally:
        service.close()
    typer.echo(done)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``worker``, ``audit verify``, ``user create`` and ``apikey create`` to ``app``."""
    audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
    user_app = typer.Typer(help="Admin-console users.", no_args_is_help=True)
    key_app = typer.Typer(help="API keys for machine callers.", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")
    app.add_typer(user_app, name="user")
    app.add_typer(key_app, name="apikey")
    requests_app = typer.Typer(help="Rights-request records.", no_args_is_help=True)
    app.add_typer(requests_app, name="requests")

    @app.command()
    @user_errors
    def serve(
        map_path: MapOption = None,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
        workers: Annotated[int, typer.Option(
            help="Server processes sharing the port (use the machine's cores; each runs its own "
                 "in-process job runner, and writers take turns on the control plane).", min=1, max=64)] = 1,
        access_log: Annotated[bool, typer.Option(
            "--access-log/--no-access-log", help="Log one line per HTTP request.")] = True,
    ) -> None:
        """The HTTP service: API, privacy center and admin (jobs run in-process unless a broker is set)."""
        import uvicorn

        from custos.server import create_app, freeze_startup_objects

        settings = _settings(map_path)
        load_datamap(settings.datamap)  # a map that does not load stops here, not at the first request
        typer.echo(f"custos: serving on http://{host}:{port} with {workers} process{'es' if workers > 1 else ''} "
                   f"(control plane: {settings.database_url})", err=True)
        if workers == 1:
            application = create_app(settings)
            freeze_startup_objects()
            uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=False,
                        access_log=access_log)
            return
        from custos.controlplane import ControlPlane

        if map_path:
            os.environ["CUSTOS_DATAMAP"] = str(map_path)  # each process builds its settings from the environment
        plane = ControlPlane(settings.database_url)
        try:
            plane.migrate()  # once, before the processes start
        finally:
            plane.close()
        uvicorn.run("custos.server:app_from_environment", factory=True, workers=workers, host=host, port=port,
                    log_level="info", proxy_headers=False, access_log=access_log)

    @app.command()
    @user_errors
    def worker(
        map_path: MapOption = None,
        once: Annotated[bool, typer.Option("--once", help="Run the jobs due now, then exit.")] = False,
        concurrency: Annotated[int, typer.Option(help="Celery worker threads.", min=1, max=64)] = 1,
        beat: Annotated[bool, typer.Option(
            "--beat/--no-beat", help="Run the retention-sweep schedule in this Celery worker (one worker only).")] = True,
    ) -> None:
        """Run queued jobs, deliver agent status callbacks and sweep the stores for data past its
        retention period when the schedule says so: a Celery worker when CUSTOS_BROKER_URL is set,
        else a polling loop."""
        from custos import plugins
        from custos.service import Service, sweeps
        from custos.service.work.jobs import run_pending

        settings = _settings(map_path)
        if map_path:
            os.environ["CUSTOS_DATAMAP"] = str(map_path)  # a Celery worker builds its settings from the environment
        if settings.broker_url and not once:
            from custos.service.work.celery_app import run_worker

            run_worker(settings, concurrency=concurrency, beat=beat)
            return
        service = Service(settings)
        tasks = [task for found in plugins.hook().custos_tasks(service=service) for task in found or []]
        try:
            while True:
                ran = run_pending(service)
                if ran:
                    typer.echo(f"ran {ran} job(s)", err=True)
                for task in tasks:
                    handled = task.work()
                    if handled:
                        typer.echo(f"{task.name}: handled {handled}", err=True)
                swept = sweeps.run_if_due(service)
                if swept is not None:
                    typer.echo(f"retention sweep {swept.id}: {swept.status}", err=True)
                if once:
                    return
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            service.close()

    @audit_app.command("verify")
    @user_errors
    def audit_verify() -> None:
        """Recompute the audit log's hash chain; exits 1 if any entry was edited or removed."""
        from custos.controlplane import ControlPlane
        from custos.service import audit

        settings = get_settings()
        url = settings.database_url
        parsed = sa.engine.make_url(url)
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") \
                and not Path(database).exists():
            # verifying must never create an empty log and call it intact
            raise CustosError(f"no control-plane database at {database} (CUSTOS_DATABASE_URL); nothing to verify")
        plane = ControlPlane(url, audit_key=settings.secret(), checkpoint=settings.audit_checkpoint)
        try:
            plane.migrate()
            with plane.read() as session:
                report = audit.verify(session)
        finally:
            plane.close()
        if report.ok:
            typer.echo(f"audit log intact: {report.entries} entries, head {report.head}")
            return
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)

    @user_app.command("create")
    @user_errors
    def user_create(
        email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
        role: Annotated[str, typer.Option(help="admin, operator or auditor (read-only).")] = "operator",
        password: Annotated[
            str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
        ] = "",
    ) -> None:
        """Create an admin-console user."""
        from custos.service import Service
        from custos.service.auth import create_user

        service = Service(get_settings())
        try:
            create_user(service, email, password, role)
        finally:
            service.close()
        typer.echo(f"created {role} {email.strip().casefold()}")

    @user_app.command("disable")
    @user_errors
    def user_disable(email: Annotated[str, typer.Option(help="The user's email.")]) -> None:
        """Disable a console user: their sessions stop working at once."""
        _user_change(lambda service: set_active(service, email, False), f"disabled {email.strip().casefold()}")

    @user_app.command("enable")
    @user_errors
    def user_enable(email: Annotated[str, typer.Option(help="The user's email.")]) -> None:
        """Enable a disabled console user again."""
        _user_change(lambda service: set_active(service, email, True), f"enabled {email.strip().casefold()}")

    @user_app.command("password")
    @user_errors
    def user_password(
        email: Annotated[str, typer.Option(help="The user's email.")],
        password: Annotated[
            str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
        ] = "",
    ) -> None:
        """Set a console user's password; every session opened before stops working."""
        _user_change(lambda service: change_password(service, email, password),
                     f"changed the password of {email.strip().casefold()}; their earlier sessions are ended")

    @key_app.command("revoke")
    @user_errors
    def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix (ck_PREFIX_...), or the key.")]) -> None:
        """Revoke an API key: it stops working at once."""
        _user_change(lambda service: revoke_api_key(service, prefix), "revoked the key")

    @key_app.command("create")
    @user_errors
    def apikey_create(
        name: Annotated[str, typer.Option(help="What the key is for.")],
        scope: Annotated[list[str], typer.Option(help="A scope (repeatable): requests:read, requests:write, "
                                                       "audit:read, opendsr, users:write, agents:write, holds:read, "
                                                       "holds:write, retention:run.")],
    ) -> None:
        """Create an API key; it is printed once."""
        from custos.service import Service
        from custos.service.auth import create_api_key

        service = Service(get_settings())
        try:
            key = create_api_key(service, name, scope)
        finally:
            service.close()
        typer.echo(key)

    @requests_app.command("purge")
    @user_errors
    def requests_purge(
        older_than: Annotated[str, typer.Option(
            "--older-than", help="Age of the requests to purge: 730d, 24m or 2y. A request is purged only once "
                                 "its rule set's record-keeping period (CCPA: 24 months) is over too.")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
    ) -> None:
        """Remove the identities of decided requests past their keeping period; the audit log keeps its entries."""
        from custos.service import Service
        from custos.service.errors import ServiceError
        from custos.service.retention import Period, purge

        try:
            period = Period.parse(older_than)
        except ServiceError as exc:
            raise typer.BadParameter(exc.message, param_hint="--older-than") from None
        service = Service(get_settings())
        try:
            report = purge(service, period, dry_run=dry_run)
        finally:
            service.close()
        verb = "would purge" if dry_run else "purged"
        typer.echo(f"{verb} {report.purged} request(s) received before {report.cutoff:%Y-%m-%d}; "
                   f"{report.kept_for_rules} kept for their record-keeping period")
