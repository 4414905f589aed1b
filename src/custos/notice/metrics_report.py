"""The §7102 metrics for people: a terminal table, and an HTML page with a bar chart."""

from __future__ import annotations

from custos.notice.chart import Series, grouped_bar_chart
from custos.notice.metrics import Metrics
from custos.notice.render import html_environment

SHORT_NAMES = {
    "know": "Know",
    "delete": "Delete",
    "correct": "Correct",
    "opt_out": "Opt out",
    "limit": "Limit",
}
COLORS = {"received": "#1f4e79", "complied": "#2e7d32", "denied": "#b3261e"}


def days(value: float | None) -> str:
    """A number of days with one decimal, or a dash when nothing was answered."""
    return "-" if value is None else f"{value:.1f}"


def metrics_table(metrics: Metrics) -> str:
    """The figures as a fixed-width table for a terminal."""
    header = (
        f"{'request type':<48} {'received':>8} {'complied':>8} {'denied':>6} "
        f"{'open':>5} {'median days':>11} {'mean days':>9}"
    )
    lines = [
        f"CCPA 11 CCR §7102 request metrics, {metrics.start.isoformat()} to {metrics.end.isoformat()}",
        header,
        "-" * len(header),
    ]
    for f in metrics.figures:
        lines.append(
            f"{f.name:<48} {f.received:>8} {f.complied:>8} {f.denied:>6} {f.open:>5} "
            f"{days(f.median_days):>11} {days(f.mean_days):>9}"
        )
    lines.append("complied: in whole or in part; days: calendar days from receipt to response")
    return "\n".join(lines) + "\n"


def metrics_html(metrics: Metrics, organization: str | None = None) -> str:
    """A printable page with a bar chart of the counts and the full table."""
    groups = [SHORT_NAMES[f.type] for f in metrics.figures]
    chart = grouped_bar_chart(
        title=f"Requests from {metrics.start.isoformat()} to {metrics.end.isoformat()}",
        description="For each request type, bars for the requests received, complied with "
        "in whole or in part, and denied. "
        + "; ".join(
            f"{SHORT_NAMES[f.type]}: {f.received} received, {f.complied} complied, {f.denied} denied"
            for f in metrics.figures
        ),
        groups=groups,
        series=[
            Series("Received", COLORS["received"], [f.received for f in metrics.figures]),
            Series("Complied in whole or in part", COLORS["complied"], [f.complied for f in metrics.figures]),
            Series("Denied", COLORS["denied"], [f.denied for f in metrics.figures]),
        ],
    )
    template = html_environment().get_template("metrics.html.j2")
    return template.render(metrics=metrics, chart=chart, days=days, organization=organization)
