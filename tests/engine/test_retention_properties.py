"""Retention on random data compared with an oracle in plain Python (hypothesis).

People with and without a last-activity date, orders that keep them active, tasks shared
by a creator and an assignee (due only once both are gone), sign-in events without a key,
dates clustered around the cut-off to the second, and systems whose timestamps are local
time in another zone. The oracle decides row by row what is due from the same rules the
map states; the sweep must reach exactly the state the oracle describes, report the
counts it describes, and change nothing on a second run.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.datamap import parse_datamap
from custos.datamap.duration import Duration
from custos.engine import REDACTED, Engine, Journal
from custos.engine.retention import Retention
from custos.stores.sql import normalize_url
from tests.conftest import Databases

SECRET = b"retention-property-secret"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SCALE = max(1, int(os.environ.get("CUSTOS_PROPERTY_SCALE", "1")))
EXAMPLES = {"sqlite": 120 * SCALE, "postgresql": 30 * SCALE, "mysql": 30 * SCALE}
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}
PERIODS = ["P1Y", "P18M", "P30D", "P2Y6M"]
ZONES = ["UTC", "America/New_York", "Asia/Kolkata"]
SESSIONS = "P13M"


@dataclass
class Case:
    period: str
    zone: str
    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    events: list[dict[str, Any]]


def _moment(period: str, zone: str) -> st.SearchStrategy[datetime | None]:
    """A local wall-clock time near the cut-off (to the second), far from it, or none."""
    local_cutoff = Duration.parse(period).subtract_from(NOW).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    near = st.integers(-3, 3).map(lambda s: local_cutoff + timedelta(seconds=s))
    days = st.integers(-900, 900).map(lambda d: local_cutoff + timedelta(days=d))
    return st.one_of(st.none(), near, days)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    period, zone = draw(st.sampled_from(PERIODS)), draw(st.sampled_from(ZONES))
    moment = _moment(period, zone)
    count = draw(st.integers(1, 6))
    customers = [{"id": i, "email": f"P{i}@Example.com ", "full_name": f"Person {i}",
                  "last_active_at": draw(moment)} for i in range(1, count + 1)]
    # most rows belong to someone; some to nobody (a guest's order, a task nobody was given)
    owner = st.one_of(st.none(), *[st.integers(1, count)] * 4)
    orders = [{"id": 100 + i, "customer_id": draw(owner), "placed_at": draw(moment),
               "ship_address": draw(st.one_of(st.none(), st.just(f"{i} Road")))}
              for i in range(draw(st.integers(0, 10)))]
    tasks = [{"id": 200 + i, "creator_id": draw(owner), "assignee_id": draw(owner), "title": f"task {i}"}
             for i in range(draw(st.integers(0, 5)))]
    events = [{"customer_id": draw(owner), "ip": f"10.0.0.{i}", "at": draw(_moment(SESSIONS, zone))}
              for i in range(draw(st.integers(0, 5)))]
    return Case(period, zone, customers, orders, tasks, events)


METADATA = sa.MetaData()
TABLES = {
    "customers": sa.Table("customers", METADATA, sa.Column("id", sa.Integer, primary_key=True),
                          sa.Column("email", sa.String(80)), sa.Column("full_name", sa.String(80)),
                          sa.Column("last_active_at", sa.DateTime, nullable=True)),
    "orders": sa.Table("orders", METADATA, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("customer_id", sa.Integer, nullable=True),
                       sa.Column("placed_at", sa.DateTime, nullable=True),
                       sa.Column("ship_address", sa.String(80), nullable=True)),
    "tasks": sa.Table("tasks", METADATA, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("creator_id", sa.Integer, nullable=True),
                      sa.Column("assignee_id", sa.Integer, nullable=True), sa.Column("title", sa.String(80))),
    "events": sa.Table("events", METADATA, sa.Column("customer_id", sa.Integer, nullable=True),
                       sa.Column("ip", sa.String(40)), sa.Column("at", sa.DateTime, nullable=True)),
}


def document(url: str, case: Case) -> dict[str, Any]:
    owner = {"kind": "owner"}
    return {
        "organization": {"name": "Co", "privacy_contact": "p@co.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["d"], "options": {"timezone": case.zone}}],
        "datasets": [{"key": "d", "collections": [
            {"name": "customers", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "email", "identity": "email", "categories": ["user.contact.email"], "erase": "mask_hash"},
                {"name": "full_name", "categories": ["user.name"], "erase": "mask_redact"},
                {"name": "last_active_at", "activity": True}]},
            {"name": "orders", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "customer_id", "references": {"field": "customers.id", **owner}},
                {"name": "placed_at", "activity": True},
                {"name": "ship_address", "categories": ["user.contact.address"], "erase": "mask_null"}]},
            {"name": "tasks", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "creator_id", "references": {"field": "customers.id", **owner}},
                {"name": "assignee_id", "references": {"field": "customers.id", **owner}},
                {"name": "title", "categories": ["user.content.private"], "erase": "mask_redact"}]},
            {"name": "events", "erase_rows": True,
             "retention": {"period": SESSIONS, "from": "at", "then": "delete"}, "fields": [
                 {"name": "customer_id", "references": {"field": "customers.id", **owner}},
                 {"name": "ip", "categories": ["user.device.ip_address"]},
                 {"name": "at"}]},
        ]}],
        "purposes": [{"key": "account", "name": "Accounts", "lawful_basis": "contract",
                      "categories": ["user.name", "user.contact", "user.content"],
                      "retention": {"period": case.period, "from": "last_activity", "then": "anonymize"}}],
    }


# -- the oracle ---------------------------------------------------------------------------
def _before(value: datetime | None, period: str, zone: str) -> bool:
    cutoff = Duration.parse(period).subtract_from(NOW).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return value is not None and value < cutoff


def oracle(case: Case) -> dict[str, Any]:
    """What the tables hold after one sweep, decided row by row."""
    def recent(value: datetime | None) -> bool:
        return value is not None and not _before(value, case.period, case.zone)

    dormant = {c["id"] for c in case.customers if _before(c["last_active_at"], case.period, case.zone)
               and not any(o["customer_id"] == c["id"] and recent(o["placed_at"]) for o in case.orders)}

    def gone(owner: int | None) -> bool:
        return owner is None or owner in dormant

    customers = {c["id"]: (c["id"] not in dormant, c["full_name"] if c["id"] not in dormant else REDACTED)
                 for c in case.customers}
    orders = {o["id"]: o["ship_address"] if not (_before(o["placed_at"], case.period, case.zone)
                                                 and gone(o["customer_id"])) else None for o in case.orders}
    tasks = {t["id"]: REDACTED if (gone(t["creator_id"]) and gone(t["assignee_id"])
                                   and (t["creator_id"] or t["assignee_id"])) else t["title"] for t in case.tasks}
    events = sorted(e["ip"] for e in case.events if not _before(e["at"], SESSIONS, case.zone))
    return {"customers": customers, "orders": orders, "tasks": tasks, "events": events}


def observed(url: str, case: Case) -> dict[str, Any]:
    engine = sa.create_engine(normalize_url(url))
    originals = {c["id"]: c["email"] for c in case.customers}
    with engine.connect() as conn:
        customers = {r.id: (r.email == originals[r.id], r.full_name)
                     for r in conn.execute(sa.select(TABLES["customers"]))}
        orders = {r.id: r.ship_address for r in conn.execute(sa.select(TABLES["orders"]))}
        tasks = {r.id: r.title for r in conn.execute(sa.select(TABLES["tasks"]))}
        events = sorted(r.ip for r in conn.execute(sa.select(TABLES["events"])))
    engine.dispose()
    return {"customers": customers, "orders": orders, "tasks": tasks, "events": events}


def load(url: str, case: Case) -> None:
    engine = sa.create_engine(normalize_url(url))
    METADATA.drop_all(engine)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        for name in ("customers", "orders", "tasks", "events"):
            rows = getattr(case, name)
            if rows:
                conn.execute(TABLES[name].insert(), rows)
    engine.dispose()


def agree(url: str, case: Case) -> None:
    load(url, case)
    expected = oracle(case)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(parse_datamap(yaml.safe_dump(document(url, case))), secret_key=SECRET,
                        journal=Journal(Path(tmp) / "j.db"), batch_size=2)
        try:
            retention = Retention(engine, batch=2)  # several batches even on a handful of rows
            plan = {f"{r.collection}:{r.purpose}": r.due for r in retention.plan(NOW).rules}
            assert plan["d.customers:account"] == sum(1 for kept, _ in expected["customers"].values() if not kept)
            assert plan["d.events:collection"] == len(case.events) - len(expected["events"])
            report = retention.run(NOW, "sweep")
            assert report.ok, report.to_dict()
            assert observed(url, case) == expected
            again = retention.run(NOW, "again")
            assert (again.totals()["deleted"], again.totals()["anonymized"]) == (0, 0)
            assert observed(url, case) == expected
        finally:
            engine.close()
            engine.journal.close()


@pytest.fixture
def property_url(databases: Databases) -> str:
    return databases.new()


OLD, RECENT = datetime(2020, 1, 1), datetime(2026, 2, 1)
#: the situations that matter, always tried besides the random ones
KNOWN = [
    # last seen long ago, but an order last month keeps the person active
    Case("P1Y", "UTC", [{"id": 1, "email": "a@x.io", "full_name": "A", "last_active_at": OLD}],
         [{"id": 100, "customer_id": 1, "placed_at": RECENT, "ship_address": "x"}], [], []),
    # a task shared with an active person waits; one of a gone person alone does not
    Case("P1Y", "UTC", [{"id": 1, "email": "a@x.io", "full_name": "A", "last_active_at": OLD},
                        {"id": 2, "email": "b@x.io", "full_name": "B", "last_active_at": RECENT}],
         [], [{"id": 200, "creator_id": 1, "assignee_id": 2, "title": "t"},
              {"id": 201, "creator_id": 1, "assignee_id": None, "title": "u"}], []),
    # a guest's old order counts on its own date
    Case("P1Y", "Asia/Kolkata", [{"id": 1, "email": "a@x.io", "full_name": "A", "last_active_at": None}],
         [{"id": 100, "customer_id": None, "placed_at": OLD, "ship_address": "x"}], [],
         [{"customer_id": None, "ip": "10.0.0.1", "at": OLD}]),
]


def test_sweeps_agree_with_the_oracle(property_url: str, store_kind: str) -> None:
    for known in KNOWN:
        agree(property_url, known)

    @settings(max_examples=EXAMPLES[store_kind], **SETTINGS)  # type: ignore[arg-type]
    @given(cases())
    def check(case: Case) -> None:
        agree(property_url, case)

    check()


def test_the_oracle_itself_holds_a_shared_task_until_both_people_are_gone() -> None:
    old, new = datetime(2020, 1, 1), datetime(2026, 3, 1)
    case = Case("P1Y", "UTC", [{"id": 1, "email": "a", "full_name": "A", "last_active_at": old},
                                {"id": 2, "email": "b", "full_name": "B", "last_active_at": new}],
                [], [{"id": 200, "creator_id": 1, "assignee_id": 2, "title": "t"},
                     {"id": 201, "creator_id": 1, "assignee_id": None, "title": "u"}], [])
    assert oracle(case)["tasks"] == {200: "t", 201: REDACTED}
