"""The audit log is append-only and hash-chained: edits and removals are found."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from custos.controlplane import AppendOnlyError, AuditEntry
from custos.service import audit
from tests import shop
from tests.service.conftest import Harness


def chain(harness: Harness) -> audit.ChainReport:
    with harness.service.plane.read() as session:
        return audit.verify(session)


def fill(harness: Harness) -> None:
    for email in (shop.ALICE, shop.BOB):
        harness.submit(type="opt_out_sale_sharing", email=email)
    harness.run_jobs()


def test_intact_chain_verifies(harness: Harness) -> None:
    fill(harness)
    key = harness.key("audit:read")  # creating a key is audited too
    report = chain(harness)
    assert report.ok, report.problems
    assert report.entries > 8
    answer = harness.client.get("/v1/admin/audit/verify", headers=key).json()
    assert answer["ok"] and answer["head"] == report.head


def test_an_edited_entry_is_found(harness: Harness) -> None:
    fill(harness)
    with harness.service.plane.engine.begin() as conn:
        conn.execute(sa.text("update audit_log set actor = 'someone else' where seq = 3"))
    report = chain(harness)
    assert not report.ok
    assert any("entry 3" in p and "edited" in p for p in report.problems)


def test_a_removed_entry_is_found(harness: Harness) -> None:
    fill(harness)
    with harness.service.plane.engine.begin() as conn:
        conn.execute(sa.text("delete from audit_log where seq = 4"))
    report = chain(harness)
    assert not report.ok
    assert any("missing" in p for p in report.problems)


def test_removing_the_newest_entries_is_found(harness: Harness) -> None:
    fill(harness)
    with harness.service.plane.engine.begin() as conn:
        top = conn.execute(sa.text("select max(seq) from audit_log")).scalar()
        conn.execute(sa.text("delete from audit_log where seq = :s"), {"s": top})
    assert not chain(harness).ok


def test_the_orm_refuses_to_change_or_remove_entries(harness: Harness) -> None:
    fill(harness)
    with pytest.raises(AppendOnlyError), harness.service.plane.write() as session:
        entry = session.scalars(sa.select(AuditEntry).limit(1)).one()
        entry.actor = "rewritten"
    with pytest.raises(AppendOnlyError), harness.service.plane.write() as session:
        session.delete(session.scalars(sa.select(AuditEntry).limit(1)).one())
    assert chain(harness).ok


def test_cli_audit_verify_exits_non_zero_on_a_broken_chain(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    from custos.cli.service_commands import register

    fill(harness)
    monkeypatch.setenv("CUSTOS_DATABASE_URL", harness.service.settings.database_url)
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    good = runner.invoke(app, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "intact" in good.output
    with harness.service.plane.engine.begin() as conn:
        conn.execute(sa.text("update audit_log set actor = 'rewritten' where seq = 1"))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1


def test_cutting_the_tail_and_rewriting_the_head_is_found(harness: Harness) -> None:
    """The chain proves order, not completeness: an attacker who cuts the newest entries and
    updates the head row to match passed before. The head's MAC and the checkpoint outside the
    database both catch it."""
    fill(harness)
    with harness.service.plane.read() as session:
        assert audit.checkpoint(session) > 0  # the signed head, written outside the database
    with harness.service.plane.engine.begin() as conn:
        top = conn.execute(sa.text("select max(seq) from audit_log")).scalar()
        keep = top - 3
        new_hash = conn.execute(sa.text("select entry_hash from audit_log where seq = :s"), {"s": keep}).scalar()
        conn.execute(sa.text("delete from audit_log where seq > :s"), {"s": keep})
        conn.execute(sa.text("update audit_head set seq = :s, entry_hash = :h"), {"s": keep, "h": new_hash})
    report = chain(harness)
    assert not report.ok
    assert any("MAC does not match" in p for p in report.problems)
    assert any("were cut off" in p for p in report.problems)


def test_a_rewritten_head_with_its_mac_removed_is_still_caught_by_the_checkpoint(harness: Harness) -> None:
    fill(harness)
    with harness.service.plane.read() as session:
        audit.checkpoint(session)
    with harness.service.plane.engine.begin() as conn:
        top = conn.execute(sa.text("select max(seq) from audit_log")).scalar()
        new_hash = conn.execute(sa.text("select entry_hash from audit_log where seq = :s"), {"s": top - 1}).scalar()
        conn.execute(sa.text("delete from audit_log where seq = :s"), {"s": top})
        conn.execute(sa.text("update audit_head set seq = :s, entry_hash = :h, mac = NULL"),
                     {"s": top - 1, "h": new_hash})
    report = chain(harness)
    assert any("were cut off" in p for p in report.problems)


def test_an_altered_checkpoint_is_refused(harness: Harness) -> None:
    import json

    fill(harness)
    with harness.service.plane.read() as session:
        audit.checkpoint(session)
    path = Path(harness.service.settings.audit_checkpoint)
    record = json.loads(path.read_text())
    record["seq"] += 5
    path.write_text(json.dumps(record))
    assert any("valid MAC" in p for p in chain(harness).problems)


def test_reordered_entries_are_found(harness: Harness) -> None:
    fill(harness)
    with harness.service.plane.engine.begin() as conn:
        conn.execute(sa.text("update audit_log set seq = -1 where seq = 2"))
        conn.execute(sa.text("update audit_log set seq = 2 where seq = 3"))
        conn.execute(sa.text("update audit_log set seq = 3 where seq = -1"))
    assert not chain(harness).ok
