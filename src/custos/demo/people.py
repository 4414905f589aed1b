"""Fake people for the sample shop: names, addresses, phones and browsers from Faker.

Two sources with one interface. ``FakerPeople`` asks Faker for every person, which reads
best and suits a few thousand customers. ``PooledPeople`` asks Faker once for pools of
names, streets and cities and combines them by index arithmetic, which builds a million
customers in minutes; a customer's name there depends only on the seed and the
customer's number, so any customer's email can be recomputed without the database.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from faker import Faker

from custos.demo.draw import below, between

#: (Faker locale, ISO country, weight in percent): most customers in the US, some in Europe.
LOCALES: tuple[tuple[str, str, int], ...] = (
    ("en_US", "US", 70),
    ("en_GB", "GB", 10),
    ("de_DE", "DE", 10),
    ("fr_FR", "FR", 10),
)
_COUNTRY_BY_PERCENT = [country for _locale, country, weight in LOCALES for _ in range(weight)]
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved by RFC 2606
_US_AREA_CODES = (206, 212, 305, 312, 404, 415, 503, 512, 617, 646, 702, 713, 720, 858, 919)
_TRANSLITERATION = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l"})


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    country: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True, slots=True)
class Place:
    line1: str
    city: str
    postal_code: str
    country: str

    def one_line(self) -> str:
        """As written on a parcel: ``10 Main St, Springfield 62704, US``."""
        if self.country in ("US", "GB"):
            return f"{self.line1}, {self.city} {self.postal_code}, {self.country}"
        return f"{self.line1}, {self.postal_code} {self.city}, {self.country}"


class People(Protocol):
    """Where the shop's fake people come from."""

    def person(self, number: int) -> Person:
        """Customer ``number`` (numbers start at 1)."""
        ...

    def guest(self) -> Person:
        """Someone who writes to support without an account."""
        ...

    def place(self, country: str) -> Place:
        ...

    def user_agent(self) -> str:
        ...


@functools.lru_cache(maxsize=65_536)
def email_local_part(text: str) -> str:
    """``Zoë Le Gall`` → ``zoelegall``: lower-case ASCII letters only."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATION))
    letters = "".join(c for c in folded if "a" <= c <= "z")
    return letters or "customer"


def customer_email(person: Person, number: int) -> str:
    """Unique by construction: the customer's number is part of it."""
    domain = _EMAIL_DOMAINS[number % len(_EMAIL_DOMAINS)]
    return f"{email_local_part(person.first)}.{email_local_part(person.last)}.{number}@{domain}"


def guest_email(person: Person, number: int) -> str:
    """Never equal to a customer's email: the shape differs (an underscore, no dots)."""
    return f"{email_local_part(person.first)}_{email_local_part(person.last)}{number}@example.net"


def phone_number(country: str, rng: random.Random) -> str:
    """A possible mobile or landline number of ``country`` in E.164."""
    if country == "GB":
        return f"+447{between(rng, 100_000_000, 1_000_000_000)}"
    if country == "DE":
        return f"+49151{between(rng, 10_000_000, 100_000_000)}"
    if country == "FR":
        return f"+336{between(rng, 10_000_000, 100_000_000)}"
    area = _US_AREA_CODES[below(rng, len(_US_AREA_CODES))]
    return f"+1{area}{between(rng, 200, 1000)}{below(rng, 10_000):04d}"


def _fakers(seed: int) -> dict[str, Faker]:
    fakers: dict[str, Faker] = {}
    for offset, (locale, country, _weight) in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed * 31 + offset)  # per instance: the global Faker seed is left alone
        fakers[country] = fake
    return fakers


def _place(fake: Faker, country: str) -> Place:
    return Place(str(fake.street_address()).replace("\n", ", "), str(fake.city()),
                 str(fake.postcode()), country)


class FakerPeople:
    """Asks Faker for every person and every address."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"people-{seed}")
        self._fakers = _fakers(seed)

    def _country(self) -> str:
        return _COUNTRY_BY_PERCENT[below(self._rng, 100)]

    def person(self, number: int) -> Person:
        country = self._country()
        fake = self._fakers[country]
        return Person(str(fake.first_name()), str(fake.last_name()), country)

    def guest(self) -> Person:
        return self.person(0)

    def place(self, country: str) -> Place:
        return _place(self._fakers[country], country)

    def user_agent(self) -> str:
        return str(self._fakers["US"].user_agent())


class PooledPeople:
    """Combines pools drawn from Faker once; cheap enough for millions of customers."""

    def __init__(self, seed: int, *, names: int = 600, places: int = 4000, agents: int = 300) -> None:
        self._seed = seed
        self._rng = random.Random(f"pooled-people-{seed}")
        self._first: dict[str, list[str]] = {}
        self._last: dict[str, list[str]] = {}
        self._places: dict[str, list[Place]] = {}
        fakers = _fakers(seed)
        for country, fake in fakers.items():
            self._first[country] = [str(fake.first_name()) for _ in range(names)]
            self._last[country] = [str(fake.last_name()) for _ in range(names * 2)]
            self._places[country] = [_place(fake, country) for _ in range(places)]
        self._agents = [str(fakers["US"].user_agent()) for _ in range(agents)]

    def _mix(self, number: int) -> int:
        # splitmix64: spreads consecutive numbers over the pools, the same way on every run
        z = (number * 0x9E3779B97F4A7C15 + self._seed * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def person(self, number: int) -> Person:
        mixed = self._mix(number)
        country = _COUNTRY_BY_PERCENT[mixed % 100]
        first, last = self._first[country], self._last[country]
        return Person(first[(mixed >> 8) % len(first)], last[(mixed >> 24) % len(last)], country)

    def guest(self) -> Person:
        return self.person(-1 - below(self._rng, 1 << 30))

    def place(self, country: str) -> Place:
        pool = self._places[country]
        return pool[below(self._rng, len(pool))]

    def user_agent(self) -> str:
        return self._agents[below(self._rng, len(self._agents))]
