"""A map that asks for the impossible is refused against the live store, before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.datamap import load_datamap
from custos.engine import Engine, Subject
from custos.errors import DataMapErrors
from tests import shop
from tests.engine.conftest import SECRET, Shop


def problems_for(built: Shop, tmp_path: Path, old: str, new: str) -> str:
    text = shop.MAP.replace(old, new, 1)
    assert text != shop.MAP
    path = shop.write_map(tmp_path, built.shop_url, built.crm_url, text)
    engine = Engine(load_datamap(path), secret_key=SECRET, journal=tmp_path / "j.db")
    try:
        with pytest.raises(DataMapErrors) as caught:
            engine.access(Subject.of(email=shop.ALICE))
    finally:
        engine.close()
    return str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("identity: email, erase: mask_hash}", "identity: email, erase: mask_null}", "mask_null on NOT NULL column email"),
        ("{name: gift_message, categories: [user.content], erase: mask_null}",
         "{name: sku, categories: [user.content], erase: mask_hash}", "mask_hash writes 64 characters"),
        ("{name: total, categories: [user.behavior.purchase_history], keep_for: tax_records}",
         "{name: total, categories: [user.behavior.purchase_history], erase: mask_redact}", "mask_redact writes text"),
        ("{name: full_name, categories: [user.name], erase: mask_null,",
         "{name: full_name, categories: [user.name], erase: mask_date_year,", "needs a DATE"),
        ("- name: order_lines", "- name: order_linez", "table 'order_linez' does not exist"),
        ("{name: ship_address,", "{name: ship_addr,", "column 'ship_addr' does not exist"),
    ],
)
def test_impossible_strategies_are_refused_with_file_and_line(
    built_shop: Shop, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    before = shop.snapshot(built_shop.shop_url)
    message = problems_for(built_shop, tmp_path, old, new)
    assert expected in message
    assert "custos.yaml:" in message  # file and line of the offending declaration
    assert shop.snapshot(built_shop.shop_url) == before


def test_a_personal_field_without_strategy_defaults_to_mask_null_and_is_checked(
    built_shop: Shop, tmp_path: Path
) -> None:
    message = problems_for(built_shop, tmp_path, "identity: email, erase: mask_hash}", "identity: email}")
    assert "mask_null is the default" in message
