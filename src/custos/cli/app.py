"""The ``custos`` commands (listed in the README)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from custos import plugins
from custos.cli import notice_commands, retention_commands, service_commands
from custos.cli.options import (
    EmailOption,
    FromOption,
    IdOption,
    JsonOption,
    MapOption,
    PhoneOption,
    known_identities,
    open_engine,
    open_map,
    subject_from,
    user_errors,
)
from custos.errors import CustosError, DataMapErrors
from custos.terminal import print_erasure, print_plan

app = typer.Typer(
    name="custos",
    help="Custos keeps a privacy policy's promises against the company's real databases.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
@user_errors
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where the sample company is built.")] = Path("custos-demo"),
    customers: Annotated[int, typer.Option(help="How many customers the sample shop has.", min=10, max=100000)] = 200,
) -> None:
    """Build a sample shop, run plan, access and erasure for one person, and show what happened."""
    from custos.demo.run import run_demo

    run_demo(directory, customers=customers)


@app.command()
@user_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter data map.")] = Path("custos.yaml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter data map to edit."""
    from custos.datamap.starter import STARTER_MAP

    if path.exists() and not force:
        raise CustosError(f"{path} already exists (use --force to overwrite)")
    path.write_text(STARTER_MAP, encoding="utf-8")
    typer.echo(f"wrote {path}; edit it, then run: custos validate --map {path} --connect")


@app.command()
@user_errors
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Data map file or folder; several are merged (a map and a proposal from custos scan --write).")] = None,
    map_path: MapOption = None,
    connect: Annotated[bool, typer.Option("--connect", help="Also check tables, columns and types on the live stores.")] = False,
) -> None:
    """Check a data map (and with --connect, against the live stores)."""
    datamap = open_map([*([map_path] if map_path else []), *(paths or [])] or None)
    for warning in datamap.warnings:
        typer.echo(f"warning: {warning}", err=True)
    from custos.service.languages import SHIPPED

    for language in datamap.organization.languages:
        if language not in SHIPPED:
            typer.echo(f"warning: organization.languages names {language!r}, but Custos writes mails in "
                       f"{', '.join(SHIPPED)} only; a request in {language!r} is answered in English", err=True)
    from custos.engine.retention_rules import resolve_retention

    retention = resolve_retention(datamap)
    if retention.problems and not connect:
        raise DataMapErrors(retention.problems)
    if connect:
        from custos.engine.retention import Retention

        engine = open_engine(datamap)
        try:
            engine.check_schema()
            Retention(engine).check()  # anchors, their types, and what each rule must be able to do
            identity_warnings, lookups = engine.identity_report()
            guessable, unmeasured = engine.guessable_points()
        finally:
            engine.close()
        for warning in [*identity_warnings, *unmeasured]:
            typer.echo(f"warning: {warning}", err=True)
        if guessable:
            raise DataMapErrors(guessable)
        for looked in lookups:
            if not looked.uses_index:
                typer.echo(f"warning: lookups of {looked.collection}.{looked.field} (match: {looked.rule}) "
                           f"read the whole table; index: {looked.advice}", err=True)
    fields = sum(len(c.fields) for c in datamap.collections.values())
    typer.echo(
        f"ok: {datamap.location}: {len(datamap.systems)} system(s), {len(datamap.collections)} collection(s), "
        f"{fields} field(s), identities {', '.join(datamap.identity_types)}"
        + ("; live stores match" if connect else "")
        + (f"; {len(retention.rules)} retention rule(s)" if retention.rules else "")
    )


@app.command()
@user_errors
def taxonomy(
    as_json: JsonOption = False,
    map_path: Annotated[Path | None, typer.Option("--map", help="Include the data map's own categories.")] = None,
) -> None:
    """Print the category tree with its CCPA and GDPR mapping."""
    from custos.taxonomy import default_taxonomy

    tree = open_map(map_path).taxonomy if map_path else default_taxonomy()
    if as_json:
        typer.echo(json.dumps(tree.to_dict(), indent=2))
    else:
        typer.echo(tree.render_tree())


@app.command()
@user_errors
def plan(
    email: EmailOption = None, phone: PhoneOption = None,
    ids: IdOption = None, map_path: MapOption = None, as_json: JsonOption = False,
    keys: Annotated[int, typer.Option("--keys", help="Also list up to this many keys of the rows each "
                                                     "collection would touch.", min=0, max=1000)] = 0,
) -> None:
    """Dry run of an erasure: what would be read, changed and kept. Changes nothing."""
    subject = subject_from(email, phone, ids)
    datamap = open_map(map_path)
    known_identities(subject, datamap)
    engine = open_engine(datamap)
    try:
        result = engine.plan(subject, keys=keys)
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_plan(result)


