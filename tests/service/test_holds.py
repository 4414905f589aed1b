"""Legal holds and scheduled retention sweeps in the service.

An erasure that meets a hold does not claim completion: the hold is its exception
(GDPR Art. 17(3)(e), CCPA 1798.105(d)(8)), the person's data stays, and lifting the hold
runs the erasure. Placing a hold never looks the person up, so the answer is the same
for a known and an unknown identity. Sweeps run when the schedule says, on a clock the
test moves; each is recorded and audited.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from custos.controlplane import AuditEntry
from custos.engine.retention import RetentionReport, RuleReport
from custos.engine.retention_rules import Resolution
from custos.service import audit, holds, sweeps
from custos.service.errors import InvalidRequestError, NotFoundError
from tests import shop
from tests.service.conftest import Harness
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE


def _erase_alice(harness: Harness) -> str:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    approved = harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    assert approved.status_code == 200, approved.text
    harness.run_jobs()
    return str(receipt["id"])


def _alice_rows(harness: Harness) -> int:
    engine = sa.create_engine(harness.shop_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("select count(*) from customers where email = :e"), {"e": shop.ALICE}).scalar()
    engine.dispose()
    return int(count or 0)


def _actions(harness: Harness) -> list[str]:
    with harness.service.plane.read() as session:
        return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_an_erasure_meeting_a_hold_on_the_person_waits_until_it_is_lifted(harness: Harness) -> None:
    hold = holds.place(harness.service, scope="subject", identities={"email": [shop.ALICE.upper()]},
                       reason="litigation", matter="M-17", actor="test")
    request_id = _erase_alice(harness)
    assert harness.status(request_id) == "in_progress"  # never reported complete while held
    assert _alice_rows(harness) == 1
    detail = harness.client.get(f"/v1/admin/requests/{request_id}", headers=harness.key(*WRITE)).json()
    held = detail["results"][-1]
    assert held["status"] == "held" and "17(3)(e)" in held["result"]["exception"]
    assert "hold" in str(held["result"]["holds"])
    holds.lift(harness.service, hold.id, actor="test")
    harness.run_jobs()
    assert harness.status(request_id) == "completed"
    assert _alice_rows(harness) == 0
    actions = _actions(harness)
    assert {"hold.placed", "request.held", "hold.lifted", "request.hold_released"} <= set(actions)


def test_a_hold_on_a_collection_where_the_person_has_rows_holds_the_erasure(harness: Harness) -> None:
    holds.place(harness.service, scope="collection", target="shop.orders", reason="tax audit", matter="T-3",
                actor="test")
    request_id = _erase_alice(harness)
    assert harness.status(request_id) == "in_progress" and _alice_rows(harness) == 1


def test_a_hold_elsewhere_does_not_stop_an_erasure(harness: Harness) -> None:
    holds.place(harness.service, scope="subject", identities={"email": ["someone.else@example.com"]},
                reason="litigation", matter="M-2", actor="test")
    request_id = _erase_alice(harness)
    assert harness.status(request_id) == "completed"


def test_holds_reveal_nobody_and_refuse_bad_input(harness: Harness) -> None:
    known = holds.place(harness.service, scope="subject", identities={"email": [shop.ALICE]}, reason="r",
                        matter="m", actor="test")
    unknown = holds.place(harness.service, scope="subject", identities={"email": ["nobody.here@example.com"]},
                          reason="r", matter="m", actor="test")
    assert (known.scope, known.identity_kinds, known.active) == (unknown.scope, unknown.identity_kinds, unknown.active)
    with pytest.raises(InvalidRequestError, match="no collection 'shop.nope'"):
        holds.place(harness.service, scope="collection", target="shop.nope", reason="r", matter="m", actor="t")
    with pytest.raises(InvalidRequestError, match="reason and a matter"):
        holds.place(harness.service, scope="system", target="shop_db", reason=" ", matter="m", actor="t")
    with pytest.raises(InvalidRequestError, match="in the future"):
        holds.place(harness.service, scope="system", target="shop_db", reason="r", matter="m", actor="t",
                    ends_at=harness.clock() - timedelta(days=1))
    with pytest.raises(NotFoundError):
        holds.lift(harness.service, 999, actor="t")
    with harness.service.plane.read() as session:
        logged = [e.detail for e in session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "hold.placed"))]
    assert shop.ALICE not in str(logged) and "nobody.here" not in str(logged)


def test_a_hold_ends_by_itself(harness: Harness) -> None:
    holds.place(harness.service, scope="system", target="shop_db", reason="r", matter="m", actor="t",
                ends_at=harness.clock() + timedelta(days=2))
    assert len(holds.active(harness.service)) == 1
    harness.clock.advance(days=3)
    assert holds.active(harness.service) == []


class _Sweeps:
    """Stands in for the engine's retention: the schedule and the records are under test here."""

    calls: list[object] = []
    fail: bool = False

    def __init__(self, engine: object) -> None:
        self.resolution = Resolution(rules=[object()])  # type: ignore[list-item]

    def run(self, now: object, run_id: str, held: object) -> RetentionReport:
        type(self).calls.append(now)
        rule = RuleReport("shop.sessions", "security", "P13M", "started_at", "delete", "delete", "c", due=3,
                          deleted=3 if not type(self).fail else 0, status="failed" if type(self).fail else "done",
                          error="the store is down" if type(self).fail else None)
        return RetentionReport(str(now), [rule], dry_run=False)


@pytest.fixture
def fake_retention(monkeypatch: pytest.MonkeyPatch) -> type[_Sweeps]:
    _Sweeps.calls, _Sweeps.fail = [], False
    monkeypatch.setattr(sweeps, "Retention", _Sweeps)
    return _Sweeps


def test_sweeps_run_on_the_schedule_and_are_recorded(harness: Harness, fake_retention: type[_Sweeps]) -> None:
    service = harness.service
    first = sweeps.run_if_due(service)
    assert first is not None and first.status == "done", first and first.error
    assert sweeps.run_if_due(service) is None  # not due again for a day
    harness.clock.advance(hours=23)
    assert sweeps.run_if_due(service) is None
    harness.clock.advance(hours=2)
    second = sweeps.run_if_due(service)
    assert second is not None and second.status == "done"
    assert second.report is not None and second.report["totals"]["deleted"] == 3
    assert len(fake_retention.calls) == 2
    actions = _actions(harness)
    assert actions.count("retention.run") == 2 and actions.count("retention.started") == 2
    with service.plane.read() as session:
        assert audit.verify(session).ok


def test_a_failed_sweep_is_retried_soon(harness: Harness, fake_retention: type[_Sweeps]) -> None:
    service = harness.service
    fake_retention.fail = True
    failed = sweeps.run_if_due(service)
    assert failed is not None and failed.status == "failed" and "the store is down" in (failed.error or "")
    fake_retention.fail = False
    assert sweeps.run_if_due(service) is None
    harness.clock.advance(minutes=61)
    again = sweeps.run_if_due(service)
    assert again is not None and again.status == "done"
