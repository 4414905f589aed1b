"""``custos scan`` on SQLite, PostgreSQL and MariaDB: every kind of drift from the map, the
proposal that closes it, and a scan that keeps going when a table cannot be read. No sampled
value ever reaches the report, the JSON or the log unmasked."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.mysql import LONGTEXT
from typer.testing import CliRunner

from custos.cli import app
from custos.datamap import load_datamap
from custos.discovery import drift, scan
from custos.engine import Engine
from custos.stores.sql import normalize_url

runner = CliRunner()
NAMES = ["Ann Lee", "Bruno Díaz", "Chen Wei", "Dara O'Neil", "Eva Novak", "Farid Haddad", "Gita Rao", "Hugo Berg"]


def build(url: str, rows: int = 120) -> dict[str, list[str]]:
    """A clinic's database where a few things changed behind the map's back."""
    meta = sa.MetaData()
    owners = sa.Table("owners", meta, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("email", sa.String(200), nullable=False), sa.Column("full_name", sa.String(120)),
                      sa.Column("phone", sa.String(40)), sa.Column("referrer_email", sa.String(200)),
                      sa.Column("notes", sa.Text().with_variant(LONGTEXT(), "mysql", "mariadb")), sa.Column("photo", sa.LargeBinary))
    pets = sa.Table("pets", meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id")), sa.Column("species", sa.String(20)))
    reminders = sa.Table("reminders", meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("owner_id", sa.Integer, sa.ForeignKey("owners.id")),
                         sa.Column("sms_number", sa.String(40)))
    engine = sa.create_engine(normalize_url(url))
    meta.create_all(engine)
    rng = random.Random(5)
    values: dict[str, list[str]] = {"email": [], "phone": [], "referrer_email": [], "full_name": []}
    with engine.begin() as conn:
        people = []
        for i in range(rows):
            email = f"Owner.{i}@Example.COM" if i % 4 == 0 else f"owner.{i}@example.com"
            phone = f"(415) 555-{1000 + i:04d}"
            people.append({"id": i + 1, "email": email, "phone": phone,
                           # the map says full_name holds names; the clinic now keeps phones there
                           "full_name": f"+1 212 555 {2000 + i:04d}" if i % 5 else NAMES[i % len(NAMES)],
                           "referrer_email": f"friend{i}@mail.example.org" if i % 2 else None,
                           "notes": "x" * (10 * 1024 * 1024) if i == 3 else f"Prefers mornings, visit {i}",
                           "photo": bytes(rng.getrandbits(8) for _ in range(64))})
            for key in values:
                if people[-1][key]:
                    values[key].append(str(people[-1][key]))
        conn.execute(owners.insert(), people)
        conn.execute(pets.insert(), [{"id": i + 1, "owner_id": i + 1, "species": "cat"} for i in range(rows)])
        conn.execute(reminders.insert(), [{"id": i + 1, "owner_id": i + 1, "sms_number": f"+1 303 555 {3000 + i:04d}"}
                                          for i in range(rows)])
    engine.dispose()
    return values


MAP = """
organization: {{name: Clinic, privacy_contact: privacy@clinic.example, jurisdictions: [gdpr]}}
systems:
  - {{key: clinic, url: "{url}", datasets: [clinic]}}
datasets:
  - key: clinic
    collections:
      - name: owners
        fields:
          - {{name: id, primary_key: true}}
          - {{name: email, categories: [user.contact.email], identity: email, match: exact, erase: mask_hash}}
          - {{name: full_name, categories: [user.name]}}
          - {{name: phone, categories: [user.contact.phone_number], identity: phone}}
          - {{name: fax, categories: [user.contact.fax_number]}}
      - name: pets
        fields:
          - {{name: id, primary_key: true}}
          - {{name: owner_id, references: {{field: owners.id, kind: owner}}}}
          - {{name: species}}
