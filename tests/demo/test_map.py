"""The shop's data map against the shop's schema: every name exists, every strategy fits.

These checks read ``custos.demo.schema`` directly, so a column renamed or narrowed there
fails here, without a database.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from custos.datamap import parse_datamap
from custos.demo import demo_map_text
from custos.demo.schema import metadata

HASH_LENGTH = 64  # mask_hash writes 64 hex characters
REDACTED_LENGTH = len("[REDACTED]")


def _map() -> dict[str, Any]:
    document = yaml.safe_load(demo_map_text())
    assert isinstance(document, dict)
    return document


def _fields() -> list[tuple[dict[str, Any], dict[str, Any], sa.Column[Any]]]:
    """(collection, field, column) for every field the map declares."""
    found = []
    for dataset in _map()["datasets"]:
        for collection in dataset["collections"]:
            table = metadata.tables[collection["name"]]
            for field in collection["fields"]:
                assert field["name"] in table.c, f"{table.name}.{field['name']} is not in schema.py"
                found.append((collection, field, table.c[field["name"]]))
    return found


def _length(column: sa.Column[Any]) -> int | None:
    return getattr(column.type, "length", None)


def _is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String)


def test_every_table_and_column_of_the_schema_is_in_the_map() -> None:
    collections = {c["name"]: c for d in _map()["datasets"] for c in d["collections"]}
    assert set(collections) == set(metadata.tables)
    for name, table in metadata.tables.items():
        declared = [f["name"] for f in collections[name]["fields"]]
        assert sorted(declared) == sorted(table.c.keys()), name
        assert len(_fields()) == sum(len(t.c) for t in metadata.tables.values())


def test_primary_keys_are_those_of_the_schema() -> None:
    for collection, field, column in _fields():
        assert bool(field.get("primary_key")) == column.primary_key, f"{collection['name']}.{field['name']}"
    sessions = next(c for d in _map()["datasets"] for c in d["collections"] if c["name"] == "sessions")
    assert sessions["erase_rows"] is True
    assert not any(f.get("primary_key") for f in sessions["fields"])
    assert not metadata.tables["sessions"].primary_key.columns


def test_every_strategy_fits_its_column() -> None:
    for collection, field, column in _fields():
        where = f"{collection['name']}.{field['name']}"
        strategy = field.get("erase")
        if collection.get("erase_rows"):
            assert strategy is None and "keep_for" not in field, f"{where}: its rows are deleted"
            continue
        if strategy is None and (field.get("categories") or field.get("identity")) and not field.get("keep_for"):
            pytest.fail(f"{where} is personal data without an erase strategy or keep_for")
        if strategy == "mask_null":
            assert column.nullable, f"{where}: mask_null on a NOT NULL column"
        elif strategy == "mask_hash":
            assert _is_text(column) and (_length(column) or HASH_LENGTH) >= HASH_LENGTH, where
        elif strategy == "mask_redact":
            assert _is_text(column) and (_length(column) or REDACTED_LENGTH) >= REDACTED_LENGTH, where
            assert not column.unique, f"{where}: one placeholder in every row of a UNIQUE column"
        elif strategy == "mask_date_year":
            assert isinstance(column.type, sa.Date | sa.DateTime), where
        elif strategy == "mask_random":
            assert isinstance(column.type, sa.String | sa.Integer | sa.Numeric | sa.Date | sa.DateTime), where
        else:
            assert strategy in (None, "keep"), where
        if strategy not in (None, "keep"):
            assert not column.primary_key, f"{where}: a primary key cannot be masked"


def _reference(field: dict[str, Any]) -> tuple[str, str]:
    target = field["references"]
    text = target if isinstance(target, str) else target["field"]
    table, column = text.split(".")
    return table, column


def test_references_are_the_foreign_keys_of_the_schema() -> None:
    declared = {(c["name"], f["name"]): _reference(f) for c, f, _col in _fields() if "references" in f}
    actual = {
        (table.name, fk.parent.name): (fk.column.table.name, fk.column.name)
        for table in metadata.tables.values()
        for fk in table.foreign_keys
    }
    assert declared == actual
    tickets = next(f for c, f, _col in _fields()
                   if c["name"] == "support_tickets" and f["name"] == "customer_id")
    assert tickets["references"] == {"field": "customers.id", "direction": "both", "kind": "owner"}


def test_identity_and_reference_columns_are_indexed() -> None:
    for collection, field, column in _fields():
        if field.get("identity") or "references" in field:
            assert column.index or column.unique, f"{collection['name']}.{field['name']} has no index"
    identities = sorted((c["name"], f["name"], f["identity"]) for c, f, _col in _fields() if f.get("identity"))
    assert identities == [
        ("customers", "email", "email"), ("customers", "phone", "phone"),
        ("newsletter_subscribers", "email", "email"), ("support_tickets", "email", "email"),
    ]


def test_the_map_is_valid_and_its_store_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_DB_URL", raising=False)
    datamap = parse_datamap(demo_map_text(), file="shop.yaml")
    assert datamap.warnings == []
    assert datamap.systems["shop_db"].url == "sqlite:///shop.db"
    monkeypatch.setenv("SHOP_DB_URL", "postgresql://shop@db.internal/shop")
    assert parse_datamap(demo_map_text()).systems["shop_db"].url == "postgresql://shop@db.internal/shop"


def test_the_notice_has_what_to_show() -> None:
    document = _map()
    assert document["organization"]["jurisdictions"] == ["ccpa", "gdpr"]
    recipients = {r["key"]: r for r in document["recipients"]}
    shared = [k for k, r in recipients.items() if r.get("shared") and r["kind"] == "third_party"]
    assert shared, "a third party the data is shared with, so the notice shows sharing"
    advertising = [p for p in document["purposes"] if "marketing.advertising.third_party.targeted" in p["uses"]]
    assert advertising and set(shared) <= {r for p in advertising for r in p["recipients"]}
    exceptions = {e["key"]: e for e in document["exceptions"]}
    assert exceptions["tax_records"] == {
        "key": "tax_records", "basis": "legal_obligation", "ccpa": "1798.105(d)(8)", "gdpr": "17(3)(b)",
        "until": "P7Y", "description": exceptions["tax_records"]["description"],
    }
    kept = {f["keep_for"] for _c, f, _col in _fields() if "keep_for" in f}
    assert kept <= set(exceptions)
    assert {p["lawful_basis"] for p in document["purposes"]} >= {"contract", "consent", "legal_obligation"}
