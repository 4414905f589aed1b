"""The SQL store: live schema, and errors that name the system and never the password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from custos.errors import StoreError
from custos.stores import ColumnKind, Selector, open_store
from tests import shop


def test_describe_reports_types_lengths_and_nullability(db_url: str, tmp_path: object) -> None:
    shop.build(db_url, f"sqlite:///{tmp_path}/crm.db")
    store = open_store("shop_db", db_url)
    try:
        described = store.describe(["customers", "sessions", "missing_table"])
    finally:
        store.close()
    assert described["missing_table"] is None
    customers = described["customers"]
    assert customers is not None
    assert customers["email"].kind is ColumnKind.STRING and customers["email"].length == 255
    assert customers["email"].nullable is False and customers["email"].unique is True
    assert customers["id"].primary_key is True
    assert customers["birth_date"].kind is ColumnKind.DATE
    assert customers["full_name"].nullable is True
    sessions = described["sessions"]
    assert sessions is not None and sessions["started_at"].kind is ColumnKind.DATETIME


def test_fetch_batches_keys_and_binds_values(db_url: str, tmp_path: object) -> None:
    shop.build(db_url, f"sqlite:///{tmp_path}/crm.db")
    store = open_store("shop_db", db_url)
    statements: list[str] = []
    try:
        sa.event.listen(store.engine, "before_cursor_execute",  # type: ignore[attr-defined]
                        lambda conn, cursor, statement, *rest: statements.append(statement))
        store.batch_size = 2  # type: ignore[attr-defined]
        rows = store.fetch("customers", Selector.by_values({"id": {1, 2, 3, 4, 99}}), ["id", "email"])
    finally:
        store.close()
    assert sorted(r["id"] for r in rows) == [1, 2, 3, 4]
    selects = [s for s in statements if "FROM customers" in s and "customers.id IN" in s]
    assert len(selects) == 3  # 5 keys in batches of 2
    assert all("example.com" not in s for s in statements)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://custos:hunter2@127.0.0.1:1/nodb", "cannot"),
        ("mysql://custos:hunter2@127.0.0.1:1/nodb", "cannot"),
    ],
)
def test_unreachable_server_names_the_system_never_the_password(url: str, expected: str) -> None:
    store = open_store("billing_db", url)
    with pytest.raises(StoreError) as caught:
        store.describe(["customers"])
    message = str(caught.value)
    assert "billing_db" in message
    assert "hunter2" not in message
    assert "***" in message or "custos@" in message


def test_missing_sqlite_file_is_an_error_not_a_new_database(tmp_path: object) -> None:
    store = open_store("shop_db", f"sqlite:///{tmp_path}/absent.db")
    with pytest.raises(StoreError, match="does not exist"):
        store.describe(["customers"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "no store adapter"),
        ("ftp://host/x", "no store adapter for URL scheme 'ftp'"),
        ("postgresql+nodriver://u:pw@h/db", "no database driver"),
    ],
)
def test_bad_urls_are_clear(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store("x_db", url).describe(["t"])
    assert expected in str(caught.value)
    assert "pw" not in str(caught.value).replace("postgresql+nodriver", "")
