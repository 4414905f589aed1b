"""A data point counts toward verification only if it is specific to a person: fields whose
values most rows share (a country, a quantity) are refused, measured on the store itself."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from custos.cli import app
from custos.datamap import parse_datamap
from custos.engine import Engine
from custos.stores import open_store
from custos.stores.sql import normalize_url
from tests.conftest import Databases

SECRET = b"guessable-secret"
FIELDS = ("full_name", "country", "quantity", "phone", "nickname")


def shop(url: str, rows: list[dict[str, Any]]) -> None:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    table = sa.Table("buyers", meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("email", sa.String(120)), sa.Column("full_name", sa.String(80)),
                     sa.Column("country", sa.String(2)), sa.Column("quantity", sa.Integer),
                     sa.Column("phone", sa.String(40)), sa.Column("nickname", sa.String(40)))
    meta.drop_all(engine)
    meta.create_all(engine)
    if rows:
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
    engine.dispose()


def rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    pick = random.Random(seed)
    return [{"id": i, "email": f"p{i}@example.com", "full_name": f"Person {i} {pick.randrange(10**6)}",
             "country": "US" if pick.random() < 0.8 else pick.choice(["CA", "MX", "FR"]),
             "quantity": pick.choice([1, 1, 1, 2, 3]), "phone": f"+1415555{i:04d}",
             "nickname": None if i % 3 else f"nick{i}"} for i in range(1, count + 1)]


def map_text(url: str, marked: tuple[str, ...] = FIELDS) -> str:
    fields: list[dict[str, Any]] = [{"name": "id", "primary_key": True},
                                    {"name": "email", "identity": "email", "categories": ["user.contact.email"]}]
    for name in FIELDS:
        fields.append({"name": name, "categories": ["user.name"], **({"verify": True} if name in marked else {})})
    return yaml.safe_dump({
        "organization": {"name": "Shop", "privacy_contact": "p@shop.test", "jurisdictions": ["ccpa"]},
        "systems": [{"key": "db", "url": url, "datasets": ["shop"]}],
        "datasets": [{"key": "shop", "collections": [{"name": "buyers", "fields": fields}]}],
    }, sort_keys=False)


def refused_fields(engine: Engine) -> list[str]:
    refused, _ = engine.guessable_points()
    return sorted(str(problem.key) for problem in refused)


def test_a_country_and_a_quantity_are_refused_a_name_and_a_phone_count(databases: Databases,
                                                                     tmp_path: Path) -> None:
    url = databases.new()
    shop(url, rows(1000))
    engine = Engine(parse_datamap(map_text(url)), secret_key=SECRET, journal=tmp_path / "j.db")
    try:
        assert refused_fields(engine) == ["shop.buyers.country", "shop.buyers.quantity"]
        refused, _ = engine.guessable_points()
        assert "% of 1000 rows share one value" in str(refused[0])
    finally:
        engine.close()


def test_a_small_table_is_judged_by_how_many_values_repeat(databases: Databases, tmp_path: Path) -> None:
    url = databases.new()
    small = rows(20)
    shop(url, small)
    engine = Engine(parse_datamap(map_text(url)), secret_key=SECRET, journal=tmp_path / "j.db")
    try:
        # 20 rows: too few for shares; the country and the quantity repeat in most rows
        assert refused_fields(engine) == ["shop.buyers.country", "shop.buyers.quantity"]
    finally:
        engine.close()


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "A", "b", " a", "ü", "Ü", "c'd", "%"])),
                       max_size=60))
def test_the_spread_the_store_counts_is_the_spread_of_the_values(tmp_path_factory: pytest.TempPathFactory,
                                                                 values: list[str | None]) -> None:
    """Against an independent count in Python: NULLs left out, each stored form its own value."""
    folder = tmp_path_factory.mktemp("spread")
    url = f"sqlite:///{folder / 'spread.db'}"
    shop(url, [{"id": i, "nickname": v} for i, v in enumerate(values, 1)])
    store = open_store("db", url)
    try:
        counted = Counter(v for v in values if v is not None)
        expected = (sum(counted.values()), len(counted), max(counted.values(), default=0))
        assert store.value_spread("buyers", "nickname") == expected  # type: ignore[attr-defined]
    finally:
        store.close()


def test_validate_connect_refuses_a_guessable_data_point_naming_the_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop(url, rows(500))
    path = tmp_path / "custos.yaml"
    path.write_text(map_text(url, marked=("full_name", "country")), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--map", str(path), "--connect"])
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "name: country" in text)
    assert f"custos.yaml:{line}" in result.stderr and "shop.buyers.country" in result.stderr
    assert "full_name" not in result.stderr
    path.write_text(map_text(url, marked=("full_name", "phone")), encoding="utf-8")
    assert CliRunner().invoke(app, ["validate", "--map", str(path), "--connect"]).exit_code == 0
