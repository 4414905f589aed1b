"""Commands of the notice package: ``notice``, ``ropa``, ``policy-check``, ``report metrics``.

``register(app)`` adds them to the ``custos`` application; each parses its options, calls
one function of ``custos.notice`` and prints the result.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from custos.cli.options import JsonOption, MapOption, open_map, user_errors
from custos.config import get_settings
from custos.errors import CustosError


class NoticeFormat(StrEnum):
    """Formats of ``custos notice``."""

    html = "html"
    md = "md"


class RopaFormat(StrEnum):
    """Formats of ``custos ropa``."""

    csv = "csv"
    html = "html"


class MetricsFormat(StrEnum):
    """Formats of ``custos report metrics`` (``--json`` aside)."""

    table = "table"
    html = "html"


class FailOn(StrEnum):
    """When ``custos policy-check`` exits with code 1."""

    contradiction = "contradiction"
    any = "any"
    never = "never"


OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")]


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value as a date; a one-line error otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CustosError(f"{option} takes a date as YYYY-MM-DD, not {value!r}") from None


def emit(text: str, out: Path | None) -> None:
    """Print ``text``, or write it to ``out`` and say so on stderr."""
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CustosError(f"cannot write {out}: {error.strerror}") from None
    typer.echo(f"wrote {out}", err=True)


@user_errors
def notice(
    map_path: MapOption = None,
    fmt: Annotated[NoticeFormat, typer.Option("--format", "-f", help="html or md.")] = NoticeFormat.html,
    out: OutOption = None,
    updated: Annotated[
        str | None,
        typer.Option("--date", help="Date last updated, YYYY-MM-DD. Default: kept while the notice is unchanged, else today."),
    ] = None,
    list_versions: Annotated[bool, typer.Option("--list", help="List the recorded versions and stop.")] = False,
    diff: Annotated[
        tuple[str, str] | None,
        typer.Option("--diff", metavar="V1 V2", help="Show what changed from version V1 to V2 and stop."),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record/--no-record", help="Record this rendering among the published versions.")
    ] = True,
) -> None:
    """Render the privacy notice from the data map; list and compare its versions."""
    from custos.notice import NoticeVersions, publish, render_notice

    store = NoticeVersions.in_state_dir(get_settings().state_dir)
    if list_versions:
        versions = store.list()
        if not versions:
            typer.echo("no notice version recorded yet (run: custos notice)")
        for entry in versions:
            typer.echo(
                f"{entry.version[:12]}  {entry.format:4}  updated {entry.updated.isoformat()}  "
                f"recorded {entry.recorded_at.isoformat()}"
            )
        return
    if diff is not None:
        text = store.diff(*diff)
        typer.echo(text or "the two versions are identical", nl=not text.endswith("\n"))
        return
    datamap = open_map(map_path)
    day = parse_day(updated, "--date")
    if record:
        rendered, entry = publish(datamap, fmt.value, store, today=date.today(), updated=day)
        note = f"notice version {entry.version[:12]} (updated {entry.updated.isoformat()}), recorded in {store.folder}"
    else:
        rendered = render_notice(datamap, fmt.value, day or date.today())
        note = f"notice version {rendered.short_version} (not recorded)"
    emit(rendered.text, out)
    typer.echo(note, err=True)


@user_errors
def ropa(
    map_path: MapOption = None,
    fmt: Annotated[RopaFormat, typer.Option("--format", "-f", help="csv or html.")] = RopaFormat.csv,
    out: OutOption = None,
) -> None:
    """Write the record of processing activities (GDPR Art. 30(1), points (a) to (g))."""
    from custos.notice import render_ropa

    emit(render_ropa(open_map(map_path), fmt.value), out)


@user_errors
def policy_check(
    policy: Annotated[Path, typer.Argument(help="The privacy policy to check: plain text or HTML.")],
    map_path: MapOption = None,
    as_json: JsonOption = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge the last-updated date on this day, YYYY-MM-DD (default: today).")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit with code 1 on a contradiction, on any finding, or never.")
    ] = FailOn.contradiction,
) -> None:
    """Check an existing privacy policy against the data map and the rules in force."""
    import json

    from custos.notice.policy import check_policy, read_policy_file

    report = check_policy(
        open_map(map_path), read_policy_file(policy), name=str(policy), as_of=parse_day(as_of, "--as-of")
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.to_text(), nl=False)
    failed = (fail_on == FailOn.contradiction and report.contradictions) or (
        fail_on == FailOn.any and report.findings
    )
    if failed:
        raise typer.Exit(1)


@user_errors
def metrics(
    records: Annotated[Path | None, typer.Option(
        "--records", help="Request records, a JSON or CSV file (default: the control plane's requests, "
                          "CUSTOS_DATABASE_URL, as the console reads them).")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: January 1 of last year).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: December 31 of last year).")
    ] = None,
    as_json: JsonOption = False,
    fmt: Annotated[MetricsFormat, typer.Option("--format", "-f", help="table or html.")] = MetricsFormat.table,
    out: OutOption = None,
    map_path: Annotated[
        Path | None, typer.Option("--map", "-m", help="Data map, for the company's name on the HTML page.")
    ] = None,
) -> None:
    """CCPA §7102 request metrics per request type, from the control plane (or a records file)."""
    import json

    from custos.notice import compute_metrics, load_records, metrics_html, metrics_table

    last_year = date.today().year - 1
    first = parse_day(start, "--from") or date(last_year, 1, 1)
    last = parse_day(end, "--to") or date(last_year, 12, 31)
    figures = compute_metrics(load_records(records) if records is not None else _plane_records(), first, last)
    if as_json:
        emit(json.dumps(figures.to_dict(), indent=2) + "\n", out)
    elif fmt == MetricsFormat.html:
        organization = open_map(map_path).organization.name if map_path else None
        emit(metrics_html(figures, organization), out)
    else:
        emit(metrics_table(figures), out)


def _plane_records() -> list[Any]:
    """The CCPA requests of the control plane the console reads; a missing database is an error."""
    import sqlalchemy as sa

    from custos.config import get_settings
    from custos.controlplane import ControlPlane
    from custos.service.metrics import request_records

    url = get_settings().database_url
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        raise CustosError(f"no control-plane database at {parsed.database} (CUSTOS_DATABASE_URL); "
                          "give --records FILE to count requests from a file")
    plane = ControlPlane(url)
    try:
        plane.migrate()
        return request_records(plane)
    finally:
        plane.close()


def register(app: typer.Typer) -> None:
    """Add ``notice``, ``ropa``, ``policy-check`` and ``report metrics`` to ``app``."""
    app.command("notice")(notice)
    app.command("ropa")(ropa)
    app.command("policy-check")(policy_check)
    report = typer.Typer(name="report", help="Reports on requests.", no_args_is_help=True)
    report.command("metrics")(metrics)
    app.add_typer(report, name="report")
