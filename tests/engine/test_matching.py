"""Identities as companies store them: found whatever their case, spaces or phone format, and
never confused with a look-alike; erasure masks every value even when replacements collide."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from custos.datamap import parse_datamap
from custos.engine import Engine, Journal, Subject
from custos.errors import CustosError, DataMapErrors, IdentityError
from custos.stores.sql import normalize_url
from tests.conftest import Databases

SECRET = b"matching-secret"


def make(url: str, rows: list[dict[str, Any]], *, phone_type: Any = None, email_match: str | None = None,
         extra: dict[str, Any] | None = None, journal: Path | None = None) -> Engine:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    table = sa.Table("owners", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("email", sa.String(120)), sa.Column("phone", phone_type or sa.String(40)),
                     sa.Column("city", sa.String(40)))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    email: dict[str, Any] = {"name": "email", "identity": "email", "categories": ["user.contact.email"],
                             "erase": "mask_null"}
    if email_match:
        email["match"] = email_match
    document = {
        "organization": {"name": "Clinic", "privacy_contact": "p@clinic.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["clinic"]}],
        "datasets": [{"key": "clinic", "collections": [{"name": "owners", "fields": [
            {"name": "id", "primary_key": True},
            email,
            {"name": "phone", "identity": "phone", "categories": ["user.contact.phone_number"], "erase": "mask_null"},
            {"name": "city", "categories": ["user.contact.address.city"]},
        ]}]}],
        **(extra or {}),
    }
    return Engine(parse_datamap(yaml.safe_dump(document)), secret_key=SECRET, journal=journal)


def ids(engine: Engine, **identity: str) -> set[int]:
    rows = engine.access(Subject.of(**identity)).to_dict()["datasets"].get("clinic", {}).get("owners", [])
    return {r["id"] for r in rows}


def test_an_email_stored_with_capitals_and_spaces_is_found(databases: Databases, tmp_path: Path) -> None:
    """The held-out case: the row says mateo.185@Example.COM, the request mateo.185@example.com."""
    engine = make(databases.new(), journal=tmp_path / "j.db", rows=[
        {"id": 1, "email": "mateo.185@Example.COM"}, {"id": 2, "email": "  mateo.185@example.com "},
        {"id": 3, "email": "mateo.186@example.com"}, {"id": 4, "email": "mаteo.185@example.com"},  # Cyrillic а
    ])
    try:
        assert ids(engine, email="mateo.185@example.com") == {1, 2}
        result = engine.erase(Subject.of(email="Mateo.185@EXAMPLE.com"))
        assert result.status == "completed" and result.residual is not None and result.residual.ok
        assert ids(engine, email="mateo.186@example.com") == {3}  # nobody else was touched
    finally:
        engine.close()


PHONE_FORMS = ["(415) 555-0100", "415.555.0100", "+1 415 555 0100", "4155550100", "+14155550100",
               "1-415-555-0100", "415-555-0100", "+1 (415) 555-0100", "001 415 555 0100"]


@pytest.mark.parametrize("stored", PHONE_FORMS)
def test_each_phone_format_is_the_same_number(databases: Databases, stored: str) -> None:
    engine = make(databases.new(), [{"id": 1, "phone": stored}, {"id": 2, "phone": "415 555 0199"},
                                    {"id": 3, "phone": "+44 415 555 0100"}])
    try:
        assert ids(engine, phone="+1 415-555-0100") == {1}
        assert ids(engine, phone="(415) 555 0100") == {1}
    finally:
        engine.close()


def test_a_phone_stored_as_a_number_column(databases: Databases) -> None:
    engine = make(databases.new(), [{"id": 1, "phone": 4155550100}, {"id": 2, "phone": 14155550100}],
                  phone_type=sa.BigInteger)
    try:
        assert ids(engine, phone="+14155550100") == {1, 2}
    finally:
        engine.close()


def test_an_exact_rule_is_exact_even_on_a_case_insensitive_collation(databases: Databases) -> None:
    """MariaDB compares text case- and accent-insensitively by default; an exact rule must not."""
    engine = make(databases.new(), [{"id": 1, "email": "Ann@x.io"}, {"id": 2, "email": "ann@x.io"},
                                    {"id": 3, "email": "ann@x.io "}, {"id": 4, "email": "änn@x.io"}],
                  email_match="exact")
    try:
        assert ids(engine, email="ann@x.io") == {2}
    finally:
        engine.close()


def test_a_rule_of_your_own(databases: Databases) -> None:
    url = databases.new()
    engine = make(url, [{"id": 1, "email": "a-b@x.io"}, {"id": 2, "email": "AB@X.IO"}, {"id": 3, "email": "a.b@x.io"}],
                  email_match="no_dashes", extra={"match_rules": [{"key": "no_dashes", "remove": "-", "casefold": True}]})
    try:
        assert ids(engine, email="ab@x.io") == {1, 2}
    finally:
        engine.close()


def test_a_rule_of_your_own_cannot_remove_letters_or_quotes() -> None:
    document = {"organization": {"name": "C", "privacy_contact": "p@c.test", "jurisdictions": ["gdpr"]},
                "systems": [{"key": "db", "url": "sqlite://", "datasets": ["d"]}],
                "datasets": [{"key": "d", "collections": [{"name": "t", "fields": [
                    {"name": "email", "identity": "email", "match": "mine"}]}]}],
                "match_rules": [{"key": "mine", "remove": "a'"}]}
    with pytest.raises(DataMapErrors, match="remove may name separators only"):
        parse_datamap(yaml.safe_dump(document))
    document["match_rules"] = []
    with pytest.raises(DataMapErrors, match="unknown match rule 'mine'"):
        parse_datamap(yaml.safe_dump(document))


HOSTILE = ["x' OR '1'='1@x.io", "a@x.io'); DROP TABLE owners; --", "\u202eoi.x@a", "a" * 300 + "@x.io"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_identity_values_match_nobody(databases: Databases, value: str) -> None:
    engine = make(databases.new(), [{"id": 1, "email": "a@x.io"}])
    try:
        try:
            assert ids(engine, email=value) == set()
        except IdentityError as exc:  # a clear refusal is as good as no match
            assert "email" in str(exc)
        assert ids(engine, email="a@x.io") == {1}  # the table is still there
    finally:
        engine.close()


def test_a_nul_byte_or_huge_value_is_a_clear_error() -> None:
    with pytest.raises(CustosError):
        Subject.of(email="a\x00@x.io" + "b" * 400)


def test_mask_random_replacements_never_pass_for_originals(databases: Databases, tmp_path: Path) -> None:
    """Four random characters over four-digit originals collide often; every original must go,
    and the residual check must judge each row by what was written into it."""
    url = databases.new()
    engine_sql = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    payments = sa.Table("payments", meta, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String(60)), sa.Column("card_last4", sa.String(4)))
    meta.create_all(engine_sql)
    draw = random.Random(7)
    people = [f"p{i}@x.io" for i in range(600)]
    rows = [{"id": i + 1, "email": people[i // 3], "card_last4": f"{draw.randrange(300):04d}"}
            for i in range(len(people) * 3)]
    with engine_sql.begin() as conn:
        conn.execute(payments.insert(), rows)
    document = {
        "organization": {"name": "Shop", "privacy_contact": "p@shop.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["shop"]}],
        "datasets": [{"key": "shop", "collections": [{"name": "payments", "fields": [
            {"name": "id", "primary_key": True},
            {"name": "email", "identity": "email", "categories": ["user.contact.email"], "erase": "keep"},
            {"name": "card_last4", "categories": ["user.financial.bank_account"], "erase": "mask_random"}]}]}],
    }
    journal = Journal(tmp_path / "journal.db")
    engine = Engine(parse_datamap(yaml.safe_dump(document)), secret_key=SECRET, journal=journal)
    try:
        batch = engine.erase([Subject.of(email=p) for p in people[:400]])
        assert batch.status == "completed"
        singles = [engine.erase(Subject.of(email=p)) for p in people[400:440]]
        assert all(r.status == "completed" for r in singles)
        with engine_sql.connect() as conn:
            after = {r.id: r.card_last4 for r in conn.execute(sa.select(payments))}
        erased = [r for r in rows if r["email"] in set(people[:440])]
        assert [r["id"] for r in erased if after[r["id"]] == r["card_last4"]] == []
        untouched = [r for r in rows if r["email"] not in set(people[:440])]
        assert all(after[r["id"]] == r["card_last4"] for r in untouched)
        again = engine.erase([Subject.of(email=p) for p in people[:440]])
        assert again.rows_changed == 0 and again.residual is not None and again.residual.ok
    finally:
        engine.close()
        journal.close()
        engine_sql.dispose()


def test_an_exact_rule_that_finds_nobody_says_a_looser_match_would(databases: Databases, tmp_path: Path) -> None:
    """Nothing found must not be a bare "nothing": the result says where a case-insensitive
    match finds rows, and an erasure cannot report its residual check as ok."""
    engine = make(databases.new(), [{"id": 1, "email": "Mateo.185@Example.COM", "city": "Lyon"}],
                  email_match="exact", journal=tmp_path / "j.db")
    try:
        access = engine.access(Subject.of(email="mateo.185@example.com"))
        assert access.row_count == 0
        assert "clinic.owners (1 row(s))" in access.notes[0] and "match: trim_casefold" in access.notes[0]
        result = engine.erase(Subject.of(email="mateo.185@example.com"))
        assert result.status == "incomplete"
        assert result.residual is not None and not result.residual.ok
        assert result.residual.found_by_looser_match == {"clinic.owners": 1}
    finally:
        engine.close()


def test_default_rules_ask_nothing_twice(tmp_path: Path) -> None:
    """With the default rules the looser look costs no statement."""
    engine = make(f"sqlite:///{tmp_path / 'd.db'}", [{"id": 1, "email": "a@x.io"}])
    try:
        reach = engine.find(Subject.of(email="nobody@x.io"))
        assert engine.looser(Subject.of(email="nobody@x.io"), reach) == {}
    finally:
        engine.close()


def test_an_identity_the_map_does_not_declare_is_refused(tmp_path: Path) -> None:
    engine = make(f"sqlite:///{tmp_path / 'd.db'}", [{"id": 1, "email": "a@x.io"}])
    try:
        with pytest.raises(IdentityError, match="declares no identity nosuch; its identities: email, phone"):
            engine.access(Subject.of(nosuch="1"))
    finally:
        engine.close()


def test_a_corrected_email_stays_findable(databases: Databases) -> None:
    engine = make(databases.new(), [{"id": 1, "email": "old@x.io", "phone": "415 555 0100"}])
    try:
        engine.correct(Subject.of(email="old@x.io"), {"clinic.owners.email": "  Moved.Person@Example.com",
                                                      "clinic.owners.phone": "(415) 555-0199"})
        assert ids(engine, email="moved.person@example.com") == {1}
        assert ids(engine, phone="+14155550199") == {1}
        rows = engine.access(Subject.of(email="moved.person@example.com")).to_dict()["datasets"]["clinic"]["owners"]
        assert rows[0]["email"] == "moved.person@example.com" and rows[0]["phone"] == "+14155550199"
    finally:
        engine.close()


def test_correcting_a_field_kept_by_an_exception_needs_confirmation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    engine_sql = sa.create_engine(url)
    with engine_sql.begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, email TEXT, total NUMERIC)"))
        conn.execute(sa.text("INSERT INTO invoices VALUES (1, 'a@x.io', 120)"))
    engine_sql.dispose()
    document = {
        "organization": {"name": "Clinic", "privacy_contact": "p@clinic.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["clinic"]}],
        "exceptions": [{"key": "tax", "basis": "legal_obligation", "gdpr": "17(3)(b)"}],
        "datasets": [{"key": "clinic", "collections": [{"name": "invoices", "fields": [
            {"name": "id", "primary_key": True},
            {"name": "email", "identity": "email", "categories": ["user.contact.email"]},
            {"name": "total", "categories": ["user.financial"], "keep_for": "tax"}]}]}],
    }
    engine = Engine(parse_datamap(yaml.safe_dump(document)), secret_key=SECRET)
    try:
        with pytest.raises(CustosError, match="kept under exception 'tax'.*confirm"):
            engine.correct(Subject.of(email="a@x.io"), {"clinic.invoices.total": "0"})
        result = engine.correct(Subject.of(email="a@x.io"), {"clinic.invoices.total": "0"}, confirm_kept=True)
        assert result.collections[0].rows_changed == 1
        assert result.collections[0].fields_kept[0].exception == "tax"
    finally:
        engine.close()


def test_validate_samples_identity_columns_and_names_the_index(databases: Databases) -> None:
    engine = make(databases.new(), [
        {"id": 1, "email": "Ann@x.io", "phone": "not a number"}, {"id": 2, "email": "a@x.io; b@x.io", "phone": "4155550100"},
        {"id": 3, "email": "c@x.io", "phone": "+1 415 555 0101"}, {"id": 4, "email": "d@x.io\t", "phone": None},
    ], email_match="exact")
    try:
        warnings, plans = engine.identity_report()
        text = "\n".join(warnings)
        assert "clinic.owners.email (match: exact): 1 of 4 sampled value(s) (25%): capital letters" in text
        assert "several values in one cell" in text and "tabs, line breaks" in text
        assert "clinic.owners.phone (match: phone): 1 of 3 sampled value(s) (33%): does not read as a phone" in text
        assert all(":" in w.split(" ")[0] for w in warnings)  # each names the file and line
        phone = next(p for p in plans if p.field == "phone")
        assert not phone.uses_index and phone.advice is not None
        if engine.store("db").dialect != "mysql":  # type: ignore[attr-defined]
            store = engine.store("db")
            with store.engine.begin() as conn:  # type: ignore[attr-defined]
                conn.exec_driver_sql(phone.advice)
            store._columns.clear()  # type: ignore[attr-defined]
            store._tables.clear()  # type: ignore[attr-defined]
            assert store.lookup_plan("owners", "phone", engine.datamap.rules.get("phone")).uses_index  # type: ignore[attr-defined]
    finally:
        engine.close()


@pytest.mark.parametrize("store_kind", ["postgresql", "mysql"], indirect=False)
def test_references_between_schema_qualified_tables(store_kind: str, tmp_path: Path) -> None:
    """``clinic.owners`` as a collection, and ``clinic.owners.id`` as the target of a reference."""
    databases = Databases(store_kind, tmp_path)
    try:
        url = databases.new()
        engine_sql = sa.create_engine(normalize_url(url))
        with engine_sql.begin() as conn:
            if store_kind == "postgresql":
                conn.exec_driver_sql("CREATE SCHEMA clinic")
                schema = "clinic"
            else:
                schema = str(conn.exec_driver_sql("SELECT DATABASE()").scalar())
            conn.exec_driver_sql(f"CREATE TABLE {schema}.owners (id INTEGER PRIMARY KEY, email VARCHAR(80))")
            conn.exec_driver_sql(f"CREATE TABLE {schema}.pets (id INTEGER PRIMARY KEY, owner_id INTEGER, name VARCHAR(40))")
            conn.exec_driver_sql(f"INSERT INTO {schema}.owners VALUES (1, 'Ann@x.io'), (2, 'bo@x.io')")  # noqa: S608
            conn.exec_driver_sql(f"INSERT INTO {schema}.pets VALUES (10, 1, 'Rex'), (11, 2, 'Tom')")  # noqa: S608
        engine_sql.dispose()
        document = {
            "organization": {"name": "Clinic", "privacy_contact": "p@clinic.test", "jurisdictions": ["gdpr"]},
            "systems": [{"key": "db", "url": url, "datasets": ["vet"]}],
            "datasets": [{"key": "vet", "collections": [
                {"name": f"{schema}.owners", "fields": [
                    {"name": "id", "primary_key": True},
                    {"name": "email", "identity": "email", "categories": ["user.contact.email"]}]},
                {"name": f"{schema}.pets", "fields": [
                    {"name": "id", "primary_key": True},
                    {"name": "owner_id", "references": f"{schema}.owners.id"},
                    {"name": "name", "categories": ["user.content"]}]},
            ]}],
        }
        engine = Engine(parse_datamap(yaml.safe_dump(document)), secret_key=SECRET)
        try:
            data = engine.access(Subject.of(email="ann@x.io")).to_dict()["datasets"]["vet"]
            assert [r["id"] for r in data[f"{schema}.pets"]] == [10]
        finally:
            engine.close()
    finally:
        databases.close()


@pytest.mark.parametrize(("rule", "stored", "given", "same"), [
    ("trim_casefold", " Mateo.185@Example.COM ", "mateo.185@example.com", True),
    ("trim_casefold", "\u0430@x.io", "a@x.io", False),
    ("trim_casefold", "ÉMILE@X.IO", "émile@x.io", True),
    ("exact", "Ann@x.io", "ann@x.io", False),
    ("phone", "(415) 555-0100", "+14155550100", True),
    ("phone", "415 555 0199", "+14155550100", False),
])
def test_the_rules_compare_values_already_read_as_the_database_does(
        rule: str, stored: str, given: str, same: bool) -> None:
    """Verification, which holds values it has read, uses the same rule as the lookup."""
    from custos.matching import BUILTIN

    assert BUILTIN[rule].matches(stored, given) is same
