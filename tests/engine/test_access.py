"""Access: every reachable row, exactly the declared fields, never another person's rows."""

from __future__ import annotations

from custos.engine import Subject
from tests import shop
from tests.engine.conftest import Shop


def ids(result: dict, dataset: str, collection: str, key: str = "id") -> list:
    return sorted(row[key] for row in result["datasets"].get(dataset, {}).get(collection, []))


def test_access_follows_every_edge_and_nothing_else(built_shop: Shop) -> None:
    engine = built_shop.engine()
    data = engine.access(Subject.of(email=shop.ALICE)).to_dict()
    # the merged old account (self-reference) and its order are Alice's
    assert ids(data, "shop", "customers") == [1, 2]
    assert ids(data, "shop", "orders") == [10, 11]
    assert ids(data, "shop", "order_lines") == [100, 101]
    # her guest ticket is found by email; Bob's and Carol's tickets are not
    assert ids(data, "shop", "tickets") == [200]
    # tasks she created or was assigned; Bob's own task is not hers
    assert ids(data, "shop", "tasks") == [300, 301]
    assert ids(data, "shop", "newsletter") == [1]
    # many-to-many: her membership and the group it leads to, not Bob's memberships
    assert [(r["customer_id"], r["group_id"]) for r in data["datasets"]["shop"]["group_members"]] == [(1, 1)]
    assert ids(data, "shop", "groups") == [1]
    # across systems: CRM contacts keyed by customers.id held as text
    assert ids(data, "crm", "contacts") == [1, 3]
    sessions = data["datasets"]["shop"]["sessions"]
    assert sorted(s["ip"] for s in sessions) == ["10.0.0.1", "10.0.0.2"]


def test_access_reads_only_declared_fields_as_json_types(built_shop: Shop) -> None:
    data = built_shop.engine().access(Subject.of(email=shop.ALICE)).to_dict()
    customer = next(r for r in data["datasets"]["shop"]["customers"] if r["id"] == 1)
    assert set(customer) == {"id", "email", "full_name", "phone", "birth_date", "merged_into"}
    assert "internal_score" not in customer
    assert customer["birth_date"] == "1990-05-17"
    order = next(r for r in data["datasets"]["shop"]["orders"] if r["id"] == 10)
    assert order["total"] == 19.99
    assert data["subject"] == {"email": shop.ALICE}
    assert data["generated_at"].endswith("+00:00")


def test_identity_is_normalized_before_matching(built_shop: Shop) -> None:
    data = built_shop.engine().access(Subject.of(email="  ALICE@Example.COM ")).to_dict()
    assert ids(data, "shop", "customers") == [1, 2]


def test_ticket_email_leads_back_to_the_customer(built_shop: Shop) -> None:
    # the ticket was opened with a work address; direction: both reaches her account
    data = built_shop.engine().access(Subject.of(email="carol.work@example.com")).to_dict()
    assert ids(data, "shop", "tickets") == [203]
    assert ids(data, "shop", "customers") == [4]


def test_phone_identity_and_several_identities(built_shop: Shop) -> None:
    engine = built_shop.engine()
    by_phone = engine.access(Subject.of(phone="(415) 555-0103")).to_dict()
    assert ids(by_phone, "shop", "customers") == [3]
    both = engine.access(Subject.of(email=shop.ALICE, phone="+1 415 555 0103")).to_dict()
    assert ids(both, "shop", "customers") == [1, 2, 3]


def test_unknown_subject_finds_nothing(built_shop: Shop) -> None:
    result = built_shop.engine().access(Subject.of(email="nobody@example.com"))
    assert result.to_dict()["datasets"] == {}
    assert result.row_count == 0


def test_one_statement_per_collection_per_round(built_shop: Shop) -> None:
    reach = built_shop.engine().find(Subject.of(email=shop.ALICE))
    # a fixpoint takes a few rounds; never a statement per row found
    rows = sum(len(f.rows) for f in reach.found.values())
    assert rows >= 15
    for found in reach.found.values():
        assert found.statements <= 4, found.info.qualified
