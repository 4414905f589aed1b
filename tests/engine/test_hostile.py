"""Hostile identity values travel as bound parameters: they find nothing and break nothing."""

from __future__ import annotations

import pytest

from custos.engine import Subject
from custos.errors import IdentityError
from tests import shop
from tests.engine.conftest import Shop

HOSTILE = [
    "o'brien@example.com",
    "x@example.com'OR'1'='1",
    "a@b.c\";DROP/**/TABLE/**/customers;--",
    "ünïcödé@exämple.com",
    "😀@example.com",
    "robert');DELETE/**/FROM/**/orders;--@x.io",
    "\\x00@example.com",
    "%@example.com",
    "_@example.com",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_emails_find_nothing_and_change_nothing(built_shop: Shop, value: str) -> None:
    before = shop.snapshot(built_shop.shop_url)
    engine = built_shop.engine()
    assert engine.access(Subject.of(email=value)).row_count == 0
    assert engine.erase(Subject.of(email=value)).status == "nothing_found"
    assert shop.snapshot(built_shop.shop_url) == before


def test_ten_kilobyte_custom_identity_is_bound_not_inlined(built_shop: Shop) -> None:
    before = shop.snapshot(built_shop.shop_url)
    big = "' OR 1=1; --" * 900  # ~10 kB
    engine = built_shop.engine()
    result = engine.access(Subject.of(email=shop.ALICE, user_id=big))
    assert result.row_count > 0  # the email still finds Alice; the custom id matches no field
    assert shop.snapshot(built_shop.shop_url) == before


@pytest.mark.parametrize(
    ("identity", "value", "expected"),
    [
        ("email", "", "empty"),
        ("email", "no-at-sign", "not an address"),
        ("email", "x@example.com' OR '1'='1", "not an address"),
        ("email", "a" * 10_000 + "@x.io", "at most 320"),
        ("phone", "call me maybe", "cannot be read"),
        ("phone", "1" * 100, "too long"),
    ],
)
def test_malformed_identities_are_refused_with_the_reason(identity: str, value: str, expected: str) -> None:
    with pytest.raises(IdentityError, match=expected):
        Subject.of(**{identity: value})