"""


def write_map(folder: Path, url: str) -> Path:
    path = folder / "clinic.yaml"
    path.write_text(MAP.format(url=url), encoding="utf-8")
    return path


def test_every_kind_of_drift_is_found_on_each_database(db_url: str, tmp_path: Path) -> None:
    values = build(db_url)
    datamap = load_datamap(write_map(tmp_path, db_url))
    engine = Engine(datamap, secret_key=b"k" * 32)
    try:
        report = scan(datamap, engine.store, sample=80)
    finally:
        engine.close()
    found = {(d.kind, d.collection, d.column) for d in drift(datamap, report)}
    assert ("unmapped_column", "owners", "referrer_email") in found
    assert ("unmapped_column", "owners", "notes") in found  # notes about the owner, one cell of 10 MB
    assert ("unmapped_column", "owners", "photo") in found  # binary: by its name, values unread
    assert ("missing_column", "owners", "fax") in found
    assert ("category_mismatch", "owners", "full_name") in found
    assert ("identity_form", "owners", "email") in found  # capitals under match: exact
    assert ("unmapped_table", "reminders", None) in found
    assert ("identity_form", "owners", "phone") not in found  # free formats are what phone matching reads
    owners = report.table("clinic", "owners")
    assert owners is not None and owners.sampled_rows <= 80 and owners.error is None
    assert {c.name: c.category for c in owners.columns}["photo"] == "user.content.self_image"
    text = json.dumps(report.to_dict(), default=str)
    for value in [v for vs in values.values() for v in vs]:
        assert value not in text and value.lower() not in text


def test_the_cli_exits_non_zero_on_drift_and_its_proposal_closes_it(db_url: str, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    values = build(db_url, rows=60)
    path = write_map(tmp_path, db_url)
    proposal, page = tmp_path / "proposal.yaml", tmp_path / "report.html"
    result = runner.invoke(app, ["scan", "--map", str(path), "--write", str(proposal), "--out", str(page)])
    assert result.exit_code == 1, result.output
    assert "referrer_email" in result.output and "reminders" in result.output
    written = proposal.read_text()
    assert "referrer_email" in written and "name: reminders" in written and "field: owners.id" in written
    assert "identity: email" not in written.split("referrer_email")[1].split("- name:")[0]  # another person's email
    merged = runner.invoke(app, ["validate", str(path), str(proposal)])
    assert merged.exit_code == 0, merged.output
    html = page.read_text()
    assert "Personal data the map does not list" in html and "<script" not in html
    as_json = runner.invoke(app, ["scan", "--map", str(path), "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.output)["drift_count"] >= 5
    everything = result.output + html + written + as_json.output + caplog.text
    for value in [v for vs in values.values() for v in vs]:
        assert value not in everything and value.lower() not in everything


def test_a_map_that_matches_its_stores_has_no_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from custos.demo import build_shop, demo_map_text

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build_shop(url, customers=120)
    monkeypatch.setenv("SHOP_DB_URL", url)
    path = tmp_path / "shop.yaml"
    path.write_text(demo_map_text(), encoding="utf-8")
    clean = runner.invoke(app, ["scan", "--map", str(path)])
    assert clean.exit_code == 0, clean.output
    assert "no drift" in clean.output
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a developer adds a column and a table behind the map's back
        conn.execute(sa.text("ALTER TABLE customers ADD COLUMN backup_email VARCHAR(200)"))
        conn.execute(sa.text("UPDATE customers SET backup_email = 'b' || id || '@backup.example.net'"))
        conn.execute(sa.text("CREATE TABLE loyalty (id INTEGER PRIMARY KEY, customer_id INTEGER, tier TEXT)"))
        conn.execute(sa.text("INSERT INTO loyalty SELECT id, id, 'gold' FROM customers"))
    engine.dispose()
    drifted = runner.invoke(app, ["scan", "--map", str(path), "--json"])
    assert drifted.exit_code == 1
    kinds = {(d["kind"], d["collection"], d["column"]) for d in json.loads(drifted.output)["drift"]}
    assert kinds == {("unmapped_column", "customers", "backup_email"), ("unmapped_table", "loyalty", None)}


def test_a_store_that_disappears_halfway_is_reported_and_the_rest_written(tmp_path: Path) -> None:
    database = tmp_path / "clinic.db"
    url = f"sqlite:///{database}"
    build(url, rows=30)
    datamap = load_datamap(write_map(tmp_path, url))
    engine = Engine(datamap, secret_key=b"k" * 32)
    seen: list[str] = []

    def progress(system: str, table: str, done: int, total: int) -> None:
        seen.append(table)
        if table == "pets":  # the database goes away once the first table is read
            engine.store("clinic").close()
            database.unlink()

    try:
        report = scan(datamap, engine.store, progress=progress)
    finally:
        engine.close()
    owners, pets = report.table("clinic", "owners"), report.table("clinic", "pets")
    assert owners is not None and owners.error is None and owners.sampled_rows == 30
    assert pets is not None and pets.error is not None
    kinds = {d.kind for d in drift(datamap, report)}
    assert "unreadable" in kinds or "missing_table" in kinds
    assert seen[:2] == ["owners", "pets"]


def test_scan_options_are_checked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    build(url, rows=5)
    path = write_map(tmp_path, url)
    unknown = runner.invoke(app, ["scan", "--map", str(path), "--system", "nowhere"])
    assert unknown.exit_code != 0 and "no system nowhere" in unknown.output
    zero = runner.invoke(app, ["scan", "--map", str(path), "--sample", "0"])
    assert zero.exit_code == 2


def test_a_large_table_is_sampled_in_the_database_never_read_whole(db_url: str) -> None:
    build(db_url, rows=400)
    engine = sa.create_engine(normalize_url(db_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE owners"))
        elif engine.dialect.name in ("mysql", "mariadb"):
            conn.execute(sa.text("ANALYZE TABLE owners"))
    engine.dispose()
    from custos.stores.sql import SQLStore

    store = SQLStore("clinic", db_url)
    try:
        drawn = store.sample_rows("owners", ["id", "email", "notes", "photo"], 25)
    finally:
        store.close()
    expected = {"postgresql": "tablesample", "sqlite": "random keys"}.get(store.dialect, "key ranges")
    assert drawn.method == expected and 0 < len(drawn.rows) <= 25
    ids = [row[0] for row in drawn.rows]
    assert len(set(ids)) == len(ids) and all(1 <= i <= 400 for i in ids)
    assert all(len(row[2]) <= 2000 for row in drawn.rows)  # the 10 MB cell is cut in the database
    assert all(isinstance(row[3], int) for row in drawn.rows)  # binary: its length, not its bytes


def test_a_store_plug_in_is_scanned_through_the_protocol(tmp_path: Path) -> None:
    from custos.stores import memory
    from custos.stores.base import ColumnKind

    url = "memory://scan-test"
    memory.load(url, {"members": memory.Collection(
        {"id": ColumnKind.INTEGER, "mail": ColumnKind.STRING, "nick": ColumnKind.STRING,
         "account": ColumnKind.STRING}, key=("id",),
        rows=[{"id": i, "mail": f"m{i}@club.example", "nick": f"n{i}", "account": f"a{i}"} for i in range(50)])})
    path = tmp_path / "club.yaml"
    path.write_text(
        "organization: {name: Club, privacy_contact: p@club.example, jurisdictions: [gdpr]}\n"
        f"systems: [{{key: club, url: '{url}', datasets: [club]}}]\n"
        "datasets:\n  - key: club\n    collections:\n      - name: members\n        fields:\n"
        "          - {name: id, primary_key: true}\n          - {name: nick}\n"
        "          - {name: account, identity: account_id}\n", encoding="utf-8")
    try:
        result = runner.invoke(app, ["scan", "--map", str(path), "--json"])
    finally:
        memory.drop(url)
    assert result.exit_code == 1, result.output
    [found] = json.loads(result.output)["drift"]
    assert (found["kind"], found["column"], found["categories"]) == ("unmapped_column", "mail", ["user.contact.email"])
