"""People under the age limit, found in the stores by their birth date or their age.

Born on this day sixteen years ago: sixteen today, not a minor. Born a day later: still
fifteen. A recorded parent's consent takes the person out of the sweep. The same on
SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from custos.datamap import parse_datamap
from custos.engine import Engine, Journal
from custos.engine.minors import find_minors
from custos.errors import DataMapErrors
from custos.stores.sql import normalize_url
from tests.conftest import Databases

TODAY = date(2026, 3, 2)
SECRET = b"minors-secret"


def build(url: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    members = sa.Table("members", meta, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("email", sa.String(80)), sa.Column("born", sa.Date, nullable=True),
                       sa.Column("parent_ok_at", sa.DateTime, nullable=True))
    players = sa.Table("players", meta, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("handle", sa.String(40)), sa.Column("age", sa.Integer, nullable=True))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(members.insert(), [
            {"id": i, "email": email, "born": born, "parent_ok_at": consent} for i, email, born, consent in [
                (1, "Sixteen.Today@Example.com", date(2010, 3, 2), None),
                (2, "fifteen@example.com", date(2010, 3, 3), None),
                (3, "adult@example.com", date(1990, 1, 1), None),
                (4, "consented@example.com", date(2015, 6, 1), datetime(2024, 1, 1, 10)),
                (5, "unknown@example.com", None, None),
                (6, "leap@example.com", date(2012, 2, 29), None),
            ]])
        conn.execute(players.insert(), [{"id": i, "handle": f"p{i}", "age": a}
                                        for i, a in enumerate([12, 13, 16, 40, None], start=1)])
    engine.dispose()


def document(url: str) -> dict[str, Any]:
    return {
        "organization": {"name": "Club", "privacy_contact": "p@club.test", "jurisdictions": ["gdpr", "ccpa"]},
        "systems": [{"key": "db", "url": url, "datasets": ["club"]}],
        "datasets": [{"key": "club", "collections": [
            {"name": "members", "minors": {"then": "review", "consent": "parent_ok_at"}, "fields": [
                {"name": "id", "primary_key": True},
                {"name": "email", "identity": "email", "categories": ["user.contact.email"]},
                {"name": "born", "categories": ["user.demographic.date_of_birth"], "age": "birth_date"},
                {"name": "parent_ok_at"}]},
            {"name": "players", "minors": {"then": "erase"}, "fields": [
                {"name": "id", "primary_key": True},
                {"name": "handle", "identity": "user_id", "categories": ["user.unique_id"]},
                {"name": "age", "categories": ["user.demographic.age_range"], "age": "years"}]},
        ]}],
    }


def test_minors_are_found_exactly_at_the_boundary(databases: Databases, tmp_path: Path) -> None:
    url = databases.new()
    build(url)
    engine = Engine(parse_datamap(yaml.safe_dump(document(url))), secret_key=SECRET,
                    journal=Journal(tmp_path / "j.db"), batch_size=2)
    try:
        found = find_minors(engine, TODAY, 16)
        members = sorted(next(iter(m.subject.identities["email"])) for m in found if m.collection == "club.members")
        # 29 February 2012: fourteen; the consented child and the undated member are not swept
        assert members == ["fifteen@example.com", "leap@example.com"]
        players = sorted(next(iter(m.subject.identities["user_id"])) for m in found if m.collection == "club.players")
        assert players == ["p1", "p2"]
        assert {m.then for m in found if m.collection == "club.players"} == {"erase"}
        assert [m.collection for m in find_minors(engine, TODAY, 13)] == ["club.players"]  # p1 (12) only
    finally:
        engine.close()
        engine.journal.close()


def test_a_minors_collection_without_an_age_field_is_refused() -> None:
    doc = document("sqlite:///x.db")
    doc["datasets"][0]["collections"][0]["fields"][2].pop("age")
    doc["datasets"][0]["collections"][0]["minors"]["consent"] = "nope"
    try:
        parse_datamap(yaml.safe_dump(doc))
    except DataMapErrors as caught:
        text = str(caught)
    else:
        raise AssertionError("the map was accepted")
    assert "exactly one field of club.members marked age:" in text
    assert "'nope', which is not a field" in text
