"""The database of Acme Shop, Inc., the sample company of ``custos demo`` and the benchmarks.

Every path a subject's data can take is here: identities on three tables (customers,
support tickets, the newsletter list), a self-reference (merged accounts), a chain
(orders → order lines, orders → payments), a table without a primary key (sessions), a
reference followed both ways (a ticket leads to its customer), and a reference that is
personal data of the person it points at (the author of a ticket note).

Types are the portable core of SQLAlchemy, so the same tables build on SQLite,
PostgreSQL and MariaDB. Every reference column and every identity column is indexed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# MariaDB's server default may still be latin1; names from fr_FR or de_DE need utf8mb4.
_MYSQL: dict[str, Any] = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

EMAIL_LENGTH = 255

customers = sa.Table(
    "customers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False, unique=True),
    sa.Column("full_name", sa.String(120)),
    sa.Column("phone", sa.String(20), index=True),  # E.164
    sa.Column("birth_date", sa.Date),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_active_at", sa.DateTime),
    # A duplicate account merged into the one the customer kept.
    sa.Column("merged_into", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    **_MYSQL,
)

addresses = sa.Table(
    "addresses", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("line1", sa.String(200), nullable=False),
    sa.Column("city", sa.String(100)),
    sa.Column("postal_code", sa.String(16)),
    sa.Column("country", sa.String(2), nullable=False),  # ISO 3166-1 alpha-2
    **_MYSQL,
)

orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("placed_at", sa.DateTime, nullable=False),
    sa.Column("ship_address", sa.String(300), nullable=False),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
    **_MYSQL,
)

order_lines = sa.Table(
    "order_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("sku", sa.String(32), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
    sa.Column("gift_message", sa.String(200)),
    **_MYSQL,
)

payments = sa.Table(
    "payments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("card_last4", sa.CHAR(4), nullable=False),
    sa.Column("card_brand", sa.String(20), nullable=False),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    sa.Column("paid_at", sa.DateTime, nullable=False),
    **_MYSQL,
)

# No primary key: rows are found by the customer they belong to and erased by deletion.
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("ip", sa.String(45), nullable=False),  # IPv4 or IPv6
    sa.Column("user_agent", sa.String(300)),
    sa.Column("started_at", sa.DateTime, nullable=False),
    **_MYSQL,
)

# A guest writes in with only an email; a signed-in customer's ticket also names them.
support_tickets = sa.Table(
    "support_tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False, index=True),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    **_MYSQL,
)

# A note by staff has no author_customer_id; a customer may also write on a ticket.
ticket_notes = sa.Table(
    "ticket_notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("support_tickets.id"), nullable=False, index=True),
    sa.Column("author_customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    **_MYSQL,
)

newsletter_subscribers = sa.Table(
    "newsletter_subscribers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False, unique=True),
    sa.Column("subscribed_at", sa.DateTime, nullable=False),
    sa.Column("confirmed_at", sa.DateTime),
    **_MYSQL,
)

#: Tables in an order that satisfies every foreign key when filled front to back.
TABLES: tuple[sa.Table, ...] = tuple(metadata.sorted_tables)
