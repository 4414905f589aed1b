"""A compact shop used by the engine tests: every traversal shape in a few tables.

- identities on customers (email, phone), on support tickets (guest email) and on the
  newsletter list;
- customers.merged_into: a self-reference (old accounts merged into a newer one);
- orders → order_lines: a chain; sessions: no primary key, rows deleted;
- tickets.customer_id with direction both: a guest ticket leads to its customer;
- tasks.creator_id / tasks.assignee_id: two references to customers, each masked only
  where it points at the subject;
- group_members: a many-to-many link table between customers and groups;
- crm.contacts in a second system: an edge across systems.
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from custos.stores.sql import normalize_url

metadata = sa.MetaData()

customers = sa.Table(
    "customers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("full_name", sa.String(120)),
    sa.Column("phone", sa.String(32)),
    sa.Column("birth_date", sa.Date),
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("internal_score", sa.Integer),  # not in the map: must never be read
)
orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("ship_address", sa.String(200)),
    sa.Column("total", sa.Numeric(10, 2)),
)
order_lines = sa.Table(
    "order_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("gift_message", sa.String(200)),
    sa.Column("sku", sa.String(20)),
)
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("ip", sa.String(45)),
    sa.Column("started_at", sa.DateTime),
)
tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("email", sa.String(255), index=True),
    sa.Column("body", sa.Text),
)
tasks = sa.Table(
    "tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("creator_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("assignee_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("title", sa.String(100)),
)
groups = sa.Table(
    "groups", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50)),
)
group_members = sa.Table(
    "group_members", metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id"), primary_key=True),
    sa.Column("nickname", sa.String(50)),
)
newsletter = sa.Table(
    "newsletter", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), index=True),
    sa.Column("subscribed_at", sa.DateTime),
)

crm_metadata = sa.MetaData()
contacts = sa.Table(
    "contacts", crm_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_ref", sa.String(20), index=True),  # holds customers.id as text
    sa.Column("notes", sa.String(200)),
)

MAP = """\
organization:
  name: Test Shop
  privacy_contact: privacy@test.example
  jurisdictions: [ccpa, gdpr]
systems:
  - {key: shop_db, url: "${SHOP_URL}", datasets: [shop]}
  - {key: crm_db, url: "${CRM_URL}", datasets: [crm]}
datasets:
  - key: shop
    collections:
      - name: customers
        fields:
          - {name: id, primary_key: true}
          - {name: email, categories: [user.contact.email], identity: email, erase: mask_hash}
          - {name: full_name, categories: [user.name], erase: mask_null, verify: true, label: Full name}
          - {name: phone, categories: [user.contact.phone_number], identity: phone, erase: mask_null, verify: true, label: Phone number}
          - {name: birth_date, categories: [user.demographic.date_of_birth], erase: mask_date_year}
          - {name: merged_into, references: {field: customers.id, kind: same_person}}
      - name: orders
        fields:
          - {name: id, primary_key: true}
          - {name: customer_id, references: {field: customers.id, kind: owner}}
          - {name: ship_address, categories: [user.contact.address], erase: mask_redact}
          - {name: total, categories: [user.behavior.purchase_history], keep_for: tax_records}
      - name: order_lines
        fields:
          - {name: id, primary_key: true}
          - {name: order_id, references: {field: orders.id, kind: owner}}
          - {name: gift_message, categories: [user.content], erase: mask_null}
      - name: sessions
        erase_rows: true
        fields:
          - {name: customer_id, references: {field: customers.id, kind: owner}}
          - {name: ip, categories: [user.device.ip_address]}
          - {name: started_at, activity: true}
      - name: tickets
        fields:
          - {name: id, primary_key: true}
          - {name: customer_id, references: {field: customers.id, direction: both, kind: owner}}
          - {name: email, categories: [user.contact.email], identity: email, erase: mask_hash}
          - {name: body, categories: [user.content], erase: mask_redact}
      - name: tasks
        fields:
          - {name: id, primary_key: true}
          - {name: creator_id, categories: [user.unique_id], references: {field: customers.id, kind: owner}, erase: mask_null}
          - {name: assignee_id, categories: [user.unique_id], references: {field: customers.id, kind: owner}, erase: mask_null}
          - {name: title}
      - name: group_members
        fields:
          - {name: customer_id, primary_key: true, references: {field: customers.id, kind: owner}}
          - {name: group_id, primary_key: true, references: {field: groups.id, direction: reverse}}
          - {name: nickname, categories: [user.name], erase: mask_random}
      - name: groups
        fields:
          - {name: id, primary_key: true}
          - {name: name}
      - name: newsletter
        erase_rows: true
        fields:
          - {name: id, primary_key: true}
          - {name: email, categories: [user.contact.email], identity: email}
          - {name: subscribed_at, activity: true}
  - key: crm
    collections:
      - name: contacts
        fields:
          - {name: id, primary_key: true}
          - {name: customer_ref, references: {field: shop.customers.id, kind: owner}}
          - {name: notes, categories: [user.content], erase: mask_redact}
purposes:
  - key: fulfillment
    name: Deliver orders
    lawful_basis: contract
    uses: [essential.service]
    subjects: [customer]
    categories: [user.contact, user.name]
    sources: [the_subject]
    recipients: [carrier]
    retention: {period: P3Y, from: last_activity, then: anonymize}
