"""Building the access package from an access result and the data map (GDPR Art. 15, 20)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from custos.datamap import DataMap
from custos.engine import AccessResult

_ENV = Environment(
    loader=PackageLoader("custos.package", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to a spreadsheet: prefix it so it stays text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def art15_information(datamap: DataMap, result: AccessResult) -> dict[str, Any]:
    """Purposes, categories, recipients, retention and sources that concern the rows found."""
    taxonomy = datamap.taxonomy
    categories = result.categories()
    purposes = []
    for purpose in datamap.document.purposes:
        relevant = not purpose.categories or any(
            taxonomy.is_within(c, p) or taxonomy.is_within(p, c) for c in categories for p in purpose.categories
        )
        if relevant:
            purposes.append(purpose)
    recipients = datamap.recipients
    used = sorted({r for p in purposes for r in p.recipients})
    return {
        "organization": datamap.document.organization,
        "categories": [(c, taxonomy.category(c).name if taxonomy.has_category(c) else c) for c in categories],
        "purposes": purposes,
        "recipients": [recipients[r] for r in used if r in recipients],
        "sources": sorted({s for p in purposes for s in p.sources}),
        "jurisdictions": datamap.document.organization.jurisdictions,
    }


def package_files(datamap: DataMap, result: AccessResult) -> dict[str, bytes]:
    """Each file of the package by name."""
    data = result.to_dict()
    files: dict[str, bytes] = {
        "data.json": json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False).encode(),
    }
    for dataset, collections in data["datasets"].items():
        for name, rows in collections.items():
            files[f"csv/{dataset}.{name}.csv"] = _csv(rows).encode()
    html = _ENV.get_template("report.html.j2").render(
        data=data, info=art15_information(datamap, result), row_count=result.row_count
    )
    files["report.html"] = html.encode()
    return files


def build_package(datamap: DataMap, result: AccessResult) -> bytes:
    """The zip a person downloads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in package_files(datamap, result).items():
            archive.writestr(name, content)
    return buffer.getvalue()
