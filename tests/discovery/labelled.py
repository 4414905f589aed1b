"""A labelled set of generated tables whose columns carry known categories, with the traps a
classifier meets in real schemas: order numbers that look like phone numbers, SKUs that pass
Luhn, free text with an email inside, a column named ``email`` holding something else, empty
and all-NULL columns, values with stray spaces and capitals, names and addresses of many
countries, neutral column names (``c7``) where only the values can tell.

``tables(seed)`` is deterministic for a seed; the benchmark and the accuracy test share it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from faker import Faker

from custos.discovery import detectors as d
from custos.discovery import names as n
from custos.stores.base import ColumnKind

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL", "sv_SE", "ja_JP"]


@dataclass
class Column:
    name: str
    kind: ColumnKind
    values: list[Any]
    label: str | None


@dataclass
class Table:
    name: str
    columns: list[Column]


def _named(rng: random.Random, suggestive: list[str]) -> str:
    """A telling name most of the time; a neutral one (``c7``) sometimes, so values must decide."""
    return rng.choice(suggestive) if rng.random() < 0.75 else f"{rng.choice(['c', 'col', 'attr', 'f'])}{rng.randint(1, 40)}"


def _messy(rng: random.Random, value: str) -> str:
    roll = rng.random()
    if roll < 0.1:
        return f" {value} "
    if roll < 0.2:
        return value.upper()
    return value


def _with_nulls(rng: random.Random, values: list[Any], share: float) -> list[Any]:
    return [None if rng.random() < share else v for v in values]


def _password_hash(rng: random.Random) -> str:
    alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    salt = "".join(rng.choice(alphabet) for _ in range(53))
    return rng.choice([f"$2b$12${salt}", f"$argon2id$v=19$m=65536,t=3,p=4${salt[:22]}${salt[22:]}",
                       f"pbkdf2_sha256$600000${salt[:12]}${salt[12:]}="])


def people(rng: random.Random, fake: Faker, rows: int) -> Table:
    nulls = rng.choice([0.0, 0.05, 0.3])
    today = date(2026, 12, 1)
    cols = [
        Column("id", ColumnKind.INTEGER, list(range(1, rows + 1)), None),
        Column(_named(rng, ["email", "eml", "email_address", "contact_email", "correo", "mail"]), ColumnKind.STRING,
               [_messy(rng, fake.email()) for _ in range(rows)], d.EMAIL),
        Column(_named(rng, ["phone", "tel", "mobile", "telefon", "phone_number", "cell"]), ColumnKind.STRING,
               [fake.phone_number() for _ in range(rows)], d.PHONE),
        Column(_named(rng, ["full_name", "name", "customer_name", "nombre", "nom_complet"]), ColumnKind.STRING,
               [fake.name() for _ in range(rows)], d.NAME),
        Column(rng.choice(["first_name", "vorname", "prenom", "given_name", "fname"]), ColumnKind.STRING,
               [fake.first_name() for _ in range(rows)], d.NAME),
        Column(rng.choice(["last_name", "nachname", "surname", "apellido", "lname"]), ColumnKind.STRING,
               [fake.last_name() for _ in range(rows)], d.NAME),
        Column(rng.choice(["dob", "birth_date", "birthday", "geburtsdatum", "date_of_birth"]), ColumnKind.DATE,
               [fake.date_of_birth(minimum_age=16, maximum_age=90) for _ in range(rows)], d.BIRTH),
        Column(_named(rng, ["street", "addr1", "address_line1", "line1", "strasse"]), ColumnKind.STRING,
               [fake.street_address() for _ in range(rows)], d.STREET),
        Column(rng.choice(["city", "town", "ville", "ciudad", "ort"]), ColumnKind.STRING,
               [fake.city() for _ in range(rows)], d.CITY),
        Column(rng.choice(["postal_code", "zip", "plz", "postcode", "zipcode"]), ColumnKind.STRING,
               [fake.postcode() for _ in range(rows)], d.POSTAL),
        Column(rng.choice(["gender", "sex"]), ColumnKind.STRING,
               [rng.choice(["f", "m", "x", "female", "male"]) for _ in range(rows)], n.GENDER),
        Column(_named(rng, ["ip", "ip_addr", "last_ip", "remote_addr"]), ColumnKind.STRING,
               [fake.ipv4() if rng.random() < 0.8 else fake.ipv6() for _ in range(rows)], d.IP),
        Column(_named(rng, ["user_agent", "ua", "browser"]), ColumnKind.STRING,
               [fake.user_agent() for _ in range(rows)], d.DEVICE),
        Column(rng.choice(["signup_note", "notes", "comment", "message"]), ColumnKind.STRING,
               [f"{fake.sentence(nb_words=12)} Reach me at {fake.email()}." if rng.random() < 0.3
                else fake.sentence(nb_words=14) for _ in range(rows)], d.TEXT),
        Column(rng.choice(["created_at", "updated_at", "signed_up"]), ColumnKind.DATETIME,
               [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 10**6)) for _ in range(rows)],
               None),
        Column(rng.choice(["joined_on", "first_order_on"]), ColumnKind.DATE,
               [today - timedelta(days=rng.randint(0, 2000)) for _ in range(rows)], None),
        Column("marketing_opt_in", ColumnKind.BOOLEAN, [rng.random() < 0.5 for _ in range(rows)], None),
        Column(rng.choice(["age", "alter", "edad"]), ColumnKind.INTEGER, [rng.randint(16, 90) for _ in range(rows)],
               n.AGE),
        Column(_named(rng, ["password_hash", "pwd", "passwd"]), ColumnKind.STRING,
               [_password_hash(rng) for _ in range(rows)], d.PASSWORD),
        Column(_named(rng, ["linkedin", "social_url", "profile_url"]), ColumnKind.STRING,
               [f"https://www.{rng.choice(['linkedin.com/in', 'github.com', 'x.com', 'instagram.com'])}/"
                f"{fake.user_name()}" for _ in range(rows)], d.SOCIAL),
        Column(_named(rng, ["device_mac", "mac_address", "hw_addr"]), ColumnKind.STRING,
               [fake.mac_address() for _ in range(rows)], d.DEVICE_ID),
    ]
    for column in cols[1:]:
        if column.label is not None:
            column.values = _with_nulls(rng, column.values, nulls)
    return Table(f"people_{fake.locales[0] if hasattr(fake, 'locales') else 'x'}", cols)


def finance(rng: random.Random, rows: int) -> Table:
    us = Faker("en_US")
    us.seed_instance(rng.randint(0, 10**9))
    eu = Faker(rng.choice(["de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"]))
    eu.seed_instance(rng.randint(0, 10**9))
    return Table("payment_profiles", [
        Column("profile_id", ColumnKind.STRING, [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(rows)], None),
        Column(_named(rng, ["card_number", "cc", "pan", "creditcard"]), ColumnKind.STRING,
               [us.credit_card_number() for _ in range(rows)], d.CARD),
        Column(_named(rng, ["iban", "bank_account", "account_iban"]), ColumnKind.STRING,
               [eu.iban() for _ in range(rows)], d.BANK),
        Column(_named(rng, ["ssn", "social_security", "tax_id"]), ColumnKind.STRING,
               [us.ssn() for _ in range(rows)], d.NATIONAL_ID),
        Column("card_last4", ColumnKind.STRING, [f"{rng.randint(0, 9999):04d}" for _ in range(rows)], d.CARD),
        Column("card_brand", ColumnKind.STRING, [rng.choice(["Visa", "Mastercard", "Amex"]) for _ in range(rows)],
               None),
        Column("amount", ColumnKind.DECIMAL, [round(rng.uniform(1, 900), 2) for _ in range(rows)], None),
        Column("currency", ColumnKind.STRING, [rng.choice(["EUR", "USD", "GBP"]) for _ in range(rows)], None),
    ])


def national(rng: random.Random, rows: int) -> Table:
    es, it, fi = Faker("es_ES"), Faker("it_IT"), Faker("fi_FI")
    for fake in (es, it, fi):
        fake.seed_instance(rng.randint(0, 10**9))
    return Table("staff_records", [
        Column("id", ColumnKind.INTEGER, list(range(rows)), None),
        Column(_named(rng, ["dni", "documento", "nif"]), ColumnKind.STRING, [es.nif() for _ in range(rows)],
               d.NATIONAL_ID),
        Column(_named(rng, ["codice_fiscale", "cf_code"]), ColumnKind.STRING, [it.ssn() for _ in range(rows)],
               d.NATIONAL_ID),
        Column(_named(rng, ["hetu", "henkilotunnus"]), ColumnKind.STRING, [fi.ssn() for _ in range(rows)],
               d.NATIONAL_ID),
        Column(_named(rng, ["home_location", "latlng", "position"]), ColumnKind.STRING,
               [f"{rng.uniform(-60, 70):.5f},{rng.uniform(-170, 170):.5f}" for _ in range(rows)], d.PRECISE),
        Column("latitude", ColumnKind.FLOAT, [round(rng.uniform(-60, 70), 6) for _ in range(rows)], d.PRECISE),
        Column("job_grade", ColumnKind.STRING, [rng.choice(["A1", "B2", "C3"]) for _ in range(rows)], None),
    ])


def products(rng: random.Random, fake: Faker, rows: int) -> Table:
    visa = Faker("en_US")
    visa.seed_instance(rng.randint(0, 10**9))
    return Table("products", [
        Column("id", ColumnKind.INTEGER, list(range(rows)), None),
        # SKUs that pass the Luhn check and start like a card
        Column("sku", ColumnKind.STRING, [visa.credit_card_number("visa16") for _ in range(rows)], None),
        Column("name", ColumnKind.STRING, [fake.catch_phrase() for _ in range(rows)], None),
        Column("description", ColumnKind.STRING, [fake.paragraph(nb_sentences=3) for _ in range(rows)], None),
        Column("country", ColumnKind.STRING, [fake.country_code() for _ in range(rows)], None),
        Column("price", ColumnKind.DECIMAL, [round(rng.uniform(1, 500), 2) for _ in range(rows)], None),
        Column("weight_grams", ColumnKind.INTEGER, [rng.randint(10, 5000) for _ in range(rows)], None),
        Column("released_on", ColumnKind.DATE,
               [date(1960, 1, 1) + timedelta(days=rng.randint(0, 60 * 365)) for _ in range(rows)], None),
    ])


def orders(rng: random.Random, rows: int) -> Table:
    return Table("orders", [
        Column("id", ColumnKind.INTEGER, list(range(rows)), None),
        # ten digits with a valid area code: a phone number only by shape
        Column(rng.choice(["order_no", "order_number", "reference"]), ColumnKind.STRING,
               [f"{rng.choice([212, 415, 646, 303])}{rng.randint(2000000, 9999999)}" for _ in range(rows)], None),
        Column("status", ColumnKind.STRING, [rng.choice(["placed", "shipped", "returned"]) for _ in range(rows)],
               None),
        Column("state", ColumnKind.STRING, [rng.choice(["open", "closed"]) for _ in range(rows)], None),
        # a column called email that holds whether a receipt was mailed
        Column("email", ColumnKind.STRING, [rng.choice(["yes", "no", "bounced"]) for _ in range(rows)], None),
        # an all-NULL column with a personal name: nothing to classify
        Column("gift_recipient_email", ColumnKind.STRING, [None] * rows, None),
        Column("eta", ColumnKind.INTEGER, [rng.randint(5, 120) for _ in range(rows)], None),
        Column("product_url", ColumnKind.STRING,
               [f"https://shop.example/p/{rng.randint(1, 10**6)}" for _ in range(rows)], None),
        Column("tracking_code", ColumnKind.STRING,
               [f"1Z{rng.randint(10**15, 10**16 - 1)}" for _ in range(rows)], None),
        Column("total", ColumnKind.DECIMAL, [round(rng.uniform(5, 900), 2) for _ in range(rows)], None),
        Column("placed_at", ColumnKind.DATETIME,
               [datetime(2025, 1, 1, 10, 0, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 10**5))
                for _ in range(rows)], None),
    ])


def tables(seed: int = 7, rows: int = 300, rounds: int = 3) -> list[Table]:
    rng = random.Random(seed)
    out: list[Table] = []
    for _ in range(rounds):
        for locale in rng.sample(LOCALES, 4):
            fake = Faker(locale)
            fake.seed_instance(rng.randint(0, 10**9))
            out.append(people(rng, fake, rows))
        fake = Faker(rng.choice(LOCALES))
        fake.seed_instance(rng.randint(0, 10**9))
        out.extend([finance(rng, rows), national(rng, rows), products(rng, fake, rows), orders(rng, rows)])
    return out


@dataclass
class Scores:
    per_category: dict[str, tuple[float, float, float, int]]  # precision, recall, F1, support
    macro_f1: float
    accuracy: float
    wrong: list[str]


def score(truth: list[str | None], predicted: list[str | None], labels: list[str]) -> Scores:
    """Per-category precision and recall over columns; macro F1 over the categories plus "none"."""
    keys = [*sorted(set(labels)), "none"]
    per: dict[str, tuple[float, float, float, int]] = {}
    for key in keys:
        t = ["none" if x is None else x for x in truth]
        p = ["none" if x is None else x for x in predicted]
        tp = sum(1 for a, b in zip(t, p, strict=True) if a == key and b == key)
        fp = sum(1 for a, b in zip(t, p, strict=True) if a != key and b == key)
        fn = sum(1 for a, b in zip(t, p, strict=True) if a == key and b != key)
        support = sum(1 for a in t if a == key)
        if support == 0 and fp == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[key] = (precision, recall, f1, support)
    macro = sum(v[2] for v in per.values()) / len(per)
    accuracy = sum(1 for a, b in zip(truth, predicted, strict=True) if a == b) / len(truth)
    wrong = [f"{a} -> {b}" for a, b in zip(truth, predicted, strict=True) if a != b]
    return Scores(per, macro, accuracy, wrong)


def predict(table: Table, region: str = "US") -> list[str | None]:
    """The classifier's category for each column of a table, as a scan decides them."""
    from custos.discovery.classify import classify, settle

    today = date(2026, 12, 1)
    verdicts = [classify(c.name, c.kind, [v for v in c.values if v is not None and v != ""], region=region,
                         today=today) for c in table.columns]
    return [v.category for v in settle(verdicts)]


def evaluate(data: list[Table]) -> Scores:
    truth: list[str | None] = []
    predicted: list[str | None] = []
    where: list[str] = []
    for table in data:
        truth.extend(c.label for c in table.columns)
        predicted.extend(predict(table))
        where.extend(f"{table.name}.{c.name}" for c in table.columns)
    scores = score(truth, predicted, [t for t in truth if t is not None])
    scores.wrong = [f"{w}: {t} -> {p}" for w, t, p in zip(where, truth, predicted, strict=True) if t != p]
    return scores
