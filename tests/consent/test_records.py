"""Consent records: append-only events, derived state, linking, proof export, the audit chain."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from custos.consent import proof
from custos.consent.models import ConsentEvent
from custos.consent.proof import consent_history
from custos.controlplane import AppendOnlyError, AuditEntry
from custos.service import audit
from tests.consent.conftest import Harness

DEVICE = "device-aaaaaaaa"
OTHER = "device-bbbbbbbb"


def test_choice_is_recorded_and_state_derived(harness: Harness) -> None:
    first = harness.post({"subject": DEVICE, "choices": {"analytics": True, "advertising": False},
                          "method": "banner"}, **{"User-Agent": "TestBrowser/1"})
    assert first["recorded"] == 2
    assert first["choices"]["analytics"]["granted"] is True
    assert first["choices"]["analytics"]["notice_version"] == first["notice_version"]
    assert len(first["notice_version"]) == 64
    harness.clock.advance(minutes=5)
    harness.post({"subject": DEVICE, "choices": {"analytics": False}, "method": "banner"})
    state = harness.client.get("/v1/consent", params={"subject": DEVICE}).json()
    assert state["choices"]["analytics"]["granted"] is False
    assert state["choices"]["advertising"]["granted"] is False
    assert "sale" in state["undecided"]
    with harness.consent.service.plane.read() as session:
        events = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.purpose, e.granted) for e in events] == [("advertising", False), ("analytics", True),
                                                         ("analytics", False)]
    assert events[0].user_agent == "TestBrowser/1"
    assert {e.method for e in events} == {"banner"}


def test_events_are_append_only(harness: Harness) -> None:
    harness.post({"subject": DEVICE, "choices": {"analytics": True}})
    with pytest.raises(AppendOnlyError):
        with harness.consent.service.plane.write() as session:
            event = session.scalars(sa.select(ConsentEvent)).one()
            event.granted = False
    with pytest.raises(AppendOnlyError):
        with harness.consent.service.plane.write() as session:
            session.delete(session.scalars(sa.select(ConsentEvent)).one())


@pytest.mark.parametrize("body", [
    {"subject": "short", "choices": {"analytics": True}},
    {"subject": DEVICE, "choices": {"nonsense": True}},
    {"subject": DEVICE, "choices": {"analytics": "maybe"}},
    {"subject": DEVICE, "choices": {"analytics": True}, "method": "gpc"},
    {"subject": DEVICE, "choices": {"analytics": True}, "notice_version": "f" * 64},
    {"subject": "x' OR 1=1 --aaaa", "choices": {"analytics": True}},
    {"subject": DEVICE, "choices": {"analytics": True}, "extra": 1},
])
def test_malformed_choices_are_refused_with_4xx(harness: Harness, body: dict[str, object]) -> None:
    answer = harness.client.post("/v1/consent", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"


def test_unknown_purpose_error_names_the_valid_ones(harness: Harness) -> None:
    answer = harness.client.post("/v1/consent", json={"subject": DEVICE, "choices": {"nonsense": True}})
    assert "analytics" in answer.json()["error"]["message"]


def test_every_choice_is_one_audit_entry_in_an_intact_chain(harness: Harness) -> None:
    harness.post({"subject": DEVICE, "choices": {"analytics": True, "advertising": True}})
    with harness.consent.service.plane.read() as session:
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "consent.recorded")).all()
        assert len(entries) == 1
        assert entries[0].detail["choices"] == {"advertising": True, "analytics": True}
        assert audit.verify(session).ok


def test_proof_export_matches_every_event_recorded(harness: Harness) -> None:
    choices = [{"analytics": True}, {"advertising": True, "analytics": False}, {"sale": False}]
    for choice in choices:
        harness.post({"subject": DEVICE, "choices": choice, "method": "banner"})
        harness.clock.advance(seconds=30)
    harness.post({"subject": DEVICE, "choices": {}}, **{"Sec-GPC": "1"})
    harness.post({"subject": OTHER, "choices": {"analytics": True}})  # someone else: not in the proof
    document = proof.export(harness.consent, DEVICE)
    with harness.consent.service.plane.read() as session:
        stored = session.scalars(sa.select(ConsentEvent).where(ConsentEvent.subject == DEVICE)
                                 .order_by(ConsentEvent.id)).all()
        chain = {e.seq: e.entry_hash for e in session.scalars(sa.select(AuditEntry))}
    assert [e["event_id"] for e in document["events"]] == [e.event_id for e in stored]
    for exported, event in zip(document["events"], stored, strict=True):
        assert exported["purpose"] == event.purpose
        assert exported["granted"] == event.granted
        assert exported["method"] == event.method
        assert exported["notice_version"] == event.notice_version
        assert exported["at"] == event.at.isoformat()
        assert exported["audit"]["entry_hash"] == chain[exported["audit"]["seq"]]
    methods = [e["method"] for e in document["events"]]
    assert methods.count("gpc") == 3  # advertising was granted, sharing and targeted_advertising undecided
    assert document["current"]["advertising"]["granted"] is False
    admin = harness.client.get("/v1/admin/consent/proof", params={"subject": DEVICE},
                               headers=harness.key("audit:read"))
    assert admin.status_code == 200
    assert [e["event_id"] for e in admin.json()["events"]] == [e.event_id for e in stored]


def test_proof_needs_an_operator(harness: Harness) -> None:
    assert harness.client.get("/v1/admin/consent/proof", params={"subject": DEVICE}).status_code == 401


def test_sign_in_links_devices_and_access_package_gets_the_history(harness: Harness) -> None:
    harness.post({"subject": DEVICE, "choices": {"analytics": True}})
    harness.post({"subject": OTHER, "choices": {"advertising": False}}, **{"Sec-GPC": "1"})
    refused = harness.client.post("/v1/consent/links", json={"subject": DEVICE, "identities": {"email": "a@x.io"}})
    assert refused.status_code == 401  # a browser cannot claim an identity
    key = harness.key("requests:write")
    for device in (DEVICE, OTHER):
        answer = harness.client.post("/v1/consent/links", headers=key,
                                     json={"subject": device, "identities": {"email": " Alice@Example.com "}})
        assert answer.status_code == 200, answer.text
    assert answer.json()["linked_subjects"] == [DEVICE, OTHER]
    # The opt-out made on the other browser holds for the person on this one (GPC for signed-in people).
    state = harness.client.get("/v1/consent", params={"subject": DEVICE}).json()
    assert state["choices"]["sale"]["granted"] is False
    assert state["choices"]["analytics"]["granted"] is True
    history = consent_history(harness.consent.service, {"email": ["alice@example.com"]})
    assert {e["subject"] for e in history["events"]} == {DEVICE, OTHER}
    assert history["current"]["sharing"]["method"] == "gpc"
    assert consent_history(harness.consent.service, {"email": ["nobody@example.com"]})["events"] == []