recipients:
  - {key: carrier, name: Parcel carriers, kind: service_provider, countries: [US], notify: {email: privacy@carrier.example}}
exceptions:
  - {key: tax_records, basis: legal_obligation, ccpa: "1798.105(d)(8)", gdpr: "17(3)(b)", until: P7Y}
"""

ALICE = "alice@example.com"
BOB = "bob@example.com"


def rows() -> dict[str, list[dict[str, Any]]]:
    """Alice (1) merged an old account (2) into hers; Bob (3) is someone else entirely."""
    day = dt.date(1990, 5, 17)
    return {
        "customers": [
            {"id": 1, "email": ALICE, "full_name": "Alice Liddell", "phone": "+14155550101",
             "birth_date": day, "merged_into": None, "internal_score": 7},
            {"id": 2, "email": "alice.old@example.com", "full_name": "Alice L", "phone": None,
             "birth_date": None, "merged_into": 1, "internal_score": 3},
            {"id": 3, "email": BOB, "full_name": "Bob Builder", "phone": "+14155550103",
             "birth_date": dt.date(1980, 2, 29), "merged_into": None, "internal_score": 9},
            {"id": 4, "email": "carol@example.com", "full_name": "Carol", "phone": None,
             "birth_date": None, "merged_into": None, "internal_score": 1},
        ],
        "orders": [
            {"id": 10, "customer_id": 1, "ship_address": "1 Rabbit Hole", "total": decimal.Decimal("19.99")},
            {"id": 11, "customer_id": 2, "ship_address": "2 Old Lane", "total": decimal.Decimal("5.00")},
            {"id": 12, "customer_id": 3, "ship_address": "3 Bob St", "total": decimal.Decimal("7.50")},
        ],
        "order_lines": [
            {"id": 100, "order_id": 10, "gift_message": "For Dinah", "sku": "A1"},
            {"id": 101, "order_id": 11, "gift_message": None, "sku": "B2"},
            {"id": 102, "order_id": 12, "gift_message": "Happy birthday", "sku": "C3"},
        ],
        "sessions": [
            {"customer_id": 1, "ip": "10.0.0.1", "started_at": dt.datetime(2026, 1, 1, 10, 0)},
            {"customer_id": 1, "ip": "10.0.0.2", "started_at": dt.datetime(2026, 1, 2, 10, 0)},
            {"customer_id": 3, "ip": "10.0.0.3", "started_at": dt.datetime(2026, 1, 3, 10, 0)},
        ],
        "tickets": [
            {"id": 200, "customer_id": None, "email": ALICE, "body": "Where is my parcel?"},
            {"id": 201, "customer_id": 3, "email": BOB, "body": "Bob's question"},
            {"id": 202, "customer_id": None, "email": "guest@example.com", "body": "Guest question"},
            {"id": 203, "customer_id": 4, "email": "carol.work@example.com", "body": "Carol asks"},
        ],
        "tasks": [
            {"id": 300, "creator_id": 3, "assignee_id": 1, "title": "Bob asks Alice"},
            {"id": 301, "creator_id": 1, "assignee_id": 3, "title": "Alice asks Bob"},
            {"id": 302, "creator_id": 3, "assignee_id": 3, "title": "Bob alone"},
        ],
        "groups": [{"id": 1, "name": "Readers"}, {"id": 2, "name": "Builders"}],
        "group_members": [
            {"customer_id": 1, "group_id": 1, "nickname": "Ali"},
            {"customer_id": 3, "group_id": 1, "nickname": "Bobby"},
            {"customer_id": 3, "group_id": 2, "nickname": "B"},
        ],
        "newsletter": [
            {"id": 1, "email": ALICE, "subscribed_at": dt.datetime(2025, 6, 1)},
            {"id": 2, "email": BOB, "subscribed_at": dt.datetime(2025, 6, 2)},
        ],
    }


CRM_ROWS = {
    "contacts": [
        {"id": 1, "customer_ref": "1", "notes": "VIP"},
        {"id": 2, "customer_ref": "3", "notes": "Bob's note"},
        {"id": 3, "customer_ref": "2", "notes": "old account"},
    ]
}


def build(shop_url: str, crm_url: str) -> None:
    """Create and fill both databases (dropping what a previous test left)."""
    for url, meta, data in ((shop_url, metadata, rows()), (crm_url, crm_metadata, CRM_ROWS)):
        engine = sa.create_engine(normalize_url(url))
        meta.drop_all(engine)
        meta.create_all(engine)
        with engine.begin() as conn:
            for table in meta.sorted_tables:
                if data.get(table.name):
                    conn.execute(table.insert(), data[table.name])
        engine.dispose()


def write_map(directory: Path, shop_url: str, crm_url: str, text: str = MAP) -> Path:
    path = directory / "custos.yaml"
    path.write_text(text.replace("${SHOP_URL}", shop_url).replace("${CRM_URL}", crm_url))
    return path


def snapshot(url: str, meta: sa.MetaData = metadata) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: compared before and after to prove what changed."""
    engine = sa.create_engine(normalize_url(url))
    result = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            result[table.name] = sorted(
                (tuple(row) for row in conn.execute(sa.select(table))), key=repr
            )
    engine.dispose()
    return result
