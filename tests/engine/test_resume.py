"""An erasure killed at any point finishes correctly when run again.

``Killed`` derives from BaseException, as a process kill would be: no handler in the
engine catches it, open transactions roll back, and the journal keeps what it had.
Kill points are spread over the whole run: statements on either store (reads, writes,
commits) and journal writes; the property tests add random ones on random schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from custos.datamap import load_datamap
from custos.engine import Engine, Journal, Subject
from custos.stores.sql import SQLStore
from tests import shop
from tests.conftest import Databases
from tests.engine.conftest import SECRET


class Killed(BaseException):
    pass


class Countdown:
    def __init__(self, at: int | None) -> None:
        self.at = at
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.at is not None and self.count >= self.at:
            raise Killed(f"killed at point {self.count}")


class KillableJournal(Journal):
    def __init__(self, path: Path, countdown: Countdown) -> None:
        super().__init__(path)
        self.countdown = countdown

    def _wrap(self, name: str) -> Callable[..., Any]:
        method = getattr(super(), name)

        def call(*args: Any) -> Any:
            self.countdown.tick()
            result = method(*args)
            self.countdown.tick()  # after the write, before the caller goes on
            return result

        return call

    def __getattribute__(self, name: str) -> Any:
        if name in ("start", "writing", "finished", "complete"):
            return object.__getattribute__(self, "_wrap")(name)
        return object.__getattribute__(self, name)


def run(map_path: Path, journal_path: Path, kill_at: int | None) -> int:
    countdown = Countdown(kill_at)
    datamap = load_datamap(map_path)
    engine = Engine(datamap, secret_key=SECRET, journal=KillableJournal(journal_path, countdown))
    for system in datamap.systems:
        store = engine.store(system)
        assert isinstance(store, SQLStore)
        sa.event.listen(store.engine, "before_cursor_execute", lambda *a: countdown.tick())
    try:
        engine.erase(Subject.of(email=shop.ALICE))
    finally:
        engine.close()
    return countdown.count


def state(shop_url: str, crm_url: str) -> dict[str, Any]:
    """Both stores' rows; random masks compared only as 'changed from the original'."""
    original = {(r["customer_id"], r["group_id"]): r["nickname"] for r in shop.rows()["group_members"]}
    snap = shop.snapshot(shop_url)
    snap["group_members"] = [
        (c, g, "<changed>" if n != original.get((c, g)) else n) for c, g, n in snap["group_members"]
    ]
    snap.update({f"crm.{k}": v for k, v in shop.snapshot(crm_url, shop.crm_metadata).items()})
    return snap


@pytest.fixture
def clean_state(databases: Databases, tmp_path: Path) -> tuple[dict[str, Any], int]:
    shop_url, crm_url = databases.new(), f"sqlite:///{tmp_path / 'crm_clean.db'}"
    shop.build(shop_url, crm_url)
    path = shop.write_map(tmp_path, shop_url, crm_url)
    points = run(path, tmp_path / "clean-journal.db", None)
    return state(shop_url, crm_url), points


def test_killed_at_every_point_and_rerun_ends_like_a_clean_run(
    databases: Databases, tmp_path: Path, clean_state: tuple[dict[str, Any], int], store_kind: str
) -> None:
    expected, points = clean_state
    assert points > 20
    # every statement is a kill point; a stride that is prime to the run's rhythm covers
    # reads, journal writes, each system's writes and the points between commits
    stride = 7 if store_kind == "sqlite" else 23
    kill_points = range(1, points + 1, stride)
    shop_url = databases.new()
    for kill_at in kill_points:
        crm_url = f"sqlite:///{tmp_path / f'crm_{kill_at}.db'}"
        shop.build(shop_url, crm_url)
        folder = tmp_path / f"run_{kill_at}"
        folder.mkdir()
        path = shop.write_map(folder, shop_url, crm_url)
        journal = folder / "journal.db"
        with pytest.raises(Killed):
            run(path, journal, kill_at)
        # killed twice in a row at the same depth of the resumed run, then left to finish
        try:
            run(path, journal, kill_at)
        except Killed:
            pass
        run(path, journal, None)
        assert state(shop_url, crm_url) == expected, f"differs after a kill at point {kill_at}"


class KillAfterFirstSystem(Journal):
    def finished(self, run_key: str, system: str, state: str, outcome: dict[str, Any]) -> None:
        super().finished(run_key, system, state, outcome)
        raise Killed(f"killed after {system} committed")


def test_resumed_run_says_so_and_reports_no_double_masking(tmp_path: Path) -> None:
    shop_url, crm_url = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'crm.db'}"
    path = shop.write_map(tmp_path, shop_url, crm_url)
    journal = tmp_path / "journal.db"
    shop.build(shop_url, crm_url)
    datamap = load_datamap(path)
    first = Engine(datamap, secret_key=SECRET, journal=KillAfterFirstSystem(journal))
    with pytest.raises(Killed):
        first.erase(Subject.of(email=shop.ALICE))
    first.close()
    # crm_db committed, shop_db not yet
    assert shop.snapshot(crm_url, shop.crm_metadata)["contacts"][0][2] == "[REDACTED]"
    assert shop.snapshot(shop_url)["customers"][0][2] == "Alice Liddell"

    engine = Engine(datamap, secret_key=SECRET, journal=journal)
    result = engine.erase(Subject.of(email=shop.ALICE))
    engine.close()
    assert result.resumed and result.status == "completed"
    assert result.systems["crm_db"] == {"status": "done", "resumed": True}
    by_name = {c.collection: c for c in result.collections}
    assert by_name["shop.customers"].rows_changed == 2
    assert by_name["crm.contacts"].rows_changed == 2  # counted once, from the first attempt
    assert result.residual is not None and result.residual.ok


def test_a_failing_system_is_rolled_back_reported_and_retried(tmp_path: Path) -> None:
    shop_url, crm_url = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'crm.db'}"
    shop.build(shop_url, crm_url)
    path = shop.write_map(tmp_path, shop_url, crm_url)
    crm = sa.create_engine(crm_url)
    with crm.begin() as conn:
        # the CRM refuses the change half-way through its transaction
        conn.execute(sa.text(
            "CREATE TRIGGER refuse AFTER UPDATE ON contacts WHEN NEW.id = 3 "
            "BEGIN SELECT RAISE(ABORT, 'contacts are locked'); END"))
    before_crm = shop.snapshot(crm_url, shop.crm_metadata)
    journal = tmp_path / "journal.db"
    engine = Engine(load_datamap(path), secret_key=SECRET, journal=journal)
    result = engine.erase(Subject.of(email=shop.ALICE))
    engine.close()
    assert result.status == "partial"
    assert result.systems["crm_db"]["status"] == "failed"
    assert "crm_db" in result.systems["crm_db"]["error"] and "contacts are locked" in result.systems["crm_db"]["error"]
    assert result.systems["shop_db"]["status"] == "done"
    # nothing half-changed in the CRM: its first row was updated, then rolled back
    assert shop.snapshot(crm_url, shop.crm_metadata) == before_crm
    by_name = {c.collection: c for c in result.collections}
    assert by_name["crm.contacts"].status == "failed"

    with crm.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse"))
    crm.dispose()
    engine = Engine(load_datamap(path), secret_key=SECRET, journal=journal)
    retried = engine.erase(Subject.of(email=shop.ALICE))
    engine.close()
    assert retried.resumed and retried.status == "completed"
    assert [r[2] for r in shop.snapshot(crm_url, shop.crm_metadata)["contacts"]] == ["[REDACTED]", "Bob's note", "[REDACTED]"]
