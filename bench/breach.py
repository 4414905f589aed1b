"""Benchmark of the breach register on the sample shop at scale (not a test).

Two figures, each against a baseline measured in the same run:

- **Counting the people** in two affected collections (orders and support tickets, owned by
  customers) through the store's ``owner_count`` (nested subqueries and a UNION, built by
  ``custos.breaches.register.groups``), against a hand-written ``COUNT(DISTINCT …)`` run
  through the raw driver. Target: within 2x.
- **Queuing the notices** for the first 100,000 people: their emails read a batch at a time
  by ``register.emails`` and a mail composed and written to the outbox for each, against
  writing the same number of already composed messages as files. Target: 5,000 mails/s,
  memory flat (peak RSS printed).

    python bench/breach.py                      # SQLite, 1,000,000 customers
    python bench/breach.py --customers 100000   # a quicker run
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from custos.breaches.register import emails, groups
from custos.datamap import parse_datamap
from custos.demo import demo_map_text
from custos.engine import Engine, Journal
from custos.service.mail import Fanout, Mailer, Templates, compose
from custos.stores.sql import normalize_url
from engine import prepare

DATA = Path(__file__).resolve().parent / "data"
AFFECTED = ["shop.orders", "shop.support_tickets"]
HAND = ("SELECT COUNT(DISTINCT customer_id) FROM (SELECT customer_id FROM orders UNION ALL "
        "SELECT customer_id FROM support_tickets) t WHERE customer_id IS NOT NULL")


def median_seconds(call: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--mails", type=int, default=100_000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    url = f"sqlite:///{DATA / f'shop-{args.customers}.db'}"
    prepare(url, args.customers)
    datamap = parse_datamap(demo_map_text().replace("${SHOP_DB_URL:-sqlite:///shop.db}", url))
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(datamap, secret_key=b"breach-benchmark" * 2, journal=Journal(Path(tmp) / "journal.db"))
        [group] = groups(datamap, AFFECTED)[0]
        store = engine.store(group.system)
        counted = store.owner_count(group.parts)  # type: ignore[attr-defined]
        raw = sa.create_engine(normalize_url(url))
        with raw.connect() as conn:
            expected = conn.execute(sa.text(HAND)).scalar()
        assert counted == expected, (counted, expected)
        ours = median_seconds(lambda: store.owner_count(group.parts))  # type: ignore[attr-defined]

        def hand() -> None:
            with raw.raw_connection() as connection:
                cursor = connection.cursor()
                cursor.execute(HAND)
                cursor.fetchall()

        baseline = median_seconds(hand)
        print(f"people in {', '.join(AFFECTED)}: {counted:,}")
        print(f"  count: custos {ours * 1000:.0f} ms, hand-written COUNT(DISTINCT) {baseline * 1000:.0f} ms, "
              f"ratio {ours / baseline:.2f} (target <= 2.0)")

        outbox = Path(tmp) / "outbox"
        mailer = Mailer(sender="privacy@shop.example", outbox=outbox)
        rendered = Templates("custos.breaches").render("breach_notice", {
            "org_name": "Shop", "privacy_contact": "privacy@shop.example", "summary": "A stolen laptop",
            "aware": "2 March 2026", "categories": ["Purchase history"], "encrypted": False,
            "measures": None, "consequences": None})
        breach = SimpleNamespace(collections=AFFECTED)
        fanout = Fanout(mailer.sender, "breach_notice", rendered)
        sent = 0
        started = time.perf_counter()
        for batch in emails(SimpleNamespace(datamap=datamap, engine=engine, engine_lock=_Null()), breach,  # type: ignore[arg-type]
                            5000):
            for address in batch:
                mailer.deliver(fanout.to(address))
                sent += 1
                if sent >= args.mails:
                    break
            if sent >= args.mails:
                break
        ours_mail = time.perf_counter() - started
        message = compose(mailer.sender, "someone@example.com", "breach_notice", rendered)
        plain = Path(tmp) / "plain"
        plain.mkdir()
        started = time.perf_counter()
        for i in range(sent):
            (plain / f"{i}.eml").write_bytes(message.data)
        baseline_mail = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"notices: {sent:,} mails in {ours_mail:.1f} s = {sent / ours_mail:,.0f} mails/s (target >= 5,000); "
              f"writing the same number of composed files {sent / baseline_mail:,.0f}/s, "
              f"ratio {ours_mail / baseline_mail:.2f}; peak RSS {peak:.0f} MiB")
        raw.dispose()
        engine.close()


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


if __name__ == "__main__":
    main()