@app.command()
@user_errors
def access(
    email: EmailOption = None, phone: PhoneOption = None,
    ids: IdOption = None, map_path: MapOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the whole package (zip) here; with --from, the folder for one package per person.")] = None,
    people: FromOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run an access request: data.json to stdout, or the whole package with --out; --from FILE
    runs one per person of a CSV file."""
    from custos.package import build_package

    if people is not None:
        if out is None:
            raise typer.BadParameter("with --from, --out names the folder for the packages", param_hint="--out")
        _each(people, map_path, "access", as_json, out)
        return
    subject = subject_from(email, phone, ids)
    datamap = open_map(map_path)
    known_identities(subject, datamap)
    engine = open_engine(datamap)
    try:
        result = engine.access(subject)
    finally:
        engine.close()
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if out is None:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    out.write_bytes(build_package(datamap, result))
    typer.echo(f"wrote {out}: {result.row_count} row(s) in {len(result.datasets())} dataset(s)", err=True)


@app.command()
@user_errors
def erase(
    email: EmailOption = None, phone: PhoneOption = None,
    ids: IdOption = None, map_path: MapOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOption = False,
    people: FromOption = None,
) -> None:
    """Run an erasure (asks first unless --yes); --from FILE erases each person of a CSV file."""
    if people is not None:
        if not yes and (not sys.stdin.isatty() or not typer.confirm(f"Erase every person in {people}?", default=False)):
            raise CustosError("not confirmed; nothing was changed (use --yes to skip the question)")
        _each(people, map_path, "erase", as_json, None)
        return
    subject = subject_from(email, phone, ids)
    datamap = open_map(map_path)
    known_identities(subject, datamap)
    engine = open_engine(datamap)
    try:
        if not yes:
            preview = engine.plan(subject)
            touched = [c for c in preview.collections if c.rows_found]
            if not touched:
                for note in preview.notes:
                    typer.echo(f"note: {note}", err=True)
                typer.echo("nothing found for this subject; nothing to erase")
                return
            print_plan(preview)
            if not sys.stdin.isatty() or not typer.confirm("Erase this data?", default=False):
                raise CustosError("not confirmed; nothing was changed (use --yes to skip the question)")
        result = engine.erase(subject)
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_erasure(result)
    if result.status in ("failed", "partial", "incomplete"):
        raise typer.Exit(4)


@app.command()
@user_errors
def correct(
    values: Annotated[list[str], typer.Option("--set", help="dataset.collection.field=new value (repeatable).")],
    email: EmailOption = None, phone: PhoneOption = None,
    ids: IdOption = None, map_path: MapOption = None, as_json: JsonOption = False,
    confirm_kept: Annotated[bool, typer.Option(
        "--confirm-kept", help="Also change fields kept by an exception (keep_for); the result names it.")] = False,
) -> None:
    """Run a correction: write new values into named fields of the subject's rows."""
    subject = subject_from(email, phone, ids)
    changes: dict[str, Any] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise CustosError(f"--set takes dataset.collection.field=value, got {item!r}")
        changes[name.strip()] = value
    datamap = open_map(map_path)
    known_identities(subject, datamap)
    engine = open_engine(datamap)
    try:
        result = engine.correct(subject, changes, confirm_kept=confirm_kept)
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        for outcome in result.collections:
            typer.echo(f"{outcome.collection}: {outcome.rows_found} row(s) found, {outcome.rows_changed} changed")
            for kept in outcome.fields_kept:
                typer.echo(f"  {kept.field} was kept under {kept.exception} ({kept.basis}) and is now changed")


def _each(people: Path, map_path: Path | None, kind: str, as_json: bool, out: Path | None) -> None:
    """A request per person of a CSV file, with a progress bar on a terminal and a summary;
    exits 4 when any person's request failed or is incomplete."""
    from custos.batch import access_each, erase_each, read_people

    datamap = open_map(map_path)
    found = read_people(people, datamap)
    engine = open_engine(datamap)
    results = []
    try:
        runs = erase_each(engine, found) if kind == "erase" else access_each(engine, found, out or Path("."))
        with typer.progressbar(runs, length=len(found), label=f"{kind} for {len(found)} people",
                               file=sys.stderr) as bar:
            for result in bar:
                results.append(result)
    finally:
        engine.close()
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2, default=str))
    else:
        for r in results:
            who = ", ".join(f"{k} {v}" for k, values in r.subject.items() for v in values)
            detail = r.error or (f"{r.found} row(s) found, {r.changed} changed, {r.deleted} deleted"
                                 + (f", residual {'ok' if r.residual_ok else 'NOT ok'}" if r.residual_ok is not None
                                    else "") + (f", package {r.package}" if r.package else ""))
            typer.echo(f"line {r.line}: {who}: {r.status}: {detail}")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    typer.echo(f"{len(results)} people: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())), err=True)
    if any(r.status in ("failed", "partial", "incomplete") for r in results):
        raise typer.Exit(4)


notice_commands.register(app)
service_commands.register(app)
retention_commands.register(app)


def main() -> None:
    """The ``custos`` command, with the commands plug-ins add (``custos_cli``)."""
    with_plugins()
    app()


_extended: list[object] = []


def with_plugins() -> typer.Typer:
    """``app`` with every plug-in's commands added; a plug-in registered since the last call
    adds its own, and none adds them twice."""
    manager = plugins.manager()
    if any(plugin not in _extended for plugin in manager.get_plugins()):
        manager.subset_hook_caller("custos_cli", remove_plugins=_extended)(app=app)
        _extended.extend(p for p in manager.get_plugins() if p not in _extended)
    return app
