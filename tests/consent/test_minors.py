"""Under 16: selling or sharing needs opt-in, confirmed in a second step (a parent's under 13)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from custos.consent.models import ConsentEvent, SubjectAge
from custos.controlplane import AuditEntry
from tests.consent.conftest import Harness

TEEN = "device-teen-0001"
CHILD = "device-child-001"


def post(harness: Harness, body: dict[str, Any], status: int) -> dict[str, Any]:
    answer = harness.client.post("/v1/consent", json=body)
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


def sale_events(harness: Harness, subject: str) -> list[ConsentEvent]:
    with harness.consent.service.plane.read() as session:
        return list(session.scalars(sa.select(ConsentEvent).where(
            ConsentEvent.subject == subject, ConsentEvent.purpose.in_(["sale", "sharing"]))))


def test_teen_opt_in_needs_a_second_step_by_the_teen(harness: Harness) -> None:
    first = post(harness, {"subject": TEEN, "age_band": "13_15", "method": "form",
                           "choices": {"sale": True, "sharing": True, "analytics": True}}, 202)
    assert first["recorded"] == 1 and first["choices"]["analytics"]["granted"] is True
    assert "sale" not in first["choices"] and first["age_band"] == "13_15"
    step = first["confirmation_required"]
    assert step["purposes"] == ["sale", "sharing"] and step["confirmed_by"] == "self"
    assert sale_events(harness, TEEN) == []

    # Without the token, a later call (age band now stored on the subject) is refused the same way.
    again = post(harness, {"subject": TEEN, "choices": {"sale": True}}, 202)
    assert again["confirmation_required"]["purposes"] == ["sale"] and sale_events(harness, TEEN) == []
    # A token for another subject, or confirmed by the wrong person, is refused.
    assert harness.client.post("/v1/consent", json={
        "subject": "device-other-001", "choices": {"sale": True}, "confirmation": step["token"],
        "confirmed_by": "self"}).status_code == 422
    assert harness.client.post("/v1/consent", json={
        "subject": TEEN, "choices": {"sale": True}, "confirmation": step["token"],
        "confirmed_by": "parent"}).status_code == 422
    assert harness.client.post("/v1/consent", json={
        "subject": TEEN, "choices": {"sale": True}, "confirmation": step["token"][:-2] + "xx",
        "confirmed_by": "self"}).status_code == 422

    harness.clock.advance(minutes=2)
    second = post(harness, {"subject": TEEN, "choices": {"sale": True, "sharing": True},
                            "confirmation": step["token"], "confirmed_by": "self"}, 201)
    assert second["choices"]["sale"]["granted"] is True and second["confirmation_required"] is None
    events = sale_events(harness, TEEN)
    assert len(events) == 2
    assert events[0].evidence["age_band"] == "13_15"
    assert events[0].evidence["two_step"]["confirmed_by"] == "self"
    assert events[0].evidence["two_step"]["requested_at"] < events[0].evidence["two_step"]["confirmed_at"]


def test_child_opt_in_needs_a_parent_and_expires(harness: Harness) -> None:
    first = post(harness, {"subject": CHILD, "age_band": "under_13", "choices": {"sale": True}}, 202)
    step = first["confirmation_required"]
    assert step["confirmed_by"] == "parent"
    assert harness.client.post("/v1/consent", json={
        "subject": CHILD, "choices": {"sale": True}, "confirmation": step["token"],
        "confirmed_by": "self"}).status_code == 422
    harness.clock.advance(minutes=31)
    assert harness.client.post("/v1/consent", json={
        "subject": CHILD, "choices": {"sale": True}, "confirmation": step["token"],
        "confirmed_by": "parent"}).status_code == 410
    step = post(harness, {"subject": CHILD, "choices": {"sale": True}}, 202)["confirmation_required"]
    done = post(harness, {"subject": CHILD, "choices": {"sale": True}, "confirmation": step["token"],
                          "confirmed_by": "parent"}, 201)
    assert done["choices"]["sale"]["granted"] is True
    assert sale_events(harness, CHILD)[0].evidence["two_step"]["confirmed_by"] == "parent"


def test_denials_and_adults_need_no_confirmation(harness: Harness) -> None:
    denied = post(harness, {"subject": TEEN, "age_band": "13_15", "choices": {"sale": False, "sharing": False}}, 201)
    assert denied["recorded"] == 2 and denied["confirmation_required"] is None
    adult = post(harness, {"subject": "device-adult-001", "age_band": "16_plus", "choices": {"sale": True}}, 201)
    assert adult["choices"]["sale"]["granted"] is True
    unknown = post(harness, {"subject": "device-unknown-01", "choices": {"sale": True}}, 201)
    assert unknown["choices"]["sale"]["granted"] is True


def test_age_declarations_are_kept_and_audited(harness: Harness) -> None:
    post(harness, {"subject": TEEN, "age_band": "13_15", "choices": {}}, 201)
    post(harness, {"subject": TEEN, "age_band": "13_15", "choices": {}}, 201)  # unchanged: nothing new
    post(harness, {"subject": TEEN, "age_band": "16_plus", "choices": {}}, 201)
    with harness.consent.service.plane.read() as session:
        bands = [a.age_band for a in session.scalars(sa.select(SubjectAge).order_by(SubjectAge.id))]
        declared = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "consent.age_declared")).all()
    assert bands == ["13_15", "16_plus"]
    assert [d.detail["age_band"] for d in declared] == ["13_15", "16_plus"]
    assert post(harness, {"subject": TEEN, "choices": {"sale": True}}, 201)["choices"]["sale"]["granted"]


def test_a_linked_device_of_a_minor_is_held_to_the_same_rule(harness: Harness) -> None:
    writer = harness.key("requests:write")
    post(harness, {"subject": TEEN, "age_band": "13_15", "choices": {}}, 201)
    for device in (TEEN, "device-teen-0002"):
        harness.client.post("/v1/consent/links", headers=writer,
                            json={"subject": device, "identities": {"email": "teen@example.com"}})
    answer = post(harness, {"subject": "device-teen-0002", "choices": {"targeted_advertising": True}}, 202)
    assert answer["confirmation_required"]["purposes"] == ["targeted_advertising"]
