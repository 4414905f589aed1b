"""Erasures and retention deletions applied again to stores restored from a backup.

For real: the PostgreSQL shop is dumped with ``pg_dump``, people are erased and a
retention sweep runs, the dump is restored with ``pg_restore``, and ``replay`` must bring
the stores back to the state they had before the restore. MariaDB does the same with
``mariadb-dump`` and its client, SQLite with a copy of its file. The ledger holds keyed HMACs only: no identity value and no key appears
in it in clear.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custos.engine import Engine, Journal, Subject
from custos.engine.replay import replay
from custos.engine.retention import Retention
from custos.stores.sql import normalize_url
from tests.conftest import Databases
from tests.engine.test_retention import NOW, SECRET, build, document, load, table

ERASED = ("active@example.com", "Fresh@Example.com")


def _state(url: str) -> tuple[Any, ...]:
    return table(url, "customers", "id"), table(url, "orders", "id"), table(url, "sessions", "ip")


def _libpq(url: str) -> str:
    parsed = normalize_url(url)
    return f"postgresql://{parsed.username}@{parsed.host}:{parsed.port or 5432}/{parsed.database}"


def _mysql_args(url: str) -> list[str]:
    parsed = normalize_url(url)
    return ["-h", str(parsed.host), "-P", str(parsed.port or 3306), "-u", str(parsed.username)] + (
        [f"-p{parsed.password}"] if parsed.password else [])


class Backup:
    """The store's own backup tools: pg_dump/pg_restore, mariadb-dump and the client, a file copy."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder
        self.kind = normalize_url(url).get_backend_name()
        self.database = normalize_url(url).database or ""

    def take(self) -> None:
        if self.kind == "sqlite":
            shutil.copyfile(self.database, self.folder / "backup.db")
        elif self.kind == "postgresql":
            subprocess.run(["pg_dump", "-Fc", "-f", str(self.folder / "backup.dump"), _libpq(self.url)], check=True)
        else:
            with (self.folder / "backup.sql").open("wb") as out:
                subprocess.run(["mariadb-dump", *_mysql_args(self.url), "--single-transaction", self.database],
                               check=True, stdout=out)

    def restore(self) -> None:
        if self.kind == "sqlite":
            shutil.copyfile(self.folder / "backup.db", self.database)
        elif self.kind == "postgresql":
            subprocess.run(["pg_restore", "--clean", "--if-exists", "-d", _libpq(self.url),
                            str(self.folder / "backup.dump")], check=True)
        else:
            with (self.folder / "backup.sql").open("rb") as source:
                subprocess.run(["mariadb", *_mysql_args(self.url), self.database], check=True, stdin=source)


TOOLS = {"sqlite": None, "postgresql": "pg_restore", "mysql": "mariadb-dump"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_replay_after_a_restore_gives_back_the_state_before_it(kind: str, tmp_path: Path) -> None:
    databases = Databases(kind, tmp_path)
    tool = TOOLS[kind]
    if tool is not None and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here")
    try:
        url = databases.new()
        build(url)
        backup = Backup(url, tmp_path)
        backup.take()
        started = datetime.now(UTC) - timedelta(seconds=1)
        journal = tmp_path / "journal.db"
        engine = Engine(load(document(url)), secret_key=SECRET, journal=Journal(journal), batch_size=2)
        for email in ERASED:
            assert engine.erase(Subject.of(email=email)).status == "completed"
        assert Retention(engine).run(NOW, "sweep").ok
        engine.close()
        engine.journal.close()
        erased = _state(url)

        backup.restore()
        assert _state(url) != erased  # the backup brought the people back

        engine = Engine(load(document(url)), secret_key=SECRET, journal=Journal(journal), batch_size=2)
        try:
            report = replay(engine, engine.ledger, started)
            assert report.entries > 0
            assert _state(url) == erased
            # a second replay changes nothing
            again = replay(engine, engine.ledger, started)
            assert sum(c["changed"] + c["deleted"] for c in again.collections.values()) == 0
        finally:
            engine.close()
            engine.journal.close()
        ledger = sqlite3.connect(journal)
        text = "\n".join(str(row) for row in ledger.execute("SELECT * FROM erasure_ledger"))
        ledger.close()
        assert "example.com" not in text.lower() and "Bo Fresh" not in text
    finally:
        databases.close()


def test_replay_since_a_later_date_leaves_earlier_erasures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build(url)
    engine = Engine(load(document(url)), secret_key=SECRET, journal=Journal(tmp_path / "journal.db"))
    try:
        engine.erase(Subject.of(email=ERASED[0]))
        report = replay(engine, engine.ledger, datetime.now(UTC) + timedelta(days=1))
        assert report.entries == 0 and report.collections == {}
    finally:
        engine.close()
        engine.journal.close()
