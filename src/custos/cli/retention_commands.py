"""``custos retention plan|run`` and ``custos hold place|lift|list``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from custos.cli.options import (
    EmailOption,
    IdOption,
    JsonOption,
    MapOption,
    PhoneOption,
    known_identities,
    subject_from,
    user_errors,
)
from custos.config import get_settings
from custos.engine.retention import RetentionReport
from custos.errors import CustosError, DataMapErrors


def _service(map_path: object) -> Any:
    from custos.service import Service

    return Service(get_settings(datamap=str(map_path)) if map_path else get_settings())


def print_report(report: RetentionReport) -> None:
    verb = "due" if report.dry_run else "done"
    typer.echo(f"retention at {report.at} ({'dry run: nothing changed' if report.dry_run else 'applied'})")
    for rule in report.rules:
        line = (f"  {rule.collection} [{rule.purpose}: {rule.period} from {rule.start}, {rule.action}] "
                f"{rule.due} {verb if rule.due else 'due'}")
        if rule.oldest:
            line += f", oldest {rule.oldest[:10]}"
        if not report.dry_run:
            line += f"; deleted {rule.deleted}, anonymized {rule.anonymized}"
        if rule.held:
            line += f"; held {rule.held} by {', '.join(rule.held_by)}"
        if rule.undated:
            line += f"; {rule.undated} without a date (not swept)"
        if rule.remaining:
            line += f"; {rule.remaining} STILL HOLD DATA"
        if rule.error:
            line += f"; FAILED: {rule.error}"
        typer.echo(line)
        if rule.action == "anonymize" and rule.fields:
            typer.echo(f"      anonymizes {', '.join(rule.fields)}")
        for kept in rule.kept:
            typer.echo(f"      keeps {kept['field']}: {kept['reason']}")
    for kept in report.unlimited:
        typer.echo(f"  no period: {kept['field']} ({kept['reason']})")
    totals = report.totals()
    typer.echo(f"total: {totals['due']} due, {totals['deleted']} deleted, {totals['anonymized']} anonymized, "
               f"{totals['held']} held, {totals['undated']} undated")


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def register(app: typer.Typer) -> None:
    retention_app = typer.Typer(help="Retention periods enforced on the stores.", no_args_is_help=True)
    hold_app = typer.Typer(help="Legal holds: rows kept from retention sweeps and erasures.", no_args_is_help=True)
    app.add_typer(retention_app, name="retention")
    app.add_typer(hold_app, name="hold")

    @retention_app.command("plan")
    @user_errors
    def retention_plan(map_path: MapOption = None, as_json: JsonOption = False) -> None:
        """Per purpose and collection: rows due now, the oldest anchor, what would be deleted or
        anonymized, what is held and why. Nothing changes."""
        from custos.engine.retention import Retention
        from custos.service import sweeps

        service = _service(map_path)
        try:
            problems = Retention(service.engine).problems(connect=True)
            if problems:
                raise DataMapErrors(problems)
            report = sweeps.plan(service)
        finally:
            service.close()
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
        else:
            print_report(report)

    @retention_app.command("run")
    @user_errors
    def retention_run(
        map_path: MapOption = None,
        yes: Annotated[bool, typer.Option("--yes", help="Apply without asking.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Apply retention now: delete and anonymize what is due, set-based and journaled; exits 1
        when a collection failed or a due row still holds data afterwards."""
        from custos.service import sweeps

        service = _service(map_path)
        try:
            if not yes:
                print_report(sweeps.plan(service))
                if not typer.confirm("apply this?"):
                    raise typer.Exit(1)
            record, report = sweeps.run(service, trigger="cli", actor="cli")
        finally:
            service.close()
        if report is None:
            raise CustosError(f"retention run {record.id} failed: {record.error}")
        if as_json:
            typer.echo(json.dumps({"run": record.id, **report.to_dict()}, indent=2, default=str))
        else:
            print_report(report)
            typer.echo(f"run {record.id}: {record.status}")
        if record.status != "done":
            raise typer.Exit(1)

    @app.command()
    @user_errors
    def replay(
        since: Annotated[str, typer.Option(help="Re-apply what was erased or swept on or after this date (YYYY-MM-DD, "
                                                "or an ISO date and time; UTC unless it says otherwise).")],
        map_path: MapOption = None,
        yes: Annotated[bool, typer.Option("--yes", help="Apply without asking.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """After restoring stores from a backup: apply again every erasure and retention deletion
        since the date, from the erasure ledger (keyed HMACs; no personal data is kept)."""
        from custos.service import sweeps

        moment = _date(since, "--since")
        assert moment is not None
        if not yes and not typer.confirm(f"re-apply every erasure and retention change since {moment:%Y-%m-%d %H:%M} UTC?"):
            raise typer.Exit(1)
        service = _service(map_path)
        try:
            report = sweeps.replay_ledger(service, moment, actor="cli")
        finally:
            service.close()
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
            return
        typer.echo(f"replayed {report.entries} ledger entr{'y' if report.entries == 1 else 'ies'} since {report.since}")
        for collection, counts in sorted(report.collections.items()):
            typer.echo(f"  {collection}: {counts['recognised']} recognised, {counts['changed']} changed, "
                       f"{counts['deleted']} deleted" + (f", {counts['missing_from_map']} no longer in the map"
                                                         if counts.get("missing_from_map") else ""))

    @hold_app.command("place")
    @user_errors
    def hold_place(
        reason: Annotated[str, typer.Option(help="Why the data must be kept.")],
        matter: Annotated[str, typer.Option(help="The matter reference (case, claim, investigation).")],
        email: EmailOption = None,
        phone: PhoneOption = None,
        ids: IdOption = None,
        collection: Annotated[str | None, typer.Option(help="Hold a whole collection (dataset.collection).")] = None,
        dataset: Annotated[str | None, typer.Option(help="Hold a whole dataset.")] = None,
        system: Annotated[str | None, typer.Option(help="Hold a whole system.")] = None,
        until: Annotated[str | None, typer.Option(help="When the hold ends by itself (YYYY-MM-DD).")] = None,
        map_path: MapOption = None,
    ) -> None:
        """Place a legal hold on a person (--email/--phone/--id), a collection, a dataset or a system."""
        from custos.service import holds

        scopes = {k: v for k, v in {"collection": collection, "dataset": dataset, "system": system}.items() if v}
        person = bool(email or phone or ids)
        if len(scopes) + person != 1:
            raise typer.BadParameter("name exactly one of: a person (--email, --phone, --id), --collection, "
                                     "--dataset or --system")
        service = _service(map_path)
        try:
            identities = None
            if person:
                subject = known_identities(subject_from(email, phone, ids), service.datamap)
                identities = {k: sorted(v) for k, v in subject.identities.items()}
            scope, target = next(iter(scopes.items())) if scopes else ("subject", None)
            view = holds.place(service, scope=scope, target=target, identities=identities, reason=reason,
                               matter=matter, actor="cli", ends_at=_date(until, "--until"))
        finally:
            service.close()
        typer.echo(f"placed hold {view.id} on {view.target or 'the person given'} ({view.matter})")

    @hold_app.command("lift")
    @user_errors
    def hold_lift(hold_id: Annotated[int, typer.Argument(help="The hold's number.")], map_path: MapOption = None) -> None:
        """Lift a hold: retention and held erasures go on at their next run."""
        from custos.service import holds

        service = _service(map_path)
        try:
            view = holds.lift(service, hold_id, actor="cli")
        finally:
            service.close()
        typer.echo(f"lifted hold {view.id} ({view.matter})")

    @hold_app.command("list")
    @user_errors
    def hold_list(
        map_path: MapOption = None,
        active_only: Annotated[bool, typer.Option("--active", help="Only holds in force.")] = False,
        as_json: JsonOption = False,
    ) -> None:
        """The holds, newest last."""
        from dataclasses import asdict

        from custos.service import holds

        service = _service(map_path)
        try:
            views = holds.listed(service, active_only=active_only)
        finally:
            service.close()
        if as_json:
            typer.echo(json.dumps([asdict(v) for v in views], indent=2, default=str))
            return
        for v in views:
            what = v.target or f"a person ({', '.join(v.identity_kinds)})"
            state = "active" if v.active else (f"lifted {v.lifted_at:%Y-%m-%d}" if v.lifted_at else "ended")
            typer.echo(f"{v.id}\t{v.scope}\t{what}\t{v.matter}\t{state}\t{v.reason}")
