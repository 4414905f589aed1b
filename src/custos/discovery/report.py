"""The scan's report: lines for a terminal, JSON for a pipeline, HTML for a person.

Values never appear: only masked examples, counts and the detectors' names.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from custos.discovery.drift import Drift
from custos.discovery.scan import ScanReport

_TEMPLATES = Environment(loader=PackageLoader("custos.discovery", "templates"),
                         autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)

KIND_TITLES = {
    "unmapped_column": "Personal data the map does not list",
    "unmapped_table": "Tables the map does not mention",
    "missing_table": "Tables the map names that do not exist",
    "missing_column": "Fields whose column no longer exists",
    "category_mismatch": "Fields whose data is not what the map says",
    "identity_form": "Identity values not in the form their match rule compares",
    "unreadable": "What could not be read",
}


def as_json(report: ScanReport, drifts: list[Drift]) -> dict[str, Any]:
    return {"report": report.to_dict(), "drift": [d.to_dict() for d in drifts], "drift_count": len(drifts)}


def lines(report: ScanReport, drifts: list[Drift]) -> list[str]:
    out = [f"scanned {len(report.tables)} table(s) in {len(report.systems)} system(s) in {report.seconds:.2f} s "
           f"(sample {report.sample} rows per table)"]
    for table in report.tables:
        if table.error:
            out.append(f"  {table.system}.{table.collection}: not read: {table.error}")
            continue
        found = [c for c in table.columns if c.category]
        size = f"~{table.estimated_rows} rows" if table.estimated_rows is not None else "size unknown"
        out.append(f"  {table.system}.{table.collection}: {table.sampled_rows} sampled ({table.method}, {size}) "
                   f"in {table.seconds * 1000:.0f} ms; {len(found)} personal column(s)"
                   + ("" if table.mapped_as else " [not in the map]"))
    if not drifts:
        out.append("no drift: every personal column found is in the map, as the map describes it")
        return out
    out.append(f"drift: {len(drifts)} finding(s)")
    for kind, title in KIND_TITLES.items():
        items = [d for d in drifts if d.kind == kind]
        if items:
            out.append(f"{title}:")
            out.extend(f"  {d.where + ': ' if d.where else ''}{d.message}" for d in items)
    return out


def findings_html(report: ScanReport, drifts: list[Drift]) -> Markup:
    """The report's body, for the console page and the standalone file."""
    groups = [(title, [d for d in drifts if d.kind == kind]) for kind, title in KIND_TITLES.items()]
    return Markup(_TEMPLATES.get_template("findings.html.j2").render(
        report=report, groups=[g for g in groups if g[1]], drift_count=len(drifts)))


def html(report: ScanReport, drifts: list[Drift]) -> str:
    return _TEMPLATES.get_template("report.html.j2").render(report=report, body=findings_html(report, drifts))
