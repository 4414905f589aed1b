"""Requests verified by their sender (OpenDSR controllers, authorized agents) are held to the
rule set's frequency limit as soon as they arrive, as requests verified by the person are."""

from __future__ import annotations

import sqlalchemy as sa

from custos.controlplane import AuditEntry
from custos.service.requests.intake import Intake, create, refuse_at_intake
from custos.service.requests.records import send
from tests import shop
from tests.service.conftest import Harness


def frequency_checks(harness: Harness, request_id: str) -> list[dict[str, object]]:
    with harness.service.plane.read() as session:
        return [dict(e.detail) for e in session.scalars(sa.select(AuditEntry).where(
            AuditEntry.request_id == request_id, AuditEntry.action == "request.frequency"))]


def pre_verified(harness: Harness, kind: str, email: str) -> Intake:
    return Intake(type=kind, identities={"email": email}, jurisdiction="ccpa", source="opendsr",
                           pre_verified=True)


def test_pre_verified_requests_over_the_limit_are_denied(harness: Harness) -> None:
    statuses = []
    for kind in ("access", "categories", "portability"):
        harness.clock.advance(seconds=1)
        request, _token, mails = create(harness.service, pre_verified(harness, kind, shop.ALICE))
        send(harness.service, mails)
        statuses.append(request.status)
        assert len(frequency_checks(harness, request.id)) == 1
    assert statuses == ["in_progress", "in_progress", "denied"]
    assert "1798.130(b)" in (request.denial_reason or "")
    assert frequency_checks(harness, request.id)[0]["allowed"] is False
    assert harness.mails(shop.ALICE, "refusal")


def test_other_requests_of_the_same_person_are_not_counted(harness: Harness) -> None:
    for _ in range(3):
        harness.clock.advance(seconds=1)
        request, _token, _mails = create(harness.service, pre_verified(harness, "erasure", shop.BOB))
        assert request.status in ("verified", "in_progress")


def test_paths_without_pre_verification_are_unchanged(harness: Harness) -> None:
    opt_out, _, _ = create(harness.service, Intake(
        type="opt_out_sale_sharing", identities={"email": shop.BOB}, jurisdiction="ccpa"))
    assert opt_out.status == "in_progress" and frequency_checks(harness, opt_out.id) == []
    access, _, _ = create(harness.service, Intake(
        type="access", identities={"email": shop.BOB}, jurisdiction="ccpa"))
    assert access.status == "identity_unverified" and frequency_checks(harness, access.id) == []


def test_refused_at_intake_is_an_ordinary_denied_request(harness: Harness) -> None:
    request, mails = refuse_at_intake(
        harness.service, Intake(type="access", identities={"email": shop.BOB}, jurisdiction="nowhere",
                                         source="api"),
        code="outside_jurisdiction", reason="not a law this organization answers under")
    send(harness.service, mails)
    assert (request.status, request.denial_reason) == ("denied", "not a law this organization answers under")
    assert request.jurisdiction == harness.service.jurisdictions[0] and request.due_at is not None
    with harness.service.plane.read() as session:
        trail = [(e.action, e.detail.get("code")) for e in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.request_id == request.id).order_by(AuditEntry.id))]
    assert ("request.refused_at_intake", "outside_jurisdiction") in trail
    assert harness.mails(shop.BOB, "refusal")
