"""The rows of the sample shop, generated block by block from one seed.

About ten rows per customer in all (addresses, orders with their lines and payments,
sessions, tickets, notes, newsletter subscriptions), so a million customers make about
ten million rows. Rows are tuples in the column order of ``custos.demo.schema``; a row
only ever points at rows of the same block or an earlier one, so blocks can be written
one after the other with foreign keys enforced.

Customer 1 is the demo subject, who has data of every kind; customer 2 is their old
account, merged into the first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from itertools import accumulate
from typing import Any

from custos.demo import texts
from custos.demo.draw import below, between, pick
from custos.demo.people import People, Person, Place, customer_email, guest_email, phone_number

Row = tuple[Any, ...]
Block = dict[str, list[Row]]

DEMO_EMAIL = "jordan.avery@example.com"
DEMO_OLD_EMAIL = "j.avery.shop@example.net"
DEMO_PHONE = "+14155550134"

_DAY = 86_400
_YEAR = 365 * _DAY
_ORDERS = tuple(accumulate((30, 30, 15, 10, 7, 5, 3)))  # 0–6 orders, 1.6 on average
_LINES = tuple(accumulate((50, 30, 15, 5)))  # 1–4 lines, 1.75 on average
_QUANTITY = tuple(accumulate((80, 15, 5)))  # 1–3 of an item
_SESSIONS = tuple(accumulate((25, 30, 20, 12, 8, 5)))  # 0–5 sessions, 1.6 on average
_CARD_BRANDS = (("visa", 52), ("mastercard", 30), ("amex", 12), ("discover", 6))
_BRAND_CUMULATIVE = tuple(accumulate(weight for _brand, weight in _CARD_BRANDS))
_FREE_SHIPPING_FROM = Decimal("50.00")
_SHIPPING = Decimal("4.99")
_CATALOG_PRODUCTS = ("MUG", "TEE", "SHR", "CAP", "BAG", "PEN", "NTB", "CND", "TWL", "SCF")

TABLE_NAMES = (
    "customers", "addresses", "orders", "order_lines", "payments", "sessions",
    "support_tickets", "ticket_notes", "newsletter_subscribers",
)


def email_of(people: People, number: int) -> str:
    """The email of customer ``number`` (from 1), as the generator writes it."""
    if number == 1:
        return DEMO_EMAIL
    if number == 2:
        return DEMO_OLD_EMAIL
    return customer_email(people.person(number), number)


class ShopRows:
    """Generates the shop's rows; the same seed and ``as_of`` give the same rows."""

    def __init__(self, people: People, *, seed: int, as_of: dt.datetime, keep_emails: bool = True) -> None:
        self.people = people
        self.as_of = as_of
        self.keep_emails = keep_emails
        self.rng = random.Random(seed)
        self.counts = dict.fromkeys(TABLE_NAMES, 0)
        #: Customers' emails in customer order, when ``keep_emails``; guests' emails always.
        self.emails: list[str] = []
        self.guest_emails: list[str] = []
        self._next = dict.fromkeys(TABLE_NAMES, 1)
        self._catalog = [
            (f"{_CATALOG_PRODUCTS[i % len(_CATALOG_PRODUCTS)]}-{10_000 + i}",
             Decimal(between(self.rng, 399, 12_999)) / 100)
            for i in range(500)
        ]
        self._block: Block = {}

    # -- plumbing ----------------------------------------------------------------------------
    def _add(self, table: str, row: Row) -> None:
        self._block[table].append(row)

    def _id(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def _ago(self, seconds: int) -> dt.datetime:
        return self.as_of - dt.timedelta(seconds=seconds)

    def blocks(self, customers: int, *, size: int = 10_000) -> Iterator[Block]:
        """Rows for ``customers`` customers (at least 3), ``size`` customers per block."""
        size = max(size, 3)
        for start in range(1, customers + 1, size):
            self._block = {name: [] for name in TABLE_NAMES}
            for number in range(start, min(start + size, customers + 1)):
                if number == 1:
                    self._demo_subject()
                elif number > 2:
                    email, person = self._customer(number)
                    if self.keep_emails:
                        self.emails.append(email)
                    if number == 3:
                        self._note_on_someone_elses_ticket(email, person)
            for name, rows in self._block.items():
                self.counts[name] += len(rows)
            yield self._block

    # -- an ordinary customer ---------------------------------------------------------------
    def _customer(self, number: int) -> tuple[str, Person]:
        rng = self.rng
        person = self.people.person(number)
        email = customer_email(person, number)
        phone = phone_number(person.country, rng) if rng.random() < 0.8 else None
        birth = None if rng.random() < 0.1 else (
            self.as_of.date() - dt.timedelta(days=between(rng, 18 * 365, 85 * 365)))
        if birth is not None and number % 41 == 0:
            # a few children signed up without a parent: the minors sweep finds them
            birth = self.as_of.date() - dt.timedelta(days=11 * 365 + number % 1500)
        age = between(rng, _DAY, 6 * _YEAR)
        idle = below(rng, age)
        merged_into = number - 1 if number % 97 == 0 else None
        self._add("customers", (
            number, email, None if rng.random() < 0.03 else person.full_name, phone, birth,
            self._ago(age), self._ago(idle), merged_into,
        ))
        places = [self.people.place(person.country) for _ in range(1 + (rng.random() < 0.3))]
        for place in places:
            self._add("addresses", (self._id("addresses"), number, place.line1, place.city,
                                    place.postal_code, place.country))
        orders = [self._order(number, places, age, idle) for _ in range(pick(_ORDERS, rng))]
        for _ in range(pick(_SESSIONS, rng)):
            self._session(number, idle, age)
        if rng.random() < 0.08:
            order = orders[-1] if orders else between(rng, 1, 1_000_000)
            ticket = self._ticket(number, email, person, phone or "", order,
                                  self._ago(between(rng, idle, age)))
            if rng.random() < 0.7:
                self._note(ticket, None, texts.staff_note(order, rng))
            if rng.random() < 0.3:
                self._note(ticket, number, texts.customer_note(rng))
        if rng.random() < 0.005:  # wrote in as a guest before signing up
            self._guest_ticket(email, person, self._ago(age + between(rng, 1, 30 * _DAY)))
        if rng.random() < 0.03:
            self._stranger_writes_in()
        if rng.random() < 0.3:
            subscribed = between(rng, idle, age + 1)
            self._subscribe(email, subscribed, rng.random() < 0.85)
        return email, person

    def _order(self, customer: int, places: list[Place], age: int, idle: int,
               gift: str | None = None) -> int:
        rng = self.rng
        order_id = self._id("orders")
        placed = self._ago(between(rng, idle, age + 1))
        place = places[below(rng, len(places))]
        subtotal = Decimal(0)
        for _ in range(1 + pick(_LINES, rng)):
            sku, price = self._catalog[below(rng, len(self._catalog))]
            quantity = 1 + pick(_QUANTITY, rng)
            subtotal += price * quantity
            message = gift if gift is not None else (
                texts.gift_message(self.people.guest().first, rng) if rng.random() < 0.03 else None)
            gift = None
            self._add("order_lines", (self._id("order_lines"), order_id, sku, quantity, price, message))
        total = subtotal + (_SHIPPING if subtotal < _FREE_SHIPPING_FROM else 0)
        self._add("orders", (order_id, customer, placed, place.one_line()[:300], total))
        brand = _CARD_BRANDS[pick(_BRAND_CUMULATIVE, rng)][0]
        self._add("payments", (self._id("payments"), order_id, f"{below(rng, 10_000):04d}",
                               brand, total, placed + dt.timedelta(seconds=between(rng, 5, 600))))
        return order_id

    def _session(self, customer: int, idle: int, age: int) -> None:
        rng = self.rng
        if rng.random() < 0.9:
            bits = rng.getrandbits(24)
            ip = f"{between(rng, 1, 224)}.{bits >> 16}.{(bits >> 8) & 255}.{bits & 255}"
        else:
            ip = "2a02:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(7))
        agent = self.people.user_agent() if rng.random() < 0.95 else None
        started = self._ago(idle + below(rng, min(90 * _DAY, age - idle) + 1))
        self._add("sessions", (customer, ip, agent, started))

    def _ticket(self, customer: int | None, email: str, person: Person, phone: str, order: int,
                opened: dt.datetime) -> tuple[int, dt.datetime]:
        subject, body = texts.ticket(person, phone, order, self.rng)
        return self._written(customer, email, subject, body, opened)

    def _guest_ticket(self, email: str, person: Person, opened: dt.datetime) -> tuple[int, dt.datetime]:
        phone = phone_number(person.country, self.rng)
        subject, body = texts.guest_ticket(person, phone, self.rng)
        return self._written(None, email, subject, body, opened)

    def _stranger_writes_in(self) -> None:
        guest = self.people.guest()
        email = guest_email(guest, self._next["support_tickets"])
        self.guest_emails.append(email)
        ticket = self._guest_ticket(email, guest, self._ago(below(self.rng, 4 * _YEAR)))
        if self.rng.random() < 0.5:
            self._note(ticket, None, texts.staff_note(ticket[0], self.rng))

    def _note(self, ticket: tuple[int, dt.datetime], author: int | None, note: str) -> None:
        written = min(ticket[1] + dt.timedelta(seconds=between(self.rng, 600, 3 * _DAY)), self.as_of)
        self._add("ticket_notes", (self._id("ticket_notes"), ticket[0], author, note, written))

    def _subscribe(self, email: str, ago: int, confirmed: bool) -> None:
        subscribed = self._ago(ago)
        confirmed_at = subscribed + dt.timedelta(seconds=between(self.rng, 60, _DAY)) if confirmed else None
        self._add("newsletter_subscribers",
                  (self._id("newsletter_subscribers"), email, subscribed,
                   min(confirmed_at, self.as_of) if confirmed_at else None))

    # -- the demo subject: one person with data of every kind ----------------------------------
    def _demo_subject(self) -> None:
        jordan = Person("Jordan", "Avery", "US")
        home = Place("742 Evergreen Terrace", "Springfield", "62704", "US")
        work = Place("100 Market Street, Suite 300", "San Francisco", "94105", "US")
        if self.keep_emails:
            self.emails.extend((DEMO_EMAIL, DEMO_OLD_EMAIL))
        evening = 5 * 3600 + 1234  # times of day, so the demo's rows do not all fall on midnight
        self._add("customers", (1, DEMO_EMAIL, jordan.full_name, DEMO_PHONE, dt.date(1988, 4, 12),
                                self._ago(4 * _YEAR - evening), self._ago(2 * _DAY - evening), None))
        self._add("customers", (2, DEMO_OLD_EMAIL, "J. Avery", None, None,
                                self._ago(5 * _YEAR - evening), self._ago(4 * _YEAR + 30 * _DAY), 1))
        for customer, place in ((1, home), (1, work), (2, home)):
            self._add("addresses", (self._id("addresses"), customer, place.line1, place.city,
                                    place.postal_code, place.country))
        self._order(1, [home], 2 * _YEAR, 30 * _DAY)
        self._order(1, [work], 300 * _DAY, 30 * _DAY, gift="Happy birthday, Sam!")
        damaged = self._order(1, [home, work], 20 * _DAY, 8 * _DAY)
        self._order(2, [home], 5 * _YEAR, 4 * _YEAR + 60 * _DAY)
        for ago in (2 * _DAY, 9 * _DAY, 40 * _DAY):
            ip = f"203.0.113.{ago // _DAY}"  # TEST-NET-3: never a real visitor's address
            self._add("sessions", (1, ip, self.people.user_agent(), self._ago(ago - evening)))
        self._add("sessions", (2, "198.51.100.7", None, self._ago(4 * _YEAR + 30 * _DAY)))
        ticket = self._written(1, DEMO_EMAIL, "Item arrived damaged",
                               f"Hello, the mug in order #{damaged} arrived with its handle broken off. "
                               "Photos to follow. You can reach me on +1 415 555 0134. Jordan Avery",
                               self._ago(6 * _DAY - evening))
        self._note(ticket, 1, "Photos attached; the handle came off in the box.")
        self._note(ticket, None, texts.staff_note(damaged, self.rng))
        # Before signing up, Jordan asked a question as a guest, with the same email.
        self._written(None, DEMO_EMAIL, "Question before ordering",
                      "Hello, do you gift-wrap, and can I add a card with a message? Jordan",
                      self._ago(4 * _YEAR + 20 * _DAY))
        self._subscribe(DEMO_EMAIL, 3 * _YEAR - evening, confirmed=True)

    def _note_on_someone_elses_ticket(self, email: str, person: Person) -> None:
        """Customer 3 sent Jordan a gift and asked about it; Jordan wrote on that ticket."""
        ticket = self._written(3, email, "Gift order for a friend",
                               f"I sent a gift to a friend and it arrived broken. Can you help? {person.first}",
                               self._ago(20 * _DAY - 4321))
        self._note(ticket, 1, "I am the friend who received it: the mug was in pieces.")
        self._note(ticket, None, "Replacement sent to the recipient.")

    def _written(self, customer: int | None, email: str, subject: str, body: str,
                 opened: dt.datetime) -> tuple[int, dt.datetime]:
        ticket_id = self._id("support_tickets")
        self._add("support_tickets", (ticket_id, customer, email, subject, body, opened))
        return ticket_id, opened
