"""The record of processing activities: GDPR Art. 30(1) points (a) to (g), one row per purpose."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from custos.datamap import DataMap
from custos.notice import RopaFormatError, records_of_processing, render_ropa
from tests.notice.conftest import by_key, variant


def _rows(datamap: DataMap) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render_ropa(datamap, "csv"))))


def test_csv_has_a_column_for_each_point_a_to_g(demo_map: DataMap) -> None:
    header = next(csv.reader(io.StringIO(render_ropa(demo_map, "csv"))))
    points = {title[1] for title in header if title.startswith("(")}
    assert points == set("abcdefg")
    assert header[0] == "Processing activity"


def test_one_row_per_purpose_with_its_points(demo_map: DataMap) -> None:
    rows = {row["Processing activity"]: row for row in _rows(demo_map)}
    assert list(rows) == ["fulfillment", "security", "newsletter", "advertising", "accounting"]
    fulfillment = rows["fulfillment"]
    assert fulfillment["(a) Controller"] == "Acme Shop, Inc."
    assert fulfillment["(a) Controller contact"] == "1 Main St, Springfield, CA 90210; privacy@acme.example; +1 800 555 0100"
    assert fulfillment["(a) Data protection officer"] == "Dana Privacy, dpo@acme.example"
    assert fulfillment["(a) Representative"].startswith("Acme EU Representative GmbH")
    assert fulfillment["(b) Purpose"] == "Provide and deliver orders: Take your order, take payment and deliver it to you."
    assert fulfillment["(b) Lawful basis"] == "Performance of a contract with you (GDPR Art. 6(1)(b))"
    assert fulfillment["(c) Categories of data subjects"] == "Customer"
    assert "Credit Card Information (user.financial.credit_card)" in fulfillment["(c) Categories of personal data"]
    assert fulfillment["(d) Categories of recipients"] == "Parcel carriers (service providers); Stripe (service providers)"
    assert fulfillment["(d) Third countries"] == "United States (US)"  # Germany is in the EEA
    assert fulfillment["(e) Transfers to third countries and safeguards"] == (
        "Parcel carriers to United States (US): No safeguard recorded; "
        "Stripe to United States (US): Standard contractual clauses (2021/914)"
    )
    assert fulfillment["(f) Time limits for erasure"] == (
        "3 years from your last activity with us, then we anonymize it; shop.orders.total kept for "
        "7 years after erasure: Legal obligation (CCPA 1798.105(d)(8); GDPR Art. 17(3)(b))"
    )
    assert fulfillment["(g) Technical and organisational security measures"].startswith(
        "Encryption of data at rest (AES-256)"
    )
    assert rows["security"]["(d) Third countries"] == "None"  # hosting in Ireland stays in the EEA
    assert rows["newsletter"]["(e) Transfers to third countries and safeguards"] == (
        "Newsletter service to United Kingdom (GB): Adequacy decision of the European Commission (GDPR Art. 45)"
    )
    assert rows["security"]["(b) Lawful basis"].endswith(": Protecting our customers and our shop from fraud")


def test_what_the_map_does_not_record_is_said(demo_map: DataMap) -> None:
    def bare(data: dict[str, Any]) -> None:
        for key in ("dpo", "representative", "security_measures"):
            data["organization"].pop(key)
        purpose = by_key(data["purposes"], "security")
        purpose.pop("retention")
        purpose["subjects"] = []

    rows = {row["Processing activity"]: row for row in _rows(variant("demo.yaml", bare))}
    assert rows["security"]["(a) Data protection officer"] == "None designated"
    assert rows["security"]["(f) Time limits for erasure"] == "No time limit recorded in the data map"
    assert rows["security"]["(c) Categories of data subjects"] == "Not recorded in the data map"
    assert rows["security"]["(g) Technical and organisational security measures"] == "Not recorded in the data map"


def test_cells_cannot_become_spreadsheet_formulas() -> None:
    changed = variant("demo.yaml", lambda d: by_key(d["purposes"], "security").update(name="=HYPERLINK(1)"))
    rows = {row["Processing activity"]: row for row in _rows(changed)}
    assert rows["security"]["(b) Purpose"].startswith("'=HYPERLINK(1)")


def test_html_has_a_section_per_activity_and_escapes_the_map() -> None:
    hostile = variant(
        "demo.yaml", lambda d: by_key(d["purposes"], "security").update(name="<script>x</script>")
    )
    text = render_ropa(hostile, "html")
    assert "<script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert text.count('<section aria-labelledby="activity-') == 5
    for point in "bcdefg":
        assert f"<th scope=\"row\">({point})" in text
    assert "(a) Controller" in text


def test_records_and_unknown_format(demo_map: DataMap) -> None:
    records = records_of_processing(demo_map)
    assert [r.activity for r in records] == ["fulfillment", "security", "newsletter", "advertising", "accounting"]
    with pytest.raises(RopaFormatError):
        render_ropa(demo_map, "xlsx")
