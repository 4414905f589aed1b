"""Benchmark of the engine on the sample shop at scale (not a test).

Builds (once, cached under bench/data/) a shop of 1,000,000 customers and about
10,000,000 rows on SQLite, and on PostgreSQL when --postgres URL is given, then measures
in the same run, against the hand-written baseline of bench/baseline.py:

- access for one subject (median over many subjects);
- erasure of one subject (median);
- a batch erasure of 1,000 subjects in one set-based pass (subjects per second).

Every figure is printed with its ratio to the baseline measured alongside it.

    python bench/engine.py                       # SQLite, 1,000,000 customers
    python bench/engine.py --customers 50000     # a quick run
    python bench/engine.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline import Baseline
from custos.datamap import parse_datamap
from custos.demo import build_shop, demo_map_text
from custos.engine import Engine, Subject
from custos.stores.sql import normalize_url

DATA = Path(__file__).resolve().parent / "data"
SECRET = b"benchmark-secret-key"
TARGET_RATIO = 1.5


def prepare(url: str, customers: int) -> None:
    """Build the shop unless the database already holds one of this size."""
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM customers")).scalar()
            rows = conn.execute(sa.text("SELECT count(*) FROM orders")).scalar()
    except sa.exc.SQLAlchemyError:
        count, rows = None, None
    finally:
        engine.dispose()
    if count == customers and rows:
        print(f"  using the shop already built at {url}")
        return
    print(f"  building a shop of {customers:,} customers at {url} ...", flush=True)
    started = time.perf_counter()
    summary = build_shop(url, customers=customers, fast=True)
    print(f"  built {summary.total_rows:,} rows in {time.perf_counter() - started:.0f} s")
    if url.startswith("postgresql"):
        # planner statistics, as after any bulk load; without them IN lists scan whole tables
        engine = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()


def live_subjects(url: str, count: int, seed: int) -> list[str]:
    """Random customers not erased by an earlier run (an erased email is a 64-char hash)."""
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        top = conn.execute(sa.text("SELECT max(id) FROM customers")).scalar() or 0
        rng = random.Random(seed)
        ids = rng.sample(range(1, top + 1), min(top, count * 3))
        emails: list[str] = []
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            rows = conn.execute(
                sa.text("SELECT email FROM customers WHERE id IN :ids AND email LIKE '%@%'").bindparams(
                    sa.bindparam("ids", expanding=True)), {"ids": batch})
            emails += [r[0] for r in rows]
    engine.dispose()
    if len(emails) < count:
        raise SystemExit("not enough customers left to erase; rebuild with a new --customers or delete bench/data")
    return emails[:count]


def remaining(url: str, emails: list[str]) -> int:
    """How many of these customers still have their email: 0 once both sides erased them."""
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM customers WHERE email IN :emails").bindparams(
                sa.bindparam("emails", expanding=True)), {"emails": emails}).scalar()
    engine.dispose()
    return int(count or 0)


def timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def report(label: str, engine_seconds: float, baseline_seconds: float, unit: str = "ms") -> float:
    ratio = engine_seconds / baseline_seconds if baseline_seconds else float("inf")
    scale = 1000 if unit == "ms" else 1
    print(f"  {label:44} engine {engine_seconds * scale:9.2f} {unit}   hand-written {baseline_seconds * scale:9.2f} {unit}"
          f"   ratio {ratio:5.2f}")
    return ratio


def run(url: str, customers: int, samples: int, batch: int) -> dict[str, float]:
    print(f"\n== {url.split(':')[0]}: {customers:,} customers")
    prepare(url, customers)
    datamap = parse_datamap(demo_map_text().replace("${SHOP_DB_URL:-sqlite:///shop.db}", url))
    subjects = live_subjects(url, samples * 4 + batch * 4, seed=int(time.time()))
    access_subjects = subjects[:samples]
    erase_engine = subjects[samples : 2 * samples]
    erase_base = subjects[2 * samples : 3 * samples]
    batch_engine = subjects[3 * samples : 3 * samples + batch]
    batch_base = subjects[3 * samples + batch : 3 * samples + 2 * batch]

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(datamap, secret_key=SECRET, journal=Path(tmp) / "journal.db")
        raw = sa.create_engine(normalize_url(url))
        connection = raw.raw_connection()
        dbapi = connection.dbapi_connection
        baseline = Baseline(dbapi, "qmark" if url.startswith("sqlite") else "format", SECRET)
        engine.access(Subject.of(email=access_subjects[0]))  # schema check and warm caches
        baseline.access([access_subjects[0]])

        engine_times, base_times, rows = [], [], 0
        for email in access_subjects:  # interleaved, so both see the same cache state
            baseline.access([email])  # the subject's pages read once, so that neither side pays the first read
            engine_times.append(timed(lambda e=email: engine.access(Subject.of(email=e))))
            base_times.append(timed(lambda e=email: baseline.access([e])))
            rows += engine.access(Subject.of(email=email)).row_count
        figures = {"access_ms": statistics.median(engine_times) * 1000}
        figures["access_ratio"] = report(f"access, one subject (median of {samples})",
                                         statistics.median(engine_times), statistics.median(base_times))
        print(f"  {'':44} {rows / samples:.1f} rows per subject on average")

        engine_times = [timed(lambda e=email: engine.erase(Subject.of(email=e))) for email in erase_engine]
        base_times = [timed(lambda e=email: baseline.erase([e])) for email in erase_base]
        figures["erase_ms"] = statistics.median(engine_times) * 1000
        figures["erase_ratio"] = report(f"erasure, one subject (median of {samples})",
                                        statistics.median(engine_times), statistics.median(base_times))

        subjects_batch = [Subject.of(email=e) for e in batch_engine]
        engine_seconds = timed(lambda: engine.erase(subjects_batch))
        base_seconds = timed(lambda: baseline.erase(batch_base))
        left = remaining(url, erase_engine + erase_base + batch_engine + batch_base)
        if left:
            raise SystemExit(f"{left} subjects were not erased: the figures above are not comparable")
        print(f"  {'':44} checked: every subject of both sides is erased")
        figures["batch_per_second"] = batch / engine_seconds
        figures["batch_ratio"] = report(f"batch erasure of {batch:,} subjects", engine_seconds, base_seconds, "s")
        print(f"  {'':44} {batch / engine_seconds:,.0f} subjects/s (hand-written {batch / base_seconds:,.0f})")
        # a long-running worker has its statement shapes compiled already
        warm_engine = [Subject.of(email=e) for e in subjects[3 * samples + 2 * batch : 3 * samples + 3 * batch]]
        warm_base = subjects[3 * samples + 3 * batch : 3 * samples + 4 * batch]
        engine_seconds = timed(lambda: engine.erase(warm_engine))
        base_seconds = timed(lambda: baseline.erase(warm_base))
        figures["warm_per_second"] = batch / engine_seconds
        figures["warm_ratio"] = report(f"the next batch of {batch:,} (same process)", engine_seconds, base_seconds, "s")
        print(f"  {'':44} {batch / engine_seconds:,.0f} subjects/s (hand-written {batch / base_seconds:,.0f})")
        connection.close()
        raw.dispose()
        engine.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (a database custos_bench is used)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    results = {}
    if not args.skip_sqlite:
        results["sqlite"] = run(f"sqlite:///{DATA / f'shop-{args.customers}.db'}", args.customers, args.samples, args.batch)
    if args.postgres:
        admin = sa.create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = 'custos_bench'")).scalar():
                conn.execute(sa.text("CREATE DATABASE custos_bench"))
        admin.dispose()
        url = normalize_url(args.postgres).set(database="custos_bench").render_as_string(hide_password=False)
        results["postgresql"] = run(url, args.customers, args.samples, args.batch)
    print("\n== targets")
    for store, figures in results.items():
        checks = [
            ("access within 1.5x of hand-written", figures["access_ratio"] <= TARGET_RATIO),
            ("erasure within 1.5x of hand-written", figures["erase_ratio"] <= TARGET_RATIO),
            ("batch erasure within 1.5x of hand-written", figures["batch_ratio"] <= TARGET_RATIO),
            ("access under 50 ms median", figures["access_ms"] < 50),
            ("batch erasure at 1,000 subjects/s or more (first batch)", figures["batch_per_second"] >= 1000),
            ("batch erasure at 1,000 subjects/s or more (next batch)", figures["warm_per_second"] >= 1000),
        ]
        for label, ok in checks:
            print(f"  {store:10} {'met ' if ok else 'MISSED'} {label}")


if __name__ == "__main__":
    main()
