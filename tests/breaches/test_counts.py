"""The people a breach affects, counted by the store in one statement per person collection,
against independent SQL on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import sqlalchemy as sa

from custos.breaches.register import categories_of, groups, resolve_targets
from custos.stores.sql import normalize_url
from tests.engine.conftest import Shop

ORACLES = {
    ("shop.orders",): "SELECT COUNT(DISTINCT customer_id) FROM orders",
    ("shop.order_lines",): "SELECT COUNT(DISTINCT o.customer_id) FROM order_lines l JOIN orders o ON o.id = l.order_id",
    ("shop.orders", "shop.tickets"): "SELECT COUNT(*) FROM (SELECT customer_id FROM orders UNION "
                                     "SELECT customer_id FROM tickets WHERE customer_id IS NOT NULL) people",
    ("shop.customers", "shop.sessions"): "SELECT COUNT(*) FROM (SELECT id FROM customers UNION "
                                         "SELECT customer_id FROM sessions) people",
}


def test_people_counts_agree_with_hand_written_sql(built_shop: Shop) -> None:
    engine = built_shop.engine()
    oracle = sa.create_engine(normalize_url(built_shop.shop_url))
    try:
        for collections, sql in ORACLES.items():
            found, nobody = groups(built_shop.datamap, list(collections))
            assert nobody == [] and len(found) == 1, collections
            [group] = found
            assert group.qualified == "shop.customers" and group.email == "email"
            counted = engine.store(group.system).owner_count(group.parts)  # type: ignore[attr-defined]
            with oracle.connect() as conn:
                expected = conn.execute(sa.text(sql)).scalar()
            assert counted == expected, collections
    finally:
        oracle.dispose()


def test_the_emails_of_the_people_are_read_in_batches_each_once(built_shop: Shop) -> None:
    engine = built_shop.engine()
    [group] = groups(built_shop.datamap, ["shop.orders", "shop.tickets"])[0]
    store = engine.store(group.system)
    read: list[tuple[object, object]] = []
    after = None
    while True:
        batch = store.owner_values(group.person, group.key, group.email, group.parts, after, 2)  # type: ignore[attr-defined]
        if not batch:
            break
        read += batch
        after = batch[-1][0]
    assert [k for k, _ in read] == [1, 2, 3, 4]
    assert [e for _, e in read] == ["alice@example.com", "alice.old@example.com", "bob@example.com",
                                    "carol@example.com"]


def test_targets_resolve_to_the_map_s_collections_and_their_categories(built_shop: Shop) -> None:
    datamap = built_shop.datamap
    assert resolve_targets(datamap, ["system:crm_db"]) == ["crm.contacts"]
    assert "shop.orders" in resolve_targets(datamap, ["dataset:shop"])
    categories = {c["key"]: c for c in categories_of(datamap, ["shop.customers"])}
    assert {"user.contact.email", "user.name", "user.demographic.date_of_birth"} <= set(categories)
    assert all(not c["gdpr_special"] for c in categories.values())
