"""Build the sample shop, Acme Shop, Inc., into any SQL database.

``build_shop("sqlite:///shop.db")`` drops and recreates the shop's tables and fills them
with fake customers and everything they leave behind, in one transaction. The same seed
(and the same ``as_of`` day) gives the same rows on every store.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from custos.demo.loading import create_indexes, recreate_tables, reset_sequences, write_rows
from custos.demo.people import FakerPeople, People, PooledPeople
from custos.demo.rows import DEMO_EMAIL, TABLE_NAMES, ShopRows, email_of
from custos.demo.schema import metadata
from custos.errors import CustosError, StoreError
from custos.stores.sql import normalize_url, safe_url

SYSTEM = "shop_db"  # the system key of the shop in its data map
MIN_CUSTOMERS = 3


@dataclass(frozen=True)
class ShopSummary:
    """What was built: where, how many rows per table, and whom to ask about."""

    url: str  # with any password hidden
    seed: int
    fast: bool
    as_of: dt.date
    counts: Mapping[str, int]
    seconds: float
    #: The demo subject: orders, sessions, a ticket as customer and one as guest, a merged
    #: old account, a note on someone else's ticket, a newsletter subscription.
    demo_subject: str
    #: A few known subjects: the demo subject, some customers, a guest who only wrote in.
    subjects: tuple[str, ...]
    _email_of: Callable[[int], str] = field(repr=False, compare=False)

    @property
    def customers(self) -> int:
        return self.counts["customers"]

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def sample_email(self, i: int) -> str:
        """The email of customer ``i`` counting from 0 (wrapping around), e.g. for benchmarks."""
        return self._email_of(i % self.customers + 1)


def build_shop(
    url: str,
    *,
    customers: int = 200,
    seed: int = 7,
    fast: bool = False,
    as_of: dt.date | None = None,
) -> ShopSummary:
    """Create the shop's tables at ``url`` (dropping them first) and fill them.

    About ten rows per customer. ``fast`` draws names and places from pools made by Faker
    once instead of calling Faker for every person: use it from about 100,000 customers.
    Dates are relative to ``as_of`` (default: today, UTC), so accounts age with the calendar.
    """
    if customers < MIN_CUSTOMERS:
        raise CustosError(f"the sample shop needs at least {MIN_CUSTOMERS} customers, not {customers}")
    day = as_of or dt.datetime.now(dt.UTC).date()
    started = time.perf_counter()
    people: People = PooledPeople(seed) if fast else FakerPeople(seed)
    generator = ShopRows(people, seed=seed, as_of=dt.datetime.combine(day, dt.time()),
                         keep_emails=not fast)
    engine = _engine(url)
    try:
        _fill(engine, generator, customers)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:  # leave one plain file behind, not a WAL pair
                conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    except sa_exc.SQLAlchemyError as exc:
        raise _store_error(exc, url) from None
    finally:
        engine.dispose()

    def email(number: int) -> str:
        if number <= len(generator.emails):
            return generator.emails[number - 1]
        return email_of(people, number)

    known = [DEMO_EMAIL, *(email(n) for n in (3, 4, 5, customers) if n <= customers)]
    return ShopSummary(
        url=safe_url(normalize_url(url)),
        seed=seed,
        fast=fast,
        as_of=day,
        counts=dict(generator.counts),
        seconds=time.perf_counter() - started,
        demo_subject=DEMO_EMAIL,
        subjects=tuple(dict.fromkeys([*known, *generator.guest_emails[:1]])),
        _email_of=email,
    )


def _engine(url: str) -> sa.Engine:
    try:
        parsed = normalize_url(url)
        engine = sa.create_engine(parsed)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreError(f"cannot use {safe_url(url)!r} for the sample shop: {exc}", system=SYSTEM) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _fast_sqlite)
    return engine


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # A sample is rebuilt rather than recovered: durability is traded for speed here only.
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _fill(engine: sa.Engine, generator: ShopRows, customers: int) -> None:
    tables = [metadata.tables[name] for name in TABLE_NAMES]
    with engine.begin() as conn:
        recreate_tables(conn)
        for block in generator.blocks(customers):
            for table in tables:
                write_rows(conn, table, block.get(table.name, []))
        create_indexes(conn)
        reset_sequences(conn)


def _store_error(exc: sa_exc.SQLAlchemyError, url: str) -> StoreError:
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    text = re.sub(r"\[SQL:.*", "", text)[:300]
    password = normalize_url(url).password
    if password:
        text = text.replace(str(password), "***")
    return StoreError(f"building the sample shop on {safe_url(url)} failed: {text}", system=SYSTEM)
