"""Erasure: every strategy applied where it should be, nothing outside the subject touched."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa

from custos.engine import REDACTED, Subject
from custos.stores.sql import normalize_url
from tests import shop
from tests.engine.conftest import SECRET, Shop


def fetch(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        result = [tuple(r) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    return result


def test_erasure_applies_each_strategy(built_shop: Shop) -> None:
    result = built_shop.engine().erase(Subject.of(email=shop.ALICE))
    assert result.status == "completed", result.to_dict()
    url = built_shop.shop_url
    expected_hash = hmac.new(SECRET, shop.ALICE.encode(), hashlib.sha256).hexdigest()
    alice = fetch(url, "SELECT email, full_name, phone, birth_date, internal_score FROM customers WHERE id = 1")[0]
    assert alice[0] == expected_hash
    assert alice[1] is None and alice[2] is None
    assert str(alice[3]).startswith("1990-01-01")
    assert alice[4] == 7  # a column the map does not list is never touched
    assert fetch(url, "SELECT ship_address FROM orders WHERE id IN (10, 11) ORDER BY id") == [(REDACTED,), (REDACTED,)]
    # kept for tax records
    assert [float(t) for (t,) in fetch(url, "SELECT total FROM orders WHERE id IN (10, 11) ORDER BY id")] == [19.99, 5.0]
    assert fetch(url, "SELECT gift_message FROM order_lines WHERE id = 100") == [(None,)]
    assert fetch(url, "SELECT count(*) FROM sessions WHERE customer_id = 1") == [(0,)]
    assert fetch(url, "SELECT count(*) FROM newsletter WHERE id = 1") == [(0,)]
    # the merged old account is erased too
    assert fetch(url, "SELECT full_name FROM customers WHERE id = 2") == [(None,)]
    nickname = fetch(url, "SELECT nickname FROM group_members WHERE customer_id = 1")[0][0]
    assert nickname not in ("Ali", None)
    assert fetch(built_shop.crm_url, "SELECT notes FROM contacts ORDER BY id") == [
        (REDACTED,), ("Bob's note",), (REDACTED,)]


def test_reference_is_masked_only_where_it_points_at_the_subject(built_shop: Shop) -> None:
    built_shop.engine().erase(Subject.of(email=shop.ALICE))
    rows = fetch(built_shop.shop_url, "SELECT id, creator_id, assignee_id FROM tasks ORDER BY id")
    # a task Alice was assigned loses its assignee, not its creator (Bob); and the other way round
    assert rows == [(300, 3, None), (301, None, 3), (302, 3, 3)]


def test_erasure_leaves_other_people_untouched(built_shop: Shop) -> None:
    before = shop.snapshot(built_shop.shop_url)
    built_shop.engine().erase(Subject.of(email=shop.ALICE))
    after = shop.snapshot(built_shop.shop_url)
    alice_ids = {1, 2}
    for table in ("customers",):
        assert [r for r in before[table] if r[0] not in alice_ids] == [r for r in after[table] if r[0] not in alice_ids]
    bob_orders = [r for r in after["orders"] if r[1] == 3]
    assert bob_orders == [r for r in before["orders"] if r[1] == 3]
    assert [r for r in after["sessions"] if r[0] == 3] == [r for r in before["sessions"] if r[0] == 3]
    assert [r for r in after["tickets"] if r[0] != 200] == [r for r in before["tickets"] if r[0] != 200]


def test_result_reports_counts_kept_fields_and_residual(built_shop: Shop) -> None:
    result = built_shop.engine().erase(Subject.of(email=shop.ALICE))
    by_name = {c.collection: c for c in result.collections}
    assert by_name["shop.customers"].rows_found == 2
    assert by_name["shop.customers"].rows_changed == 2
    assert by_name["shop.sessions"].rows_deleted == 2
    assert by_name["shop.newsletter"].rows_deleted == 1
    kept = by_name["shop.orders"].fields_kept
    assert [(k.field, k.exception) for k in kept] == [("total", "tax_records")]
    assert "1798.105(d)(8)" in (kept[0].basis or "") and "17(3)(b)" in (kept[0].basis or "")
    assert result.residual is not None and result.residual.ok
    residual = {c.collection: c for c in result.residual.collections}
    assert residual["shop.orders"].fields_remaining == ["total"]
    assert residual["shop.sessions"].rows_remaining == 0


def test_second_erasure_changes_nothing(built_shop: Shop) -> None:
    engine = built_shop.engine()
    engine.erase(Subject.of(email=shop.ALICE))
    before = shop.snapshot(built_shop.shop_url)
    again = engine.erase(Subject.of(email=shop.ALICE))
    assert again.rows_changed == 0 and again.rows_deleted == 0
    assert again.status == "nothing_found"
    assert shop.snapshot(built_shop.shop_url) == before


def test_plan_changes_nothing_and_matches_the_erasure(built_shop: Shop) -> None:
    before = shop.snapshot(built_shop.shop_url)
    engine = built_shop.engine()
    plan = engine.plan(Subject.of(email=shop.ALICE))
    assert shop.snapshot(built_shop.shop_url) == before
    planned = {c.collection: (c.rows_found, c.action) for c in plan.collections if c.rows_found}
    result = engine.erase(Subject.of(email=shop.ALICE))
    done = {c.collection: (c.rows_found, c.action) for c in result.collections if c.rows_found}
    assert planned == done
    assert planned["shop.sessions"] == (2, "delete")
    assert planned["shop.customers"] == (2, "mask")


def test_batch_erasure_of_many_subjects_in_one_pass(built_shop: Shop) -> None:
    engine = built_shop.engine()
    result = engine.erase([Subject.of(email=shop.ALICE), Subject.of(email=shop.BOB)])
    assert result.status == "completed"
    names = fetch(built_shop.shop_url, "SELECT full_name FROM customers ORDER BY id")
    assert names == [(None,), (None,), (None,), ("Carol",)]
    assert fetch(built_shop.shop_url, "SELECT count(*) FROM sessions") == [(0,)]


def test_correction_writes_new_values(built_shop: Shop) -> None:
    engine = built_shop.engine()
    result = engine.correct(Subject.of(email=shop.BOB), {"shop.customers.full_name": "Robert Builder"})
    assert result.status == "completed"
    assert fetch(built_shop.shop_url, "SELECT full_name FROM customers WHERE id = 3") == [("Robert Builder",)]
    assert fetch(built_shop.shop_url, "SELECT full_name FROM customers WHERE id = 1") == [("Alice Liddell",)]
