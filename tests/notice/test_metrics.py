"""CCPA §7102 metrics on a fixed set of request records, every figure worked out by hand."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from custos.notice import (
    Metrics,
    MetricsError,
    RequestRecord,
    compute_metrics,
    load_records,
    metric_type,
    metrics_html,
    metrics_table,
)

LA = timezone(timedelta(hours=-7))
START, END = date(2025, 1, 1), date(2025, 12, 31)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (type as written, received, closed, outcome); the comment gives the days to respond.
ROWS: list[tuple[str, str, str | None, str]] = [
    ("access", "2025-01-10T09:00", "2025-01-20T17:00", "complied_full"),  # know, 10 days
    ("categories", "2025-02-01T10:00", "2025-02-15T10:00", "complied_part"),  # know, 14
    ("portability", "2025-03-01T10:00", "2025-03-31T10:00", "denied"),  # know, 30
    ("access", "2025-12-31T23:59", None, "open"),  # know, received on the last day
    ("access", "2024-12-31T10:00", "2025-01-05T10:00", "complied_full"),  # received before the period
    ("access", "2026-01-01T00:00", "2026-01-02T00:00", "complied_full"),  # received after it
    # delete: received 23:00 in Los Angeles (06:00 UTC the next day), answered at 01:00
    # Los Angeles time the day after: 1 day where the request was received (0 in UTC dates)
    ("erasure", "2025-04-01T23:00-07:00", "2025-04-02T08:00+00:00", "complied_part"),  # 1
    ("erasure", "2025-05-01T10:00", "2025-05-31T10:00", "complied_full"),  # 30
    ("erasure", "2025-06-01T10:00", "2025-07-16T10:00", "denied"),  # 45
    ("correction", "2025-07-01T10:00", "2025-07-08T10:00", "complied_full"),  # correct, 7
    ("correct", "2025-08-01T10:00", "2025-08-05T10:00", "complied_full"),  # 4
    ("opt_out_sale_sharing", "2025-09-01T10:00", "2025-09-02T10:00", "complied_full"),  # opt_out, 1
    ("opt_out", "2025-09-10T10:00", "2025-09-10T15:00", "complied_full"),  # 0
    ("opt_out", "2025-09-11T10:00", None, "open"),
]


def _records() -> list[RequestRecord]:
    records = []
    for kind, received, closed, outcome in ROWS:
        counted = metric_type(kind)
        assert counted is not None
        records.append(
            RequestRecord(
                type=counted,
                received_at=at(received),
                closed_at=at(closed) if closed else None,
                outcome=outcome,  # type: ignore[arg-type]
            )
        )
    return records


def _check_by_hand(metrics: Metrics) -> None:
    know = metrics.of("know")
    # four received in 2025 (two others fall outside), 1 in whole + 1 in part, 1 denied, 1 open;
    # answered in 10, 14 and 30 days: median 14, mean 54 / 3 = 18
    assert (know.received, know.complied_full, know.complied_part, know.complied, know.denied, know.open) == (
        4, 1, 1, 2, 1, 1
    )
    assert know.median_days == 14.0 and know.mean_days == 18.0

    delete = metrics.of("delete")
    # 1, 30 and 45 days: median 30, mean 76 / 3
    assert (delete.received, delete.complied, delete.denied, delete.open) == (3, 2, 1, 0)
    assert (delete.complied_full, delete.complied_part) == (1, 1)
    assert delete.median_days == 30.0 and delete.mean_days == pytest.approx(76 / 3)

    correct = metrics.of("correct")
    # 7 and 4 days: median and mean 5.5
    assert (correct.received, correct.complied, correct.denied) == (2, 2, 0)
    assert correct.median_days == 5.5 and correct.mean_days == 5.5

    opt_out = metrics.of("opt_out")
    # 1 and 0 days; the third is still open
    assert (opt_out.received, opt_out.complied, opt_out.denied, opt_out.open) == (3, 2, 0, 1)
    assert opt_out.median_days == 0.5 and opt_out.mean_days == 0.5

    limit = metrics.of("limit")
    assert (limit.received, limit.complied, limit.denied, limit.median_days, limit.mean_days) == (0, 0, 0, None, None)


def test_figures_per_request_type_computed_by_hand() -> None:
    metrics = compute_metrics(_records(), START, END)
    assert [f.type for f in metrics.figures] == ["know", "delete", "correct", "opt_out", "limit"]
    _check_by_hand(metrics)


def test_a_narrower_period_counts_only_what_it_received() -> None:
    metrics = compute_metrics(_records(), date(2025, 9, 1), date(2025, 9, 10))
    assert metrics.of("opt_out").received == 2 and metrics.of("know").received == 0
    with pytest.raises(MetricsError, match="ends"):
        compute_metrics([], END, START)


def test_request_types_of_custos_map_onto_the_five_of_7102() -> None:
    assert {k: metric_type(k) for k in ("access", "categories", "portability", "erasure", "correction",
                                        "opt_out_sale_sharing", "limit_sensitive")} == {
        "access": "know", "categories": "know", "portability": "know", "erasure": "delete",
        "correction": "correct", "opt_out_sale_sharing": "opt_out", "limit_sensitive": "limit",
    }
    for other in ("restriction", "objection", "withdraw_consent", "appeal", "nonsense"):
        assert metric_type(other) is None


def test_invalid_records_are_refused() -> None:
    with pytest.raises(MetricsError, match="needs closed_at"):
        RequestRecord("know", at("2025-01-01T00:00"), None, "denied")
    with pytest.raises(MetricsError, match="before received_at"):
        RequestRecord("know", at("2025-01-02T00:00"), at("2025-01-01T00:00"), "denied")
    with pytest.raises(MetricsError, match="time zone"):
        RequestRecord("know", at("2025-01-01T00:00+00:00"), at("2025-01-02T00:00"), "denied")
    with pytest.raises(MetricsError, match="unknown outcome"):
        RequestRecord("know", at("2025-01-01T00:00"), None, "lost")  # type: ignore[arg-type]


def _write_files(tmp_path: Path) -> tuple[Path, Path]:
    extra = ("restriction", "2025-10-01T10:00", "2025-10-02T10:00", "complied_full")  # not a §7102 type
    rows = [*ROWS, extra]
    as_json = tmp_path / "records.json"
    as_json.write_text(json.dumps({"records": [
        {"type": k, "received_at": r, "closed_at": c, "outcome": o} for k, r, c, o in rows
    ]}))
    as_csv = tmp_path / "records.csv"
    with as_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["type", "received_at", "closed_at", "outcome"])
        writer.writerows([k, r, c or "", o] for k, r, c, o in rows)
    return as_json, as_csv


def test_records_from_json_and_csv_give_the_same_figures(tmp_path: Path) -> None:
    as_json, as_csv = _write_files(tmp_path)
    for path in (as_json, as_csv):
        records = load_records(path)
        assert len(records) == len(ROWS)  # the restriction request is not counted
        _check_by_hand(compute_metrics(records, START, END))


def test_bad_record_files_name_the_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("type,received_at,closed_at,outcome\naccess,2025-01-01,,open\naccess,yesterday,,open\n")
    with pytest.raises(MetricsError, match=r"bad\.csv: line 3.*received_at 'yesterday'"):
        load_records(path)
    path = tmp_path / "bad.json"
    path.write_text('[{"type": "teleport", "received_at": "2025-01-01"}]')
    with pytest.raises(MetricsError, match="record 1.*unknown request type 'teleport'"):
        load_records(path)
    path.write_text("{not json")
    with pytest.raises(MetricsError, match="not valid JSON"):
        load_records(path)
    with pytest.raises(MetricsError, match="cannot read"):
        load_records(tmp_path / "missing.json")


def test_table_and_html_with_an_svg_chart() -> None:
    metrics = compute_metrics(_records(), START, END)
    table = metrics_table(metrics)
    assert "2025-01-01 to 2025-12-31" in table
    know = next(line for line in table.splitlines() if line.startswith("Requests to know"))
    assert know.split()[-6:] == ["4", "2", "1", "1", "14.0", "18.0"]
    page = metrics_html(metrics, organization="Acme <Shop>")
    assert "Acme &lt;Shop&gt;" in page and "<script" not in page
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root.find(f"{ns}title") is not None and root.find(f"{ns}desc") is not None
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 15  # five request types, three bars each
    heights = {r.find(f"{ns}title").text: float(r.get("height", "0")) for r in bars}  # type: ignore[union-attr]
    assert heights["Know, Received: 4"] > heights["Know, Complied in whole or in part: 2"] > heights["Know, Denied: 1"] > 0
    assert heights["Limit, Received: 0"] == 0
    assert "Know: 4 received, 2 complied, 1 denied" in root.find(f"{ns}desc").text  # type: ignore[union-attr,operator]
