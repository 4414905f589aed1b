"""Rules beyond the lifecycle: an unverifiable deletion as an opt-out, choices in the consent store,
purging request records past their keeping period."""

from __future__ import annotations

import sqlalchemy as sa

from custos.consent import current_state, history_for_identities
from custos.controlplane import AuditEntry, Identity, Package, Request, RequestResult
from custos.service import audit
from custos.service.retention import Period, purge
from tests import shop
from tests.service.conftest import Harness

UNKNOWN = "nobody@example.com"


def requests_of_type(harness: Harness, kind: str) -> list[Request]:
    with harness.service.plane.read() as session:
        return list(session.scalars(sa.select(Request).where(Request.type == kind)))


def test_an_unverifiable_deletion_is_treated_as_an_opt_out_under_the_ccpa(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=UNKNOWN, jurisdiction="ccpa")
    harness.verify(receipt, UNKNOWN)  # the code alone: no detail matches, so not verified
    assert harness.status(receipt["id"]) == "denied"
    refusal = harness.mails(UNKNOWN, "refusal")[-1].get_body(("plain",)).get_content()
    assert "could not verify" in refusal and "opt out of the sale and sharing" in refusal
    [opt_out] = requests_of_type(harness, "opt_out_sale_sharing")
    harness.run_jobs()
    assert harness.status(opt_out.id) == "completed"
    history = history_for_identities(harness.client.app.state.consent, {"email": [UNKNOWN]})  # type: ignore[attr-defined]
    assert "sale" in str(history) and opt_out.id in str(history)


def test_the_opt_out_instead_of_deletion_can_be_turned_off(harness: Harness) -> None:
    harness.service.unverified_deletion_opt_out = frozenset()
    receipt = harness.submit(type="erasure", email=UNKNOWN, jurisdiction="ccpa")
    harness.verify(receipt, UNKNOWN)
    assert harness.status(receipt["id"]) == "denied"
    assert "opt out" not in harness.mails(UNKNOWN, "refusal")[-1].get_body(("plain",)).get_content()
    assert requests_of_type(harness, "opt_out_sale_sharing") == []


def test_no_opt_out_instead_of_deletion_under_the_gdpr(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=UNKNOWN, jurisdiction="gdpr")
    harness.verify(receipt, UNKNOWN)
    assert requests_of_type(harness, "opt_out_sale_sharing") == []


def test_an_opt_out_request_is_recorded_in_the_consent_store(harness: Harness) -> None:
    receipt = harness.submit(type="opt_out_sale_sharing", email=shop.ALICE, jurisdiction="ccpa")
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    with harness.service.plane.read() as session:
        state = current_state(session, [f"rights-request:{receipt['id']}"])
    assert state and all(not s.granted for s in state.values())
    assert {"sale", "sharing"} <= set(state)
    assert {s.method for s in state.values()} == {"rights_request"}


def test_an_opt_in_request_turns_sale_and_sharing_back_on(harness: Harness) -> None:
    receipt = harness.submit(type="opt_in_sale_sharing", email=shop.ALICE, jurisdiction="ccpa")
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    with harness.service.plane.read() as session:
        state = current_state(session, [f"rights-request:{receipt['id']}"])
    assert {"sale", "sharing"} <= set(state)
    assert all(s.granted for s in state.values())


def test_withdraw_consent_turns_off_every_consent_purpose(harness: Harness) -> None:
    receipt = harness.submit(type="withdraw_consent", email=shop.ALICE, jurisdiction="gdpr")
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    consent = harness.client.app.state.consent  # type: ignore[attr-defined]
    with harness.service.plane.read() as session:
        state = current_state(session, [f"rights-request:{receipt['id']}"])
    assert set(state) == {p.key for p in consent.purposes}
    assert not any(s.granted for s in state.values())


def test_purge_removes_identities_past_the_keeping_period_and_keeps_the_audit_log(harness: Harness) -> None:
    first = harness.submit(type="opt_out_sale_sharing", email=shop.ALICE, jurisdiction="ccpa")
    harness.run_jobs()
    harness.clock.advance(days=400)
    second = harness.submit(type="opt_out_sale_sharing", email=shop.BOB, jurisdiction="ccpa")
    harness.run_jobs()
    harness.clock.advance(days=350)  # the first is 750 days old (past 24 months), the second 350
    with harness.service.plane.read() as session:
        entries_before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    early = purge(harness.service, Period.parse("300d"))  # asks for less than the rule set keeps
    assert (early.purged, early.kept_for_rules) == (1, 1)
    with harness.service.plane.read() as session:
        assert session.scalars(sa.select(Identity.request_id).distinct()).all() == [second["id"]]
        kept = session.get(Request, first["id"])
        assert kept is not None and kept.status == "completed" and kept.details is None
        assert kept.received_at is not None and kept.type == "opt_out_sale_sharing"
        assert all(r.result_encrypted == b"" for r in session.scalars(
            sa.select(RequestResult).where(RequestResult.request_id == first["id"])))
        entries_after = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        purged_entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "request.purged")).all()
        assert audit.verify(session).ok
    assert entries_after == (entries_before or 0) + 1
    assert [e.request_id for e in purged_entries] == [first["id"]]
    assert purge(harness.service, Period.parse("24m")).purged == 0  # nothing left that old


def test_purge_never_touches_open_requests_and_can_dry_run(harness: Harness) -> None:
    harness.submit(type="access", email=shop.ALICE, jurisdiction="ccpa")  # waits for its code: open
    done = harness.submit(type="portability", email=shop.BOB, jurisdiction="ccpa")
    harness.client.post(f"/v1/requests/{done['id']}/verify", json={"code": harness.code(shop.BOB)})
    harness.clock.advance(days=800)
    assert purge(harness.service, Period.parse("2y"), dry_run=True).purged == 1
    with harness.service.plane.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 2
    assert purge(harness.service, Period.parse("2y")).purged == 1
    with harness.service.plane.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Package)) == 0


def test_periods() -> None:
    assert Period.parse("24m") == Period(24, "months") == Period.parse("2y")
    assert Period.parse("730d") == Period(730, "days")
