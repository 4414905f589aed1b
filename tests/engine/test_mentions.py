"""A reference that names a person is not a reference that makes the row theirs.

The held-out veterinary clinic: ``owners.referred_by → owners.id``. Modelled as a plain
reference it handed three other customers, their pets and invoices to the person who
referred them, and a correction of that person's city changed four rows. Declared as a
mention, the rows of the people referred stay theirs; only the field naming the subject is
the subject's, reported by access as a count and cleared by erasure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from custos.datamap import parse_datamap
from custos.engine import Engine, Journal, Subject
from custos.errors import DataMapErrors
from custos.stores.sql import normalize_url
from tests.conftest import Databases

SECRET = b"mentions-secret"
ANN = "ann@clinic.test"


def clinic(url: str, kind: str | None) -> str:
    engine = sa.create_engine(normalize_url(url))
    meta = sa.MetaData()
    owners = sa.Table("owners", meta, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("email", sa.String(80)), sa.Column("city", sa.String(40)),
                      sa.Column("referred_by", sa.Integer, nullable=True))
    pets = sa.Table("pets", meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("owner_id", sa.Integer), sa.Column("name", sa.String(40)))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(owners.insert(), [
            {"id": 1, "email": ANN, "city": "Lyon", "referred_by": None},
            {"id": 2, "email": "bo@clinic.test", "city": "Nice", "referred_by": 1},
            {"id": 3, "email": "cy@clinic.test", "city": "Metz", "referred_by": 1},
            {"id": 4, "email": "di@clinic.test", "city": "Pau", "referred_by": 1},
            {"id": 5, "email": "ed@clinic.test", "city": "Caen", "referred_by": 2},
        ])
        conn.execute(pets.insert(), [{"id": 10, "owner_id": 1, "name": "Rex"}, {"id": 11, "owner_id": 2, "name": "Tom"},
                                     {"id": 12, "owner_id": 3, "name": "Kit"}])
    engine.dispose()
    reference: dict[str, Any] = {"field": "owners.id"}
    if kind:
        reference["kind"] = kind
    document = {
        "organization": {"name": "Clinic", "privacy_contact": "p@clinic.test", "jurisdictions": ["gdpr"]},
        "systems": [{"key": "db", "url": url, "datasets": ["clinic"]}],
        "datasets": [{"key": "clinic", "collections": [
            {"name": "owners", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "email", "identity": "email", "categories": ["user.contact.email"], "erase": "mask_null"},
                {"name": "city", "categories": ["user.contact.address.city"]},
                {"name": "referred_by", "references": reference}]},
            {"name": "pets", "fields": [
                {"name": "id", "primary_key": True},
                {"name": "owner_id", "references": {"field": "owners.id", "kind": "owner"}},
                {"name": "name", "categories": ["user.content"]}]},
        ]}],
    }
    return yaml.safe_dump(document)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        result = {t: sorted(tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY id")))  # noqa: S608
                  for t in ("owners", "pets")}
    engine.dispose()
    return result


def test_a_mention_does_not_hand_other_people_rows(databases: Databases, tmp_path: Path) -> None:
    url = databases.new()
    datamap = parse_datamap(clinic(url, "mention"))
    assert not [w for w in datamap.warnings if "referred_by" in w]
    journal = Journal(tmp_path / "j.db")
    engine = Engine(datamap, secret_key=SECRET, journal=journal)
    try:
        access = engine.access(Subject.of(email=ANN)).to_dict()
        data = access["datasets"]["clinic"]
        assert [r["id"] for r in data["owners"]] == [1]
        assert [r["id"] for r in data["pets"]] == [10]
        assert access["mentions"] == {"clinic.owners.referred_by": 3}

        corrected = engine.correct(Subject.of(email=ANN), {"clinic.owners.city": "Paris"})
        assert corrected.collections[0].rows_changed == 1

        before = snapshot(url)
        result = engine.erase(Subject.of(email=ANN))
        assert result.status == "completed" and result.residual is not None and result.residual.ok
        after = snapshot(url)
        owners = {r[0]: r for r in after["owners"]}
        assert owners[1][1] is None  # Ann's email erased
        assert [owners[i][3] for i in (2, 3, 4)] == [None, None, None]  # the mentions of Ann are gone
        assert [owners[i][1:3] for i in (2, 3, 4, 5)] == [r[1:3] for r in before["owners"][1:]]  # nothing else
        assert owners[5][3] == 2  # a mention of someone else stays
        assert after["pets"] == [(10, 1, None), *before["pets"][1:]]  # Ann's pet's name; nobody else's
        mentions = [c for c in result.collections if c.mentions]
        assert [(c.collection, c.mentions, c.rows_changed) for c in mentions] == [("clinic.owners", "referred_by", 3)]

        again = engine.erase(Subject.of(email=ANN))
        assert again.rows_changed == 0
    finally:
        engine.close()
        journal.close()


def test_an_undeclared_self_reference_is_warned_about(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    datamap = parse_datamap(clinic(url, None))
    warned = [w for w in datamap.warnings if "owners.referred_by refers to its own table" in w]
    assert warned and "kind: owner, same_person" in warned[0] and ":" in warned[0].split(" ")[0]
    # read as ownership, the traversal hands Ann the people she referred: what the warning is for
    engine = Engine(datamap, secret_key=SECRET)
    try:
        rows = engine.access(Subject.of(email=ANN)).to_dict()["datasets"]["clinic"]["owners"]
        assert sorted(r["id"] for r in rows) == [1, 2, 3, 4, 5]
    finally:
        engine.close()


def test_a_mention_followed_backwards_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(clinic(f"sqlite:///{tmp_path / 'c.db'}", "mention"))
    document["datasets"][0]["collections"][0]["fields"][3]["references"]["direction"] = "both"
    with pytest.raises(DataMapErrors, match="a mention is followed from the person"):
        parse_datamap(yaml.safe_dump(document))
