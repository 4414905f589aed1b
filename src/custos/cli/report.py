"""Printing plans and erasure results for a person at a terminal."""

from __future__ import annotations

import typer

from custos.engine import ErasureResult, PlanResult


def print_plan(result: PlanResult) -> None:
    typer.echo(f"plan for {result.subject}:")
    for c in result.collections:
        if not c.rows_found:
            continue
        action = {"delete": "delete rows", "mask": "mask fields", "none": "nothing to change"}[c.action]
        typer.echo(f"  {c.collection}: {c.rows_found} row(s) -> {action}")
        for name, strategy in c.fields_masked.items():
            where = " (only where it points at the subject)" if name in c.fields_masked_where_subject else ""
            typer.echo(f"      {name}: {strategy}{where}")
        for kept in c.fields_kept:
            typer.echo(f"      {kept.field}: kept, {kept.reason}" + (f" [{kept.basis}]" if kept.basis else ""))


def print_erasure(result: ErasureResult) -> None:
    typer.echo(f"erasure for {result.subject}: {result.status}" + (" (resumed)" if result.resumed else ""))
    header = f"  {'collection':32} {'found':>6} {'changed':>8} {'deleted':>8}  kept"
    typer.echo(header)
    for c in result.collections:
        if not c.rows_found and not c.rows_changed and not c.rows_deleted:
            continue
        kept_text = "; ".join(f"{k.field} ({k.basis or k.reason})" for k in c.fields_kept) or "-"
        typer.echo(f"  {c.collection:32} {c.rows_found:>6} {c.rows_changed:>8} {c.rows_deleted:>8}  {kept_text}")
    for system, state in result.systems.items():
        if state.get("status") != "done":
            typer.echo(f"  system {system}: {state.get('status')}: {state.get('error', '')}")
    residual = result.residual
    if residual is not None:
        if residual.ok:
            kept = sum(1 for c in residual.collections if c.fields_remaining)
            typer.echo(f"  residual check: ok (only kept fields remain, in {kept} collection(s))")
        else:
            typer.echo("  residual check: FAILED")
            for left in residual.collections:
                if left.violations:
                    typer.echo(f"      {left.collection}: still holding data in {left.violations}")
    for note in result.notes:
        typer.echo(f"  note: {note}")
