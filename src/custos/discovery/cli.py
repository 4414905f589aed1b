"""``custos scan``: find personal data the map does not know about."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from custos.cli.options import MapOption, open_engine, open_map, user_errors
from custos.discovery.drift import drift
from custos.discovery.proposal import render as render_proposal
from custos.discovery.report import as_json, html, lines
from custos.discovery.scan import DEFAULT_SAMPLE, scan


@user_errors
def scan_command(
    system: Annotated[list[str] | None, typer.Option("--system", help="Scan only this system (repeatable).")] = None,
    sample: Annotated[int, typer.Option("--sample", min=1, max=100000,
                                        help="Rows sampled per table.")] = DEFAULT_SAMPLE,
    all_tables: Annotated[bool, typer.Option("--all-tables",
                                             help="Also scan every table the connections can see.")] = False,
    as_json_flag: Annotated[bool, typer.Option("--json", help="Print the report and the drift as JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report as an HTML page.")] = None,
    write: Annotated[Path | None, typer.Option(
        "--write", help="Write the proposed map entries as a YAML fragment to review and merge.")] = None,
    map_path: MapOption = None,
) -> None:
    """Sample every table of the map's systems, classify each column and report drift from the map.

    Exits 1 when the map and the data disagree (or a table could not be read), 0 when they agree.
    """
    datamap = open_map(map_path)
    engine = open_engine(datamap)
    shown = sys.stderr.isatty() and not as_json_flag

    def progress(system_key: str, table: str, done: int, total: int) -> None:
        if shown:
            text = f"scanning {system_key}.{table} ({done + 1}/{total})" if table else f"scanned {total} table(s)"
            typer.echo(f"\r{text:<70}", err=True, nl=not table)

    try:
        report = scan(datamap, engine.store, systems=system, sample=sample, all_tables=all_tables,
                      progress=progress)
    finally:
        engine.close()
    found = drift(datamap, report)
    if out is not None:
        out.write_text(html(report, found), encoding="utf-8")
    if write is not None:
        write.write_text(render_proposal(datamap, found), encoding="utf-8")
    if as_json_flag:
        typer.echo(json.dumps(as_json(report, found), indent=2, default=str))
    else:
        for line in lines(report, found):
            typer.echo(line)
        if out is not None:
            typer.echo(f"report: {out}")
        if write is not None:
            typer.echo(f"proposal: {write} (check it with: custos validate {datamap.location} {write})")
    if found:
        raise typer.Exit(1)
