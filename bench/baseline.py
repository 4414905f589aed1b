"""The hand-written baseline: the fewest indexed SQL statements that do the same work.

Written directly against the sample shop's schema (no data map, no engine), with the
DBAPI connection, the same columns and the same end state as the engine, so the ratio
measures what the engine's generality costs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

COLUMNS = {
    "customers": "id, email, full_name, phone, birth_date, created_at, last_active_at, merged_into",
    "addresses": "id, customer_id, line1, city, postal_code, country",
    "orders": "id, customer_id, placed_at, ship_address, total",
    "order_lines": "id, order_id, sku, quantity, unit_price, gift_message",
    "payments": "id, order_id, card_last4, card_brand, amount, paid_at",
    "sessions": "customer_id, ip, user_agent, started_at",
    "support_tickets": "id, customer_id, email, subject, body, opened_at",
    "ticket_notes": "id, ticket_id, author_customer_id, note, created_at",
    "newsletter_subscribers": "id, email, subscribed_at, confirmed_at",
}
BATCH = 500


class Baseline:
    def __init__(self, connection: Any, paramstyle: str, secret: bytes) -> None:
        self.conn = connection
        self.mark = "?" if paramstyle == "qmark" else "%s"
        self.secret = secret

    def _in(self, values: Sequence[Any]) -> str:
        return ",".join([self.mark] * len(values))

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        cursor.execute(sql.replace("?", self.mark), list(params))
        rows = cursor.fetchall()
        cursor.close()
        return list(rows)

    def _where_in(self, table: str, column: str, values: Iterable[Any], columns: str | None = None) -> list[tuple[Any, ...]]:
        keys = sorted(set(values) - {None})
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            rows += self._rows(
                f"SELECT {columns or COLUMNS[table]} FROM {table} WHERE {column} IN ({self._in(batch)})", batch  # noqa: S608
            )
        return rows

    def access(self, emails: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
        """Everything the shop holds on these emails, as the data map defines it."""
        found: dict[str, list[tuple[Any, ...]]] = {}
        customers = {r[0]: r for r in self._where_in("customers", "email", emails)}
        guest_tickets = {r[0]: r for r in self._where_in("support_tickets", "email", emails)}
        linked = {r[1] for r in guest_tickets.values()} - set(customers) - {None}
        customers.update((r[0], r) for r in self._where_in("customers", "id", linked))
        merged = self._where_in("customers", "merged_into", list(customers))
        customers.update((r[0], r) for r in merged)
        ids = list(customers)
        found["customers"] = list(customers.values())
        found["addresses"] = self._where_in("addresses", "customer_id", ids)
        found["orders"] = self._where_in("orders", "customer_id", ids)
        order_ids = [r[0] for r in found["orders"]]
        found["order_lines"] = self._where_in("order_lines", "order_id", order_ids)
        found["payments"] = self._where_in("payments", "order_id", order_ids)
        found["sessions"] = self._where_in("sessions", "customer_id", ids)
        tickets = dict(guest_tickets)
        tickets.update((r[0], r) for r in self._where_in("support_tickets", "customer_id", ids))
        found["support_tickets"] = list(tickets.values())
        notes = {r[0]: r for r in self._where_in("ticket_notes", "ticket_id", list(tickets))}
        notes.update((r[0], r) for r in self._where_in("ticket_notes", "author_customer_id", ids))
        found["ticket_notes"] = list(notes.values())
        found["newsletter_subscribers"] = self._where_in("newsletter_subscribers", "email", emails)
        return found

    def _hash(self, value: str) -> str:
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()

    def _case(self, key: str, column: str, mapping: dict[Any, Any], params: list[Any]) -> str:
        whens = []
        for old, new in mapping.items():
            whens.append(f"WHEN {self.mark} THEN {self.mark}")
            params += [old, new]
        return f"CASE {key} {' '.join(whens)} ELSE {column} END" if whens else column

    def _update(self, table: str, sets: str, set_params: list[Any], key: str, keys: Sequence[Any]) -> None:
        cursor = self.conn.cursor()
        for start in range(0, len(keys), BATCH):
            batch = list(keys[start : start + BATCH])
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {key} IN ({self._in(batch)})", set_params + batch)  # noqa: S608
        cursor.close()

    def _delete(self, table: str, key: str, keys: Sequence[Any]) -> None:
        cursor = self.conn.cursor()
        for start in range(0, len(keys), BATCH):
            batch = list(keys[start : start + BATCH])
            cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({self._in(batch)})", batch)  # noqa: S608
        cursor.close()

    def erase(self, emails: Sequence[str]) -> None:
        """The same end state as the engine's erasure, in one transaction."""
        found = self.access(emails)
        ids = [r[0] for r in found["customers"]]
        for start in range(0, len(ids), BATCH):
            batch = found["customers"][start : start + BATCH]
            params: list[Any] = []
            email_case = self._case("id", "email", {r[0]: self._hash(r[1]) for r in batch}, params)
            year_case = self._case("id", "birth_date", {r[0]: _year(r[4]) for r in batch if r[4]}, params)
            self._update("customers", f"email = {email_case}, full_name = NULL, phone = NULL, "
                         f"birth_date = {year_case}, last_active_at = NULL", params, "id", [r[0] for r in batch])
        self._update("addresses", f"line1 = {self.mark}, city = NULL, postal_code = NULL", ["[REDACTED]"],
                     "id", [r[0] for r in found["addresses"]])
        self._update("orders", f"ship_address = {self.mark}", ["[REDACTED]"], "id", [r[0] for r in found["orders"]])
        lines = [r[0] for r in found["order_lines"] if r[5] is not None]
        self._update("order_lines", "gift_message = NULL", [], "id", lines)
        for start in range(0, len(found["payments"]), BATCH):
            batch = found["payments"][start : start + BATCH]
            params = []
            card = self._case("id", "card_last4", {r[0]: secrets.token_hex(2) for r in batch}, params)
            self._update("payments", f"card_last4 = {card}", params, "id", [r[0] for r in batch])
        self._delete("sessions", "customer_id", ids)
        for start in range(0, len(found["support_tickets"]), BATCH):
            batch = found["support_tickets"][start : start + BATCH]
            params = []
            email_case = self._case("id", "email", {r[0]: self._hash(r[2]) for r in batch}, params)
            params += ["[REDACTED]", "[REDACTED]"]
            self._update("support_tickets", f"email = {email_case}, subject = {self.mark}, body = {self.mark}",
                         params, "id", [r[0] for r in batch])
        notes = [r[0] for r in found["ticket_notes"]]
        if ids and notes:
            marks = self._in(ids[:BATCH])
            self._update("ticket_notes", f"note = {self.mark}, author_customer_id = CASE WHEN author_customer_id "
                         f"IN ({marks}) THEN NULL ELSE author_customer_id END", ["[REDACTED]", *ids[:BATCH]], "id", notes)
        self._delete("newsletter_subscribers", "id", [r[0] for r in found["newsletter_subscribers"]])
        self.conn.commit()


def _year(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.replace(month=1, day=1)
    return f"{str(value)[:4]}-01-01"
