"""Benchmark of a retention sweep on the sample shop at scale (not a test).

The shop of 1,000,000 customers (about 10M rows) is built once under bench/data/ (and,
with --postgres, into a template database). Each run sweeps a fresh copy: a map whose
periods put about 10% of the rows of the three largest collections past their period
(sign-in sessions deleted, delivery addresses of orders and support tickets' texts
anonymized), through ``custos.engine.retention`` (keys found by the store in batches,
journaled, the ledger written, the residual check), against hand-written
``DELETE … WHERE anchor < cutoff`` / ``UPDATE … SET … WHERE anchor < cutoff`` statements on
another copy reaching the same end state. Both end states are compared. The sweep runs in
a child process, once with 10% due and once with 2%, and prints its peak RSS for each:
memory must not grow with the rows due.

    python bench/retention.py                            # SQLite, 1,000,000 customers
    python bench/retention.py --customers 50000          # a quick run
    python bench/retention.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from custos.datamap import parse_datamap
from custos.engine import REDACTED, Engine, Journal
from custos.engine.retention import Retention
from custos.stores.sql import normalize_url
from engine import prepare

DATA = Path(__file__).resolve().parent / "data"
SECRET = b"retention-benchmark"
TARGET_RATIO = 2.0
#: (table, anchor, what happens): the three largest collections of the shop
SWEPT = [("sessions", "started_at", "delete"), ("orders", "placed_at", "ship_address"),
         ("support_tickets", "opened_at", "subject,body")]


def cutoffs(url: str, share: float) -> dict[str, datetime]:
    """Per swept table, the anchor value below which ``share`` of its rows lie."""
    engine = sa.create_engine(normalize_url(url))
    found = {}
    with engine.connect() as conn:
        for table, anchor, _ in SWEPT:
            count = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0  # noqa: S608
            value = conn.execute(sa.text(f"SELECT {anchor} FROM {table} ORDER BY {anchor} "  # noqa: S608
                                         "LIMIT 1 OFFSET :n"), {"n": int(count * share)}).scalar()
            found[table] = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    engine.dispose()
    return found


def bench_map(url: str, now: datetime, limits: dict[str, datetime]) -> str:
    """The demo shop's tables with one retention per swept collection, periods in seconds."""
    def period(table: str) -> str:
        return f"PT{int((now.replace(tzinfo=None) - limits[table]).total_seconds())}S"

    doc = {
        "organization": {"name": "Acme", "privacy_contact": "p@acme.example", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "shop_db", "url": url, "datasets": ["shop"]}],
        "datasets": [{"key": "shop", "collections": [
            {"name": "customers", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "email", "identity": "email", "categories": ["user.contact.email"]}]},
            {"name": "sessions", "erase_rows": True,
             "retention": {"period": period("sessions"), "from": "started_at", "then": "delete"}, "fields": [
                 {"name": "customer_id", "references": {"field": "customers.id", "kind": "owner"}},
                 {"name": "ip", "categories": ["user.device.ip_address"]}, {"name": "started_at"}]},
            {"name": "orders", "retention": {"period": period("orders"), "from": "placed_at", "then": "anonymize"},
             "fields": [
                 {"name": "id", "primary_key": True},
                 {"name": "customer_id", "references": {"field": "customers.id", "kind": "owner"}},
                 {"name": "placed_at"},
                 {"name": "ship_address", "categories": ["user.contact.address"], "erase": "mask_redact"}]},
            {"name": "support_tickets",
             "retention": {"period": period("support_tickets"), "from": "opened_at", "then": "anonymize"},
             "fields": [
                 {"name": "id", "primary_key": True},
                 {"name": "customer_id", "references": {"field": "customers.id", "kind": "owner"}},
                 {"name": "opened_at"},
                 {"name": "subject", "categories": ["user.content.private"], "erase": "mask_redact"},
                 {"name": "body", "categories": ["user.content.private"], "erase": "mask_redact"}]},
        ]}],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def hand_written(url: str, limits: dict[str, datetime]) -> float:
    """The statements a developer would write for the same end state, through the raw driver."""
    engine = sa.create_engine(normalize_url(url))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM sessions WHERE started_at < :c"), {"c": limits["sessions"]})
        conn.execute(sa.text("UPDATE orders SET ship_address = :r WHERE placed_at < :c AND ship_address IS NOT NULL "
                             "AND ship_address <> :r"), {"c": limits["orders"], "r": REDACTED})
        conn.execute(sa.text("UPDATE support_tickets SET subject = CASE WHEN subject IS NULL THEN NULL ELSE :r END, "
                             "body = CASE WHEN body IS NULL THEN NULL ELSE :r END WHERE opened_at < :c "
                             "AND ((subject IS NOT NULL AND subject <> :r) OR (body IS NOT NULL AND body <> :r))"),
                     {"c": limits["support_tickets"], "r": REDACTED})
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _sweep(url: str, text: str, now: datetime, journal: str, out: Any) -> None:
    engine = Engine(parse_datamap(text), secret_key=SECRET, journal=Journal(journal), batch_size=2000)
    retention = Retention(engine)
    retention.check()
    started = time.perf_counter()
    report = retention.run(now, "bench")
    elapsed = time.perf_counter() - started
    engine.close()
    out.send((elapsed, report.ok, report.totals(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def engine_sweep(url: str, text: str, now: datetime, journal: Path) -> tuple[float, bool, dict[str, int], int]:
    """The sweep in a child process, so that its peak RSS is its own."""
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_sweep, args=(url, text, now, str(journal), send))
    child.start()
    result = receive.recv()
    child.join()
    return result  # type: ignore[no-any-return]


def state(url: str) -> tuple[int, ...]:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        figures = tuple(int(conn.execute(sa.text(q), {"r": REDACTED}).scalar() or 0) for q in (
            "SELECT count(*) FROM sessions", "SELECT count(*) FROM orders WHERE ship_address = :r",
            "SELECT count(*) FROM support_tickets WHERE body = :r OR subject = :r"))
    engine.dispose()
    return figures


class Copies:
    """Fresh copies of the pristine shop: a file copy on SQLite, a template on PostgreSQL."""

    def __init__(self, pristine: str, folder: Path) -> None:
        self.pristine, self.folder, self.made = pristine, folder, []  # type: list[str]
        self.kind = normalize_url(pristine).get_backend_name()

    def new(self, name: str) -> str:
        if self.kind == "sqlite":
            target = self.folder / f"{name}.db"
            shutil.copyfile(normalize_url(self.pristine).database or "", target)
            return f"sqlite:///{target}"
        url = normalize_url(self.pristine)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        database = f"{url.database}_{name}"
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database}"))
            conn.execute(sa.text(f"CREATE DATABASE {database} TEMPLATE {url.database}"))
        admin.dispose()
        self.made.append(database)
        return url.set(database=database).render_as_string(hide_password=False)

    def close(self) -> None:
        if not self.made:
            return
        url = normalize_url(self.pristine)
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for database in self.made:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()


def run(label: str, pristine: str, folder: Path) -> list[str]:
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    copies = Copies(pristine, folder)
    lines = []
    try:
        rss = {}
        for share in (0.02, 0.10):
            limits = cutoffs(pristine, share)
            text_url = copies.new(f"engine{int(share * 100)}")
            seconds, ok, totals, peak = engine_sweep(text_url, bench_map(text_url, now, limits), now,
                                                    folder / f"journal-{label}-{share}.db")
            rss[share] = peak
            if share != 0.10:
                continue
            hand_url = copies.new("hand")
            hand = hand_written(hand_url, limits)  # the engine's cut-offs, naive UTC as the shop stores them
            same = state(text_url) == state(hand_url)
            due = totals["due"]
            ratio = seconds / hand
            lines.append(f"{label}: sweep of {due:,} due rows ({totals['deleted']:,} deleted, "
                         f"{totals['anonymized']:,} anonymized): {seconds:.2f} s vs hand-written {hand:.2f} s, "
                         f"ratio {ratio:.2f}x (target {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}); "
                         f"{due / seconds:,.0f} rows/s; residual ok {ok}; same end state {same}")
        lines.append(f"{label}: peak RSS of the sweep {rss[0.02] // 1024} MB with 2% due, "
                     f"{rss[0.10] // 1024} MB with 10% due (ratio {rss[0.10] / rss[0.02]:.2f})")
    finally:
        copies.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (a template database is built)")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    pristine = DATA / f"retention-{args.customers}.db"
    prepare(f"sqlite:///{pristine}", args.customers)
    lines = []
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        lines += run("SQLite", f"sqlite:///{pristine}", Path(tmp))
        if args.postgres:
            template = normalize_url(args.postgres).set(database=f"custos_bench_retention_{args.customers}")
            admin = sa.create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                      {"d": template.database}).scalar()
                if not exists:
                    conn.execute(sa.text(f"CREATE DATABASE {template.database}"))
            admin.dispose()
            url = template.render_as_string(hide_password=False)
            prepare(url, args.customers)
            lines += run("PostgreSQL", url, Path(tmp))
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
