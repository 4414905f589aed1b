"""Reading request records for the metrics from a JSON or CSV file.

Each record has ``type`` (a §7102 type such as ``know``, or a Custos request type such
as ``access``), ``received_at``, ``closed_at`` (empty while open) and ``outcome``
(``complied_full``, ``complied_part``, ``denied`` or ``open``; empty means open). Times
are ISO-8601 dates or datetimes. Request types that §7102 does not count (restriction,
objection, withdraw_consent, appeal) are skipped. JSON is a list of such objects, or an
object holding it under ``records``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from custos.notice.metrics import OUTCOMES, MetricsError, RequestRecord, metric_type
from custos.rules import request_types


def load_records(path: str | Path) -> list[RequestRecord]:
    """The request records in the JSON or CSV file ``path`` (by its suffix)."""
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise MetricsError(f"cannot read the records: {error}", where=str(location)) from None
    if location.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        first_line = 2  # the header is line 1
    else:
        rows = _json_rows(text, str(location))
        first_line = 1
    records = []
    for index, row in enumerate(rows):
        label = f"{location}: {'line' if first_line == 2 else 'record'} {index + first_line}"
        record = _record(row, label)
        if record is not None:
            records.append(record)
    return records


def parse_moment(value: Any, label: str, name: str) -> datetime | None:
    """An ISO-8601 date or datetime, or None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise MetricsError(f"{name} must be an ISO-8601 date or datetime, not {value!r}", where=label)
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text)
    except ValueError:
        raise MetricsError(f"{name} {text!r} is not an ISO-8601 date or datetime", where=label) from None


def _json_rows(text: str, where: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise MetricsError(f"not valid JSON: {error}", where=where) from None
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MetricsError("expected a list of request records (objects)", where=where)
    return data


def _record(row: dict[str, Any], label: str) -> RequestRecord | None:
    kind = str(row.get("type") or "").strip()
    counted = metric_type(kind)
    if counted is None:
        if kind in request_types():
            return None
        raise MetricsError(f"unknown request type {kind!r}", where=label)
    received = parse_moment(row.get("received_at"), label, "received_at")
    if received is None:
        raise MetricsError("received_at is missing", where=label)
    closed = parse_moment(row.get("closed_at"), label, "closed_at")
    outcome = str(row.get("outcome") or "").strip() or "open"
    if outcome not in OUTCOMES:
        raise MetricsError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}", where=label)
    try:
        return RequestRecord(type=counted, received_at=received, closed_at=closed, outcome=outcome)
    except MetricsError as error:
        raise MetricsError(error.message, where=label) from None
