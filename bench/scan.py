"""Benchmark of ``custos scan`` (not a test): accuracy on the labelled set, speed at scale.

1. **Accuracy**: the column classifier on the labelled tables of
   ``tests/discovery/labelled.py`` (several seeds): precision, recall and F1 per category,
   column-level macro F1. Targets: macro F1 ≥ 0.95, no category under 0.90.
2. **Speed**: a scan of every table of the sample shop (1,000,000 customers, about 10M
   rows) with the default sample, time per table, against a full-table pass that reads every
   row of the same columns and runs the same detectors over them, in the same run. Prints
   the ratio (what sampling buys) and the columns the sample classified differently from the
   full pass (what it loses). Target: the scan under 30 s.

    python bench/scan.py                                  # SQLite, 1,000,000 customers
    python bench/scan.py --customers 100000               # a quicker run
    python bench/scan.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python bench/scan.py --accuracy-only
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from custos.datamap import parse_datamap
from custos.demo import demo_map_text
from custos.discovery.classify import classify, settle
from custos.discovery.scan import DEFAULT_SAMPLE, scan
from custos.engine import Engine
from custos.stores.sql import normalize_url
from engine import prepare
from tests.discovery.labelled import evaluate, tables

DATA = Path(__file__).resolve().parent / "data"


def accuracy(seeds: list[int]) -> None:
    data = [t for seed in seeds for t in tables(seed)]
    scores = evaluate(data)
    print(f"accuracy on {sum(len(t.columns) for t in data)} labelled columns in {len(data)} tables "
          f"(seeds {', '.join(map(str, seeds))}):")
    print(f"  {'category':<52} {'precision':>9} {'recall':>7} {'F1':>6} {'columns':>8}")
    for key, (precision, recall, f1, support) in sorted(scores.per_category.items()):
        print(f"  {key:<52} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} {support:>8}")
    worst = min(v[2] for v in scores.per_category.values())
    print(f"  column-level macro F1 {scores.macro_f1:.3f} (target ≥ 0.95), lowest category F1 {worst:.3f} "
          f"(target ≥ 0.90), accuracy {scores.accuracy:.3f}")
    for wrong in scores.wrong[:20]:
        print(f"  miss: {wrong}")


def full_pass(url: str, report_tables: list[tuple[str, list[str]]]) -> tuple[float, dict[str, str | None]]:
    """Every row of every scanned column through the same classifier: the baseline."""
    engine = sa.create_engine(normalize_url(url))
    verdicts: dict[str, str | None] = {}
    started = time.perf_counter()
    from custos.stores.sql import SQLStore

    store = SQLStore("shop_db", url)
    with engine.connect() as conn:
        for table, columns in report_tables:
            described = store.describe([table])[table] or {}
            meta = sa.Table(table, sa.MetaData(), autoload_with=conn)
            values: dict[str, list[object]] = {c: [] for c in columns}
            for row in conn.execute(sa.select(*(meta.c[c] for c in columns))).yield_per(50_000):
                for name, value in zip(columns, row, strict=True):
                    if value is not None and value != "":
                        values[name].append(value)
            found = settle([classify(c, described[c].kind, values[c]) for c in columns])
            verdicts.update({f"{table}.{c}": v.category for c, v in zip(columns, found, strict=True)})
    store.close()
    engine.dispose()
    return time.perf_counter() - started, verdicts


def speed(url: str, customers: int, sample: int, full: bool) -> None:
    prepare(url, customers)
    datamap = parse_datamap(demo_map_text().replace("${SHOP_DB_URL:-sqlite:///shop.db}", url))
    engine = Engine(datamap, secret_key=b"b" * 32)
    try:
        report = scan(datamap, engine.store, sample=sample)
    finally:
        engine.close()
    print(f"scan of {url.split('?')[0]} ({customers:,} customers), sample {sample}: {report.seconds:.2f} s "
          f"(target < 30 s)")
    for table in report.tables:
        print(f"  {table.collection:<24} {table.seconds * 1000:>8.0f} ms  {table.sampled_rows:>5} rows "
              f"({table.method}, ~{table.estimated_rows:,})")
    if not full:
        return
    columns = [(t.collection, [c.name for c in t.columns]) for t in report.tables if not t.error]
    seconds, verdicts = full_pass(url, columns)
    sampled = {f"{t.collection}.{c.name}": c.category for t in report.tables for c in t.columns}
    differ = sorted(k for k in verdicts if verdicts[k] != sampled.get(k))
    print(f"full-table pass over the same columns: {seconds:.1f} s; the sampled scan takes "
          f"{report.seconds / seconds:.4f}x of it ({seconds / report.seconds:.0f}x faster)")
    print(f"  columns classified differently by the sample: {len(differ)} of {len(verdicts)}"
          + "".join(f"\n    {k}: full {verdicts[k]}, sample {sampled.get(k)}" for k in differ))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE)
    parser.add_argument("--postgres", help="also scan a shop on this PostgreSQL database")
    parser.add_argument("--accuracy-only", action="store_true")
    parser.add_argument("--no-full-pass", action="store_true", help="skip the full-table baseline")
    args = parser.parse_args()
    accuracy([7, 11, 23])
    if args.accuracy_only:
        return
    DATA.mkdir(exist_ok=True)
    speed(f"sqlite:///{DATA / f'shop-{args.customers}.db'}", args.customers, args.sample, not args.no_full_pass)
    if args.postgres:
        speed(args.postgres, args.customers, args.sample, not args.no_full_pass)


if __name__ == "__main__":
    main()
