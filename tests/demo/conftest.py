"""Sample shops built once per module, and a digest of a shop's rows that any store gives alike."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from custos.demo import ShopSummary, build_shop
from custos.demo.schema import TABLES
from custos.stores.sql import normalize_url

AS_OF = dt.date(2026, 3, 2)
SMALL = 120


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every shop table, values as plain JSON types, in a store-independent order."""
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted(
                    (tuple(_plain(v) for v in row) for row in conn.execute(sa.select(table))),
                    key=lambda row: json.dumps(row),
                )
                for table in TABLES
            }
    finally:
        engine.dispose()


def digest(url: str) -> str:
    text = json.dumps(table_rows(url), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}"


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ShopSummary]:
    """A shop of 120 customers from Faker on SQLite."""
    url = sqlite_url(tmp_path_factory.mktemp("shop"), "shop.db")
    return url, build_shop(url, customers=SMALL, as_of=AS_OF)


@pytest.fixture(scope="module")
def fast_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ShopSummary]:
    """A shop of 3,000 customers from pooled names on SQLite."""
    url = sqlite_url(tmp_path_factory.mktemp("fast"), "shop.db")
    return url, build_shop(url, customers=3000, fast=True, as_of=AS_OF)
