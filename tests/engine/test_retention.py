"""Retention on the stores, on SQLite, PostgreSQL and MariaDB.

A small shop the project's own fixtures never wrote: accounts whose clock is the person's
last activity (their own ``last_active_at`` or their newest order), orders kept seven
years for tax with the delivery address anonymized after three, and sign-in sessions
without a key deleted after thirteen months. Each end state is compared with what plain
SQL written in the test says it must be.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from custos.datamap import DataMap, parse_datamap
from custos.engine import Engine, Journal, Subject
from custos.engine.retention import Holds, Retention
from custos.errors import DataMapErrors
from custos.stores.sql import SQLStore, normalize_url
from tests.conftest import Databases

SECRET = b"retention-secret"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def years_ago(years: int, **extra: float) -> datetime:
    return NOW.replace(year=NOW.year - years, tzinfo=None) - timedelta(**extra)


def build(url: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    customers = sa.Table(
        "customers", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("email", sa.String(80)),
        sa.Column("full_name", sa.String(80)), sa.Column("birthday", sa.Date, nullable=True),
        sa.Column("last_active_at", sa.DateTime, nullable=True), sa.Column("note", sa.Text, nullable=True))
    orders = sa.Table(
        "orders", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("customer_id", sa.Integer),
        sa.Column("placed_at", sa.DateTime), sa.Column("total", sa.Numeric(10, 2)),
        sa.Column("ship_address", sa.String(120), nullable=True))
    sessions = sa.Table(
        "sessions", meta, sa.Column("customer_id", sa.Integer), sa.Column("ip", sa.String(45)),
        sa.Column("started_at", sa.DateTime))
    meta.create_all(engine)
    rows = [
        # dormant: last seen four years ago, last order four years ago
        (1, "Dormant@Example.com", "Ann Dormant", date(1980, 5, 17), years_ago(4), [(10, years_ago(4), "1 Old St")]),
        # own clock old, but an order last year keeps the person active
        (2, "fresh@example.com", "Bo Fresh", None, years_ago(4), [(20, years_ago(1), "2 New St")]),
        # never dated: reported, never swept
        (3, "undated@example.com", "Cy Undated", None, None, []),
        # active last month
        (4, "active@example.com", "Di Active", None, years_ago(0, days=30), []),
        # exactly three years ago to the second: the period ends now, not yet due
        (5, "edge@example.com", "Ed Edge", None, years_ago(3), []),
        # one second past the boundary
        (6, "past@example.com", "Flo Past", None, years_ago(3, seconds=1),
         [(60, years_ago(8), "6 Ancient Rd"), (61, years_ago(3, days=2), "6 Recent Rd")]),
    ]
    with engine.begin() as conn:
        for cid, email, name, birthday, active, its_orders in rows:
            conn.execute(customers.insert().values(id=cid, email=email, full_name=name, birthday=birthday,
                                                   last_active_at=active, note=f"note {cid}"))
            for oid, placed, address in its_orders:
                conn.execute(orders.insert().values(id=oid, customer_id=cid, placed_at=placed, total=10 + oid,
                                                    ship_address=address))
        conn.execute(sessions.insert(), [
            {"customer_id": 1, "ip": "10.0.0.1", "started_at": years_ago(1, days=45)},
            {"customer_id": 1, "ip": "10.0.0.2", "started_at": years_ago(1, days=-15)},
            {"customer_id": 4, "ip": "10.0.0.4", "started_at": years_ago(2)},
        ])
    engine.dispose()


def document(url: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "organization": {"name": "Shop", "privacy_contact": "p@shop.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["shop"]}],
        "datasets": [{"key": "shop", "collections": [
            {"name": "customers", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "email", "identity": "email", "categories": ["user.contact.email"], "erase": "mask_hash"},
                {"name": "full_name", "categories": ["user.name"], "erase": "mask_redact"},
                {"name": "birthday", "categories": ["user.demographic.date_of_birth"], "erase": "mask_date_year"},
                {"name": "last_active_at", "activity": True},
                {"name": "note", "categories": ["user.content.private"]}]},
            {"name": "orders", "anchor": "placed_at", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "customer_id", "references": {"field": "customers.id", "kind": "owner"}},
                {"name": "placed_at", "activity": True},
                {"name": "total", "categories": ["user.financial"], "erase": "keep"},
                {"name": "ship_address", "categories": ["user.contact.address"], "erase": "mask_redact"}]},
            {"name": "sessions", "erase_rows": True,
             "retention": {"period": "P13M", "from": "started_at", "then": "delete"}, "fields": [
                 {"name": "customer_id", "references": {"field": "customers.id", "kind": "owner"}},
                 {"name": "ip", "categories": ["user.device.ip_address"]},
                 {"name": "started_at"}]},
        ]}],
        "purposes": [
            {"key": "account", "name": "Run your account", "lawful_basis": "contract",
             "categories": ["user.name", "user.contact", "user.demographic", "user.content"],
             "retention": {"period": "P3Y", "from": "last_activity", "then": "anonymize"}},
            {"key": "tax", "name": "Tax records", "lawful_basis": "legal_obligation",
             "categories": ["user.financial"],
             "retention": {"period": "P7Y", "from": "collection", "then": "delete"}},
        ],
    }
    for key, value in changes.items():
        doc[key] = value
    return doc


def load(doc: dict[str, Any]) -> DataMap:
    return parse_datamap(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture
def shop(databases: Databases, tmp_path: Path) -> tuple[str, Engine]:
    url = databases.new()
    build(url)
    engine = Engine(load(document(url)), secret_key=SECRET, journal=Journal(tmp_path / "journal.db"))
    yield url, engine
    engine.close()
    engine.journal.close()


def table(url: str, name: str, order: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(normalize_url(url))
    found = sa.Table(name, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(found).order_by(found.c[order])).mappings()]
    engine.dispose()
    return rows


def by_rule(report: Any) -> dict[str, Any]:
    return {f"{r.collection}:{r.purpose}": r for r in report.rules}


def test_plan_counts_due_rows_and_changes_nothing(shop: tuple[str, Engine]) -> None:
    url, engine = shop
    before = table(url, "customers", "id"), table(url, "orders", "id"), table(url, "sessions", "ip")
    report = Retention(engine).plan(NOW)
    rules = by_rule(report)
    # customers 1 (dormant) and 6 (one second past); 2 is kept active by last year's order,
    # 3 is undated, 4 is active, 5 sits exactly on the boundary
    assert rules["shop.customers:account"].due == 2
    assert rules["shop.customers:account"].undated == 1
    assert rules["shop.customers:account"].oldest.startswith(str(years_ago(4).date()))
    # the addresses of the dormant people's orders (10, 60, 61), and order 60 past seven years
    assert rules["shop.orders:account"].due == 3
    assert rules["shop.orders:tax"].due == 1 and rules["shop.orders:tax"].action == "delete"
    assert rules["shop.sessions:collection"].due == 2
    assert (table(url, "customers", "id"), table(url, "orders", "id"), table(url, "sessions", "ip")) == before


def test_sweep_reaches_the_state_plain_sql_describes(shop: tuple[str, Engine]) -> None:
    url, engine = shop
    report = Retention(engine).run(NOW, "r1")
    assert report.ok, report.to_dict()
    customers = {r["id"]: r for r in table(url, "customers", "id")}
    for cid in (1, 6):
        assert customers[cid]["full_name"] == "[REDACTED]"
        assert customers[cid]["note"] is None
        assert customers[cid]["email"] != {1: "Dormant@Example.com", 6: "past@example.com"}[cid]
    assert customers[1]["birthday"] in (date(1980, 1, 1), "1980-01-01")
    for cid in (2, 3, 4, 5):
        assert customers[cid]["full_name"] != "[REDACTED]" and customers[cid]["note"] == f"note {cid}"
    orders = {r["id"]: r for r in table(url, "orders", "id")}
    assert 60 not in orders  # eight years old: past the tax period, deleted
    assert orders[10]["ship_address"] == "[REDACTED]" and orders[61]["ship_address"] == "[REDACTED]"
    assert orders[10]["total"] is not None  # kept for tax
    assert orders[20]["ship_address"] == "2 New St"
    assert [r["ip"] for r in table(url, "sessions", "ip")] == ["10.0.0.2"]
    totals = report.totals()
    assert (totals["deleted"], totals["remaining"]) == (1 + 2, 0)


def test_a_second_sweep_changes_nothing(shop: tuple[str, Engine]) -> None:
    url, engine = shop
    retention = Retention(engine)
    retention.run(NOW, "r1")
    after = table(url, "customers", "id"), table(url, "orders", "id")
    again = retention.run(NOW, "r2")
    assert again.ok
    assert (again.totals()["deleted"], again.totals()["anonymized"]) == (0, 0)
    assert (table(url, "customers", "id"), table(url, "orders", "id")) == after


def test_a_person_on_hold_is_left_alone_and_reported(shop: tuple[str, Engine]) -> None:
    url, engine = shop
    holds = Holds(subjects=(("hold 7 (matter M-1)", Subject({"email": ["dormant@example.com"]})),))
    report = Retention(engine).run(NOW, "r1", holds)
    rules = by_rule(report)
    assert rules["shop.customers:account"].held == 1 and rules["shop.customers:account"].anonymized == 1
    assert rules["shop.customers:account"].held_by == ["hold 7 (matter M-1)"]
    customers = {r["id"]: r for r in table(url, "customers", "id")}
    assert customers[1]["full_name"] == "Ann Dormant" and customers[6]["full_name"] == "[REDACTED]"
    # the held person's sessions have no key to tell them from others': the collection waits
    assert rules["shop.sessions:collection"].held == 2
    assert len(table(url, "sessions", "ip")) == 3
    assert report.ok


def test_a_hold_on_a_collection_skips_it(shop: tuple[str, Engine]) -> None:
    url, engine = shop
    report = Retention(engine).run(NOW, "r1", Holds(collections={"shop.orders": "hold 2"}))
    rules = by_rule(report)
    assert rules["shop.orders:tax"].status == "held" and rules["shop.orders:tax"].held == 1
    assert len(table(url, "orders", "id")) == 4


def test_a_field_a_longer_purpose_needs_keeps_the_row(shop: tuple[str, Engine]) -> None:
    _url, engine = shop
    rules = {r.key: r for r in Retention(engine).rules}
    account = rules["shop.orders:account"]
    assert not account.delete and [m.field for m in account.masks] == ["ship_address"]
    assert {"total"} <= {k.field for k in account.kept}
    assert any("tax" in k.reason for k in account.kept)


def test_the_boundary_on_a_date_column(databases: Databases, tmp_path: Path) -> None:
    """A DATE anchor is due once the period's last day is over, not on it."""
    url = databases.new()
    build(url)
    doc = document(url)
    customers = doc["datasets"][0]["collections"][0]
    customers["anchor"] = "birthday"
    doc["purposes"][0]["retention"] = {"period": "P10Y", "from": "collection", "then": "anonymize"}
    engine = sa.create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE customers SET birthday = :d WHERE id = 2"), {"d": date(2016, 3, 2)})
        conn.execute(sa.text("UPDATE customers SET birthday = :d WHERE id = 3"), {"d": date(2016, 3, 1)})
    engine.dispose()
    custos = Engine(load(doc), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    try:
        rules = by_rule(Retention(custos).plan(NOW))
        # 1980 (customer 1) and 2016-03-01 are due; 2016-03-02 ends today; the rest have no birthday
        assert rules["shop.customers:account"].due == 2
        assert rules["shop.customers:account"].undated == 3
    finally:
        custos.close()
        custos.journal.close()


def test_time_zone_of_naive_timestamps(databases: Databases, tmp_path: Path) -> None:
    """A system whose timestamps are local wall-clock time in Tokyo: the cut-off moves with it."""
    url = databases.new()
    build(url)
    doc = document(url)
    doc["systems"][0]["options"] = {"timezone": "Asia/Tokyo"}
    custos = Engine(load(doc), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    try:
        # customer 5, three years ago to the second in UTC, is nine hours older than that in
        # Tokyo's wall-clock time: due there
        assert by_rule(Retention(custos).plan(NOW))["shop.customers:account"].due == 3
    finally:
        custos.close()
        custos.journal.close()


def test_store_unreachable_fails_clearly_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build(url)
    engine = Engine(load(document(url)), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    retention = Retention(engine)
    engine.check_schema()
    retention.check()
    (tmp_path / "shop.db").rename(tmp_path / "gone.db")
    (tmp_path / "shop.db").mkdir()  # the path is now a folder: every statement fails
    engine.close()
    report = retention.run(NOW, "r1")
    assert not report.ok
    assert all(r.status == "failed" and r.error for r in report.rules)
    (tmp_path / "shop.db").rmdir()
    (tmp_path / "gone.db").rename(tmp_path / "shop.db")
    assert table(url, "customers", "id")[0]["full_name"] == "Ann Dormant"
    engine.journal.close()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["purposes"][0]["retention"].update({"from": "closed_at"}), "'closed_at', a field that"),
    (lambda d: d["datasets"][0]["collections"][1].pop("anchor"), "has no anchor:"),
    (lambda d: (d["datasets"][0]["collections"][0]["fields"][4].pop("activity"),
                d["datasets"][0]["collections"][1]["fields"][2].pop("activity")), "activity: true"),
])
def test_a_rule_that_cannot_start_its_clock_is_refused(tmp_path: Path, change: Any, message: str) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build(url)
    doc = document(url)
    change(doc)
    engine = Engine(load(doc), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    try:
        problems = Retention(engine).problems(connect=False)
        assert any(message in p.message for p in problems), [p.message for p in problems]
        assert all(p.line for p in problems)
        with pytest.raises(DataMapErrors):
            Retention(engine).run(NOW, "r1")
    finally:
        engine.close()
        engine.journal.close()


def test_an_anchor_on_a_text_column_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build(url)
    doc = document(url)
    doc["datasets"][0]["collections"][1]["anchor"] = "ship_address"
    engine = Engine(load(doc), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    try:
        problems = Retention(engine).problems(connect=True)
        assert any("not a date or date/time" in p.message and p.key == "shop.orders.ship_address"
                   for p in problems), [p.message for p in problems]
    finally:
        engine.close()
        engine.journal.close()


def test_a_malformed_period_names_its_line() -> None:
    doc = document("sqlite:///x.db")
    doc["purposes"][0]["retention"]["period"] = "3 years"
    with pytest.raises(DataMapErrors) as caught:
        load(doc)
    assert "ISO-8601" in str(caught.value) and caught.value.line


def _sweep(url: str, journal: Path, kill_at: int | None, batch_size: int = 1) -> int:
    from tests.engine.test_resume import Countdown, KillableJournal

    countdown = Countdown(kill_at)
    engine = Engine(load(document(url)), secret_key=SECRET, journal=KillableJournal(journal, countdown),
                    batch_size=batch_size)
    store = engine.store("db")
    assert isinstance(store, SQLStore)
    sa.event.listen(store.engine, "before_cursor_execute", lambda *a: countdown.tick())
    try:
        Retention(engine, batch=batch_size).run(NOW, "sweep")
    finally:
        engine.close()
        engine.journal.close()
    return countdown.count


def _state(url: str) -> tuple[Any, ...]:
    return table(url, "customers", "id"), table(url, "orders", "id"), table(url, "sessions", "ip")


def test_killed_anywhere_and_run_again_ends_like_one_clean_run(databases: Databases, tmp_path: Path,
                                                               store_kind: str) -> None:
    from tests.engine.test_resume import Killed

    clean = databases.new()
    build(clean)
    points = _sweep(clean, tmp_path / "clean.db", None)
    expected = _state(clean)
    assert points > 20
    stride = 3 if store_kind == "sqlite" else 11
    for kill_at in range(1, points + 1, stride):
        url = databases.new() if store_kind != "sqlite" else f"sqlite:///{tmp_path / f'shop_{kill_at}.db'}"
        build(url)
        journal = tmp_path / f"journal_{kill_at}.db"
        with pytest.raises(Killed):
            _sweep(url, journal, kill_at)
        _sweep(url, journal, None)
        assert _state(url) == expected, f"differs after a kill at point {kill_at}"


def test_a_person_dated_only_by_their_other_rows(databases: Databases, tmp_path: Path) -> None:
    """No last-seen column on the account: its sessions' dates say when the person was last active."""
    url = databases.new()
    build(url)
    doc = document(url)
    customers, orders, sessions = doc["datasets"][0]["collections"]
    customers["fields"][4].pop("activity")
    orders["fields"][2].pop("activity")
    sessions["fields"][2]["activity"] = True
    doc["purposes"][0]["retention"]["period"] = "P1Y"
    engine = Engine(load(doc), secret_key=SECRET, journal=Journal(tmp_path / "j.db"))
    try:
        rule = by_rule(Retention(engine).plan(NOW))["shop.customers:account"]
        # customer 4's only session is two years old; customer 1 signed in eleven months ago;
        # the four without any session have no date to go by
        assert (rule.due, rule.undated) == (1, 4)
        Retention(engine).run(NOW, "r1")
        names = {r["id"]: r["full_name"] for r in table(url, "customers", "id")}
        assert names[4] == "[REDACTED]" and names[1] == "Ann Dormant"
    finally:
        engine.close()
        engine.journal.close()
