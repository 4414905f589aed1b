"""A restriction takes effect on the stores (GDPR Art. 18): the map's restriction flag is set
on the person's rows, the data stays, and it is lifted only after the person is told why
(Art. 18(3)). It was only recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import shop
from tests.service.conftest import Harness, start
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE

FLAG = "          - {name: processing_restricted, restriction: true}\n"


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setattr(shop, "MAP", shop.MAP.replace(
        "          - {name: merged_into,", FLAG + "          - {name: merged_into,", 1))
    running = start(tmp_path, jurisdictions="[gdpr, ccpa]")
    harness = next(running)
    engine = sa.create_engine(harness.shop_url)
    with engine.begin() as conn:  # the company's application honours this flag
        conn.execute(sa.text("ALTER TABLE customers ADD COLUMN processing_restricted BOOLEAN"))
    engine.dispose()
    yield harness
    running.close()


def flags(harness: Harness) -> dict[int, object]:
    engine = sa.create_engine(harness.shop_url)
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT id, processing_restricted FROM customers")).all())
    engine.dispose()
    return found


def test_a_restriction_flags_the_person_s_rows_and_is_lifted_only_after_telling_them(harness: Harness) -> None:
    receipt = harness.submit(type="restriction", email=shop.ALICE, jurisdiction="gdpr")
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    assert {k: bool(v) for k, v in flags(harness).items()} == {1: True, 2: True, 3: False, 4: False}
    detail = harness.client.get(f"/v1/admin/requests/{receipt['id']}", headers=harness.key(*WRITE)).json()
    [result] = [r for r in detail["results"] if r["kind"] == "restriction"]
    assert result["row_count"] == 2 and result["collections"]["shop.customers"]["changed"] == 2
    # the access package shows it: the flag is a field of the map
    from custos.engine import Subject

    with harness.service.engine_lock:
        rows = harness.service.engine.access(Subject.of(email=shop.ALICE)).to_dict()["datasets"]["shop"]["customers"]
    assert {r["id"]: r["processing_restricted"] for r in rows} == {1: True, 2: True}
    completion = harness.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()
    assert "no longer use it" in completion
    url = f"/v1/admin/requests/{receipt['id']}/lift-restriction"
    assert harness.client.post(url, json={"notice": " "}, headers=harness.key(*WRITE)).status_code == 422
    lifted = harness.client.post(url, json={"notice": "the accuracy of your address is now confirmed"},
                                 headers=harness.key(*WRITE))
    assert lifted.status_code == 200, lifted.text
    [told] = harness.mails(shop.ALICE, "restriction_lifted")
    assert "the accuracy of your address is now confirmed" in told.get_body(("plain",)).get_content()
    assert not any(flags(harness).values())
    assert harness.client.post(url, json={"notice": "again"}, headers=harness.key(*WRITE)).status_code == 409
    entries = harness.client.get("/v1/admin/audit", params={"request_id": receipt["id"]},
                                 headers=harness.key("audit:read")).json()
    assert "request.restriction_lifted" in [e["action"] for e in entries]


def test_only_a_completed_restriction_can_be_lifted(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.BOB, jurisdiction="gdpr")
    answer = harness.client.post(f"/v1/admin/requests/{receipt['id']}/lift-restriction",
                                 json={"notice": "no"}, headers=harness.key(*WRITE))
    assert answer.status_code == 409
