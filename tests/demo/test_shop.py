"""The sample shop: the same seed gives the same rows, on every store, with every path for the demo."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.datamap import parse_datamap
from custos.demo import DEMO_EMAIL, ShopSummary, build_shop, demo_map_text
from custos.demo.loading import MATCHED
from custos.demo.schema import TABLES, metadata
from custos.engine import REDACTED, Engine, Subject
from custos.engine.subject import normalize_email, normalize_phone
from custos.errors import CustosError, StoreError
from custos.matching import BUILTIN
from custos.stores.sql import SQLStore, normalize_url
from tests.demo.conftest import AS_OF, SMALL, digest, sqlite_url, table_rows

Shop = tuple[str, ShopSummary]


def _scalar(url: str, sql: str, **params: object) -> object:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()


def _count(url: str, sql: str, **params: object) -> int:
    return int(_scalar(url, f"SELECT COUNT(*) FROM ({sql}) found", **params) or 0)  # noqa: S608 - fixed SQL of the tests


# -- determinism ----------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_rows(small_shop: Shop, tmp_path: Path) -> None:
    url, _summary = small_shop
    again = sqlite_url(tmp_path, "again.db")
    build_shop(again, customers=SMALL, as_of=AS_OF)
    assert digest(again) == digest(url)


def test_another_seed_gives_other_rows(small_shop: Shop, tmp_path: Path) -> None:
    url, _summary = small_shop
    other = sqlite_url(tmp_path, "other.db")
    build_shop(other, customers=SMALL, seed=8, as_of=AS_OF)
    assert digest(other) != digest(url)


def test_the_fast_build_is_deterministic_too(fast_shop: Shop, tmp_path: Path) -> None:
    url, summary = fast_shop
    again = sqlite_url(tmp_path, "again.db")
    assert build_shop(again, customers=summary.customers, fast=True, as_of=AS_OF).counts == summary.counts
    assert digest(again) == digest(url)


# -- what is in it ----------------------------------------------------------------------------

def test_the_summary_counts_every_table(small_shop: Shop) -> None:
    url, summary = small_shop
    rows = table_rows(url)
    assert dict(summary.counts) == {name: len(found) for name, found in rows.items()}
    assert summary.customers == SMALL
    assert summary.total_rows == sum(summary.counts.values())
    assert summary.demo_subject == DEMO_EMAIL == summary.subjects[0]
    assert summary.as_of == AS_OF
    assert set(summary.counts) == {table.name for table in TABLES}


def test_the_demo_subject_has_data_of_every_kind(small_shop: Shop) -> None:
    url, _summary = small_shop
    me = int(_scalar(url, "SELECT id FROM customers WHERE email = :e", e=DEMO_EMAIL))  # type: ignore[arg-type]
    assert _count(url, "SELECT id FROM customers WHERE merged_into = :me", me=me) == 1  # old account
    accounts = "SELECT id FROM customers WHERE id = :me OR merged_into = :me"
    orders = f"SELECT id FROM orders WHERE customer_id IN ({accounts})"  # noqa: S608
    for sql in (
        f"SELECT id FROM addresses WHERE customer_id IN ({accounts})",  # noqa: S608
        orders,
        f"SELECT id FROM order_lines WHERE order_id IN ({orders})",  # noqa: S608
        f"SELECT id FROM order_lines WHERE order_id IN ({orders}) AND gift_message IS NOT NULL",  # noqa: S608
        f"SELECT id FROM payments WHERE order_id IN ({orders})",  # noqa: S608
        f"SELECT customer_id FROM sessions WHERE customer_id IN ({accounts})",  # noqa: S608
        f"SELECT id FROM orders WHERE customer_id IN ({accounts}) AND customer_id <> :me",  # noqa: S608
        "SELECT id FROM support_tickets WHERE customer_id = :me",  # a ticket as customer
        "SELECT id FROM support_tickets WHERE customer_id IS NULL AND email = :e",  # as a guest
        # a note on someone else's ticket
        "SELECT n.id FROM ticket_notes n JOIN support_tickets t ON t.id = n.ticket_id "
        "WHERE n.author_customer_id = :me AND t.customer_id <> :me",
        # a note by staff on the subject's ticket
        "SELECT n.id FROM ticket_notes n JOIN support_tickets t ON t.id = n.ticket_id "
        "WHERE n.author_customer_id IS NULL AND t.customer_id = :me",
        "SELECT id FROM newsletter_subscribers WHERE email = :e",
    ):
        assert _count(url, sql, me=me, e=DEMO_EMAIL) >= 1, sql


def test_foreign_keys_hold(small_shop: Shop, fast_shop: Shop) -> None:
    for url, _summary in (small_shop, fast_shop):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        engine.dispose()


def test_about_ten_rows_per_customer_with_every_shape(fast_shop: Shop) -> None:
    url, summary = fast_shop
    counts = summary.counts
    assert 9.0 <= summary.total_rows / summary.customers <= 11.5
    assert 1.0 <= counts["addresses"] / summary.customers <= 2.0
    assert 1.0 <= counts["order_lines"] / counts["orders"] <= 4.0
    assert counts["payments"] == counts["orders"]
    assert 0.25 <= counts["newsletter_subscribers"] / summary.customers <= 0.35
    assert _count(url, "SELECT id FROM customers WHERE merged_into IS NOT NULL") >= 10
    assert _count(url, "SELECT id FROM support_tickets WHERE customer_id IS NOT NULL") >= 50
    guests = ("SELECT t.id FROM support_tickets t LEFT JOIN customers c ON c.email = t.email "
              "WHERE t.customer_id IS NULL AND c.id IS NULL")
    assert _count(url, guests) >= 20
    before_signing_up = ("SELECT t.id FROM support_tickets t JOIN customers c ON c.email = t.email "
                         "WHERE t.customer_id IS NULL")
    assert _count(url, before_signing_up) >= 2
    assert _count(url, "SELECT id FROM ticket_notes WHERE author_customer_id IS NOT NULL") >= 10
    assert _count(url, "SELECT customer_id FROM sessions WHERE ip LIKE '%:%'") >= 10  # IPv6 too


def test_emails_are_unique_and_normalized_and_phones_are_e164(fast_shop: Shop) -> None:
    url, _summary = fast_shop
    rows = table_rows(url)
    emails = [row[1] for row in rows["customers"]]
    assert len(set(emails)) == len(emails)
    assert all(normalize_email(email) == email for email in emails)
    assert all(normalize_email(row[2]) == row[2] for row in rows["support_tickets"])
    phones = [row[3] for row in rows["customers"] if row[3] is not None]
    assert len(phones) > len(emails) // 2
    assert all(normalize_phone(phone) == phone for phone in phones)


@pytest.mark.parametrize("shop_fixture", ["small_shop", "fast_shop"])
def test_sample_email_is_the_email_of_that_customer(shop_fixture: str, request: pytest.FixtureRequest) -> None:
    url, summary = request.getfixturevalue(shop_fixture)
    by_id = {row[0]: row[1] for row in table_rows(url)["customers"]}
    assert [summary.sample_email(i) for i in range(summary.customers)] == [
        by_id[i + 1] for i in range(summary.customers)
    ]
    assert summary.sample_email(summary.customers) == summary.sample_email(0) == DEMO_EMAIL
    known = set(by_id.values()) | {row[2] for row in table_rows(url)["support_tickets"]}
    assert set(summary.subjects) <= known
    assert len(summary.subjects) >= 4


def test_a_rebuild_replaces_the_previous_shop(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path, "shop.db")
    build_shop(url, customers=40, as_of=AS_OF)
    summary = build_shop(url, customers=10, as_of=AS_OF)
    assert {name: len(rows) for name, rows in table_rows(url).items()} == dict(summary.counts)
    assert summary.customers == 10
    assert sorted(Path(tmp_path).iterdir()) == [tmp_path / "shop.db"]  # no WAL left behind


def test_too_few_customers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CustosError, match="at least 3 customers"):
        build_shop(sqlite_url(tmp_path, "shop.db"), customers=2)


@pytest.mark.parametrize("url", ["sqlite:////no/such/folder/shop.db", "nosuchstore://somewhere/db"])
def test_a_store_that_cannot_be_used_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="shop"):
        build_shop(url, customers=3)


# -- every store ----------------------------------------------------------------------------

def test_every_store_gets_the_same_rows_and_indexes(db_url: str, small_shop: Shop) -> None:
    reference, expected = small_shop
    summary = build_shop(db_url, customers=SMALL, as_of=AS_OF)
    assert summary.counts == expected.counts
    assert digest(db_url) == digest(reference)

    engine = sa.create_engine(normalize_url(db_url))
    try:
        inspector = sa.inspect(engine)
        for table in TABLES:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
                indexed = {tuple(i["column_names"]) for i in inspector.get_indexes(table.name)}
                indexed |= {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
            referencing = {tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys(table.name)}
            assert referencing == {(c.name,) for c in table.columns if c.foreign_keys}
            assert referencing <= indexed, table.name
    finally:
        engine.dispose()


def test_every_identity_lookup_of_the_demo_uses_an_index(db_url: str, small_shop: Shop) -> None:
    """The shop indexes the expression each match rule compares; only a phone's digits on
    MariaDB cannot be indexed, and the store says so instead of pretending."""
    build_shop(db_url, customers=SMALL, as_of=AS_OF)
    store = SQLStore("shop", db_url)
    try:
        for table, column, rule in MATCHED:
            plan = store.lookup_plan(table, column, BUILTIN[rule])
            if store.dialect == "mysql" and rule == "phone":
                assert not plan.uses_index and plan.advice is not None and "cannot use an index" in plan.advice
            else:
                assert plan.uses_index, (table, column, plan.advice)
    finally:
        store.close()


def test_the_demo_requests_run_on_every_store(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_shop(db_url, customers=12, as_of=AS_OF)
    monkeypatch.setenv("SHOP_DB_URL", db_url)
    datamap = parse_datamap(demo_map_text(), file="shop.yaml")
    engine = Engine(datamap, secret_key=b"demo-test-secret", journal=tmp_path / "journal.db")
    try:
        assert [str(p) for p in engine.schema_problems()] == []
        subject = Subject.of(email=DEMO_EMAIL)
        found = engine.access(subject).datasets()["shop"]
        assert set(found) == set(metadata.tables)
        assert len(found["customers"]) == 2  # the account and the old one merged into it

        result = engine.erase(subject)
        assert result.status == "completed"
        assert result.residual is not None and result.residual.ok
    finally:
        engine.close()

    rows = table_rows(db_url)
    notes = {row[0]: row for row in rows["ticket_notes"]}
    tickets = {row[0]: row for row in rows["support_tickets"]}
    someone_elses = next(t for t in tickets.values() if t[1] == 3)
    assert someone_elses[3] == "Gift order for a friend"  # the other customer's ticket is theirs
    on_it = [n for n in notes.values() if n[1] == someone_elses[0]]
    assert sorted((n[2], n[3]) for n in on_it) == sorted(
        [(None, REDACTED), (None, "Replacement sent to the recipient.")]  # the subject's note, staff's
    )
    assert not any(row[1] == DEMO_EMAIL for row in rows["customers"])
    assert not any(row[0] in (1, 2) for row in rows["sessions"])
