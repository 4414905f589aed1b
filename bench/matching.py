"""Benchmark of identity matching on stored forms (not a test).

A table of people (1,000,000 rows by default) whose emails are stored as companies store
them (about one in five with capitals or spaces) and whose phones are in free formats. In the
same run it measures single-subject access by email and by phone through the engine (with
the indexes ``custos validate --connect`` recommends) against a hand-written indexed lookup
through the raw driver (``lower(trim(email)) = ?`` and the digits-only expression), and one
lookup without the indexes. Ratios are engine time over hand-written time.

    python bench/matching.py                       # SQLite, 1,000,000 people
    python bench/matching.py --rows 100000         # a quick run
    python bench/matching.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from custos.datamap import parse_datamap
from custos.engine import Engine, Subject
from custos.matching import BUILTIN, phone_candidates
from custos.stores.sql import match_expression, match_index_sql, normalize_url

SECRET = b"matching-benchmark"
# the expression indexes this benchmark creates are not reflected by SQLAlchemy; that is expected
warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
TARGET_RATIO = 1.5
FORMATS = ["+1{a}{b}{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "{a}{b}{c}", "1-{a}-{b}-{c}"]


def stored_email(i: int, rng: random.Random) -> str:
    email = f"person.{i}@example.com"
    roll = rng.random()
    if roll < 0.1:
        return email.title()
    if roll < 0.15:
        return email.upper()
    if roll < 0.2:
        return f" {email}  "
    return email


def stored_phone(i: int, rng: random.Random) -> str:
    a, b, c = f"{200 + i // 10_000_000 % 800:03d}", f"{i // 10_000 % 1000:03d}", f"{i % 10_000:04d}"
    return rng.choice(FORMATS).format(a=a, b=b, c=c)


def build(url: str, rows: int) -> None:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    people = sa.Table("people", meta, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("email", sa.String(120)), sa.Column("phone", sa.String(40)),
                      sa.Column("city", sa.String(40)))
    meta.drop_all(engine)
    meta.create_all(engine)
    rng = random.Random(1)
    with engine.begin() as conn:
        for start in range(0, rows, 50_000):
            conn.execute(people.insert(), [
                {"id": i + 1, "email": stored_email(i, rng), "phone": stored_phone(i, rng), "city": "Springfield"}
                for i in range(start, min(rows, start + 50_000))])
    engine.dispose()


def indexes(url: str, create: bool) -> None:
    engine = sa.create_engine(normalize_url(url))
    table = sa.Table("people", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        for field, rule in (("email", "trim_casefold"), ("phone", "phone")):
            name = f"ix_people_{field}_match"
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
            if create:
                conn.exec_driver_sql(match_index_sql(table, field, BUILTIN[rule], engine.dialect, name))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE people")
    engine.dispose()


def datamap(url: str) -> Any:
    return parse_datamap(yaml.safe_dump({
        "organization": {"name": "Bench", "privacy_contact": "p@bench.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["d"]}],
        "datasets": [{"key": "d", "collections": [{"name": "people", "fields": [
            {"name": "id", "primary_key": True},
            {"name": "email", "identity": "email", "categories": ["user.contact.email"]},
            {"name": "phone", "identity": "phone", "categories": ["user.contact.phone_number"]},
            {"name": "city", "categories": ["user.contact.address.city"]}]}]}],
    }))


def median_ms(run: Any, values: list[str]) -> float:
    times = []
    for value in values:
        started = time.perf_counter()
        run(value)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(url: str, rows: int, samples: int) -> None:
    print(f"== {url.split(':')[0]}, {rows:,} people")
    build(url, rows)
    rng = random.Random(2)
    chosen = rng.sample(range(rows), samples)
    emails = [f"person.{i}@example.com" for i in chosen]
    phones = ["+1" + "".join(ch for ch in stored_phone(i, random.Random(0)) if ch.isdigit())[-10:] for i in chosen]
    raw_engine = sa.create_engine(normalize_url(url))
    table = sa.Table("people", sa.MetaData(), autoload_with=raw_engine)
    dialect = raw_engine.dialect
    cols = "id, email, phone, city"

    def expression(field: str, rule: str) -> str:
        text = str(match_expression(table.c[field], BUILTIN[rule], dialect.name).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}))
        return text.replace("people.", "")

    marker = "?" if dialect.name == "sqlite" else "%s"
    email_sql = f"SELECT {cols} FROM people WHERE {expression('email', 'trim_casefold')} = {marker}"  # noqa: S608
    phone_expr = expression("phone", "phone")

    raw: Any = None
    cursor: Any = None

    def by_email(value: str) -> None:
        cursor.execute(email_sql, (value,))
        cursor.fetchall()

    def by_phone(value: str) -> None:
        found = sorted(phone_candidates(value))
        marks = ", ".join([marker] * len(found))
        cursor.execute(f"SELECT {cols} FROM people WHERE {phone_expr} IN ({marks})", found)  # noqa: S608
        cursor.fetchall()

    for label, create in (("with the recommended indexes", True), ("without them", False)):
        if raw is not None:
            raw.close()  # its open transaction would hold the table against the index change
        indexes(url, create)
        raw = raw_engine.raw_connection()
        cursor = raw.cursor()
        with tempfile.TemporaryDirectory():
            engine = Engine(datamap(url), secret_key=SECRET)
            try:
                engine.access(Subject.of(email=emails[0]))  # schema check and statement shapes
                for field, values, hand in (("email", emails, by_email), ("phone", phones, by_phone)):
                    subset = values if create else values[:3]
                    for value in subset[:3]:
                        hand(value)
                    baseline = median_ms(hand, subset)
                    found = median_ms(lambda v, f=field, e=engine: e.access(Subject.of(**{f: v})), subset)
                    ratio = found / baseline
                    verdict = ("met" if found < 50 and ratio <= TARGET_RATIO else "not met") if create else "-"
                    print(f"  {label:<30} {field:<6} engine {found:8.2f} ms  hand-written {baseline:8.2f} ms  "
                          f"ratio {ratio:5.2f}  (target < 50 ms and <= {TARGET_RATIO}x: {verdict})")
            finally:
                engine.close()
    raw.close()
    raw_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (its database is used as is)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{Path(tmp) / 'people.db'}", args.rows, args.samples)
    if args.postgres:
        measure(args.postgres, args.rows, args.samples)


if __name__ == "__main__":
    main()
