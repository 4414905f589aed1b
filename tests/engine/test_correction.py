"""A correction completes what is missing (GDPR Art. 16: "to have incomplete personal data
completed"): an empty field gets the new value. It reported "completed" with nothing changed."""

from __future__ import annotations

from custos.engine import Subject
from tests import shop
from tests.engine.conftest import Shop


def test_a_correction_fills_an_empty_field_and_changes_only_that(built_shop: Shop) -> None:
    engine = built_shop.engine()
    person = Subject.of(email="alice.old@example.com")  # her old account: no phone on file
    before = engine.access(person).to_dict()["datasets"]["shop"]["customers"]
    assert [(r["id"], r["phone"]) for r in before if r["email"] == "alice.old@example.com"] == [(2, None)]
    corrected = engine.correct(person, {"shop.customers.phone": "+1 415 555 0199"})
    assert corrected.status == "completed"
    assert [(c.collection, c.rows_changed) for c in corrected.collections] == [("shop.customers", 1)]
    after = {r["id"]: r for r in engine.access(person).to_dict()["datasets"]["shop"]["customers"]}
    assert after[2]["phone"] and after[2]["phone"].replace(" ", "").endswith("4155550199")
    again = engine.correct(person, {"shop.customers.phone": "+1 415 555 0199"})
    assert [c.rows_changed for c in again.collections] == [0]
    # the other people's rows are as they were
    bob = engine.access(Subject.of(email=shop.BOB)).to_dict()["datasets"]["shop"]["customers"]
    assert [r["phone"] for r in bob] == ["+14155550103"]
