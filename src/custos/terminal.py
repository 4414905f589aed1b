"""Printing plans and erasure results for a person at a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

from custos.engine import ErasureResult, PlanResult
from custos.engine.results import KeptField


def describe_subject(subject: Mapping[str, Any]) -> str:
    """``email ann@example.com, phone +14155550101``."""
    parts: list[str] = []
    for identity, value in subject.items():
        values = value if isinstance(value, list) else [value]
        parts.extend(f"{identity} {v}" for v in values)
    return ", ".join(parts)


def describe_kept(kept: list[KeptField]) -> list[str]:
    """One line per reason: ``kept: placed_at, total (tax_records: legal_obligation ...)``."""
    groups: dict[str, list[str]] = {}
    for item in kept:
        reason = f"{item.exception}: {item.basis}" if item.exception else item.reason
        groups.setdefault(reason, []).append(item.field)
    return [f"kept: {', '.join(fields)} ({reason})" for reason, fields in groups.items()]


def print_plan(result: PlanResult) -> None:
    typer.echo(f"plan for {describe_subject(result.subject)} (nothing is changed):")
    touched = [c for c in result.collections if c.rows_found]
    if not touched:
        typer.echo("  nothing found for this subject")
    for c in touched:
        action = {"delete": "delete the rows", "mask": "mask fields", "none": "nothing to change"}[c.action]
        label = f"{c.collection} (rows of others naming the subject in {c.mentions})" if c.mentions else c.collection
        typer.echo(f"  {label}: {c.rows_found} row(s) -> {action}")
        for name, strategy in c.fields_masked.items():
            where = " (only where it points at the subject)" if name in c.fields_masked_where_subject else ""
            typer.echo(f"      {name}: {strategy}{where}")
        for line in describe_kept(c.fields_kept):
            typer.echo(f"      {line}")
        if c.keys is not None:
            shown = ", ".join("/".join(str(v) for v in key) for key in c.keys)
            more = f" and {c.rows_found - len(c.keys)} more" if c.rows_found > len(c.keys) else ""
            typer.echo(f"      keys ({', '.join(c.key_columns)}): {shown}{more}")
    for scan in result.scans:
        typer.echo(f"  lookup: {scan}")


def print_erasure(result: ErasureResult) -> None:
    resumed = " (resumed an interrupted run)" if result.resumed else ""
    typer.echo(f"erasure for {describe_subject(result.subject)}: {result.status}{resumed}")
    if result.status == "nothing_found":
        typer.echo("  nothing found for this subject; nothing was changed")
        return
    typer.echo(f"  {'collection':28} {'found':>6} {'changed':>8} {'deleted':>8}")
    for c in result.collections:
        if not c.rows_found and not c.rows_changed and not c.rows_deleted:
            continue
        label = f"{c.collection}#{c.mentions}" if c.mentions else c.collection
        typer.echo(f"  {label:28} {c.rows_found:>6} {c.rows_changed:>8} {c.rows_deleted:>8}")
        for line in describe_kept(c.fields_kept):
            typer.echo(f"      {line}")
    for system, state in result.systems.items():
        if state.get("status") != "done":
            typer.echo(f"  system {system}: {state.get('status')}: {state.get('error', '')}")
    residual = result.residual
    if residual is not None:
        if residual.ok:
            typer.echo("  residual check: ok, only fields kept on purpose still hold data")
        else:
            typer.echo("  residual check: FAILED, data left behind:")
            for left in residual.collections:
                if left.violations:
                    typer.echo(f"      {left.collection}: {left.violations}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
