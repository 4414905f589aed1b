"""Status callbacks reach a real HTTP server on loopback, are retried with backoff, and logged."""

from __future__ import annotations

import sqlalchemy as sa

from custos.agents import callbacks
from custos.controlplane import AuditEntry
from custos.service.requests import decisions
from tests.agents.conftest import AGENT, CallbackServer, Harness
from tests.agents.test_exercise import ATTORNEY
from tests.shop import ALICE


def test_each_status_change_is_called_back(harness: Harness, callback_server: CallbackServer) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("deletion", status_callback=callback_server.url, **ATTORNEY)
    request_id = answer["request_id"]
    assert callbacks.run_pending(harness.service) == 0  # the agent has this status already
    decisions.approve(harness.service, request_id, actor="user:operator@test")
    harness.run_jobs()
    assert callbacks.run_pending(harness.service) == 1
    assert [(b["request_id"], b["status"]) for b in callback_server.received] == [(request_id, "fulfilled")]
    assert callbacks.run_pending(harness.service) == 0  # final: nothing more is sent


def test_need_user_verification_is_called_back(harness: Harness, callback_server: CallbackServer) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("access", email=ALICE, status_callback=callback_server.url)["request_id"]
    harness.clock.advance(days=60)
    callbacks.run_pending(harness.service)
    assert callback_server.received[-1]["status"] == "expired"
    assert callback_server.received[-1]["request_id"] == request_id


def test_failed_delivery_is_retried_with_backoff_and_logged(
    harness: Harness, callback_server: CallbackServer,
) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("sale:opt_out", email=ALICE,
                                        status_callback=callback_server.url)["request_id"]
    harness.run_jobs()
    callback_server.failures_left = 1
    assert callbacks.run_pending(harness.service) == 1
    assert callback_server.received == []
    assert callbacks.run_pending(harness.service) == 0  # not due yet
    harness.clock.advance(seconds=31)
    assert callbacks.run_pending(harness.service) == 1
    assert [b["status"] for b in callback_server.received] == ["fulfilled"]
    log = harness.client.get(f"/v1/admin/agents/{AGENT}/callbacks", headers=harness.admin("requests:read")).json()
    assert [(d["state"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 2, 200)]
    with harness.service.plane.read() as session:
        outcomes = [e.detail["outcome"] for e in session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "agent.callback", AuditEntry.request_id == request_id).order_by(AuditEntry.id))]
    assert outcomes == ["pending", "delivered"]


def test_unreachable_agent_gives_up_after_the_last_attempt(harness: Harness) -> None:
    harness.agent.pair()
    harness.agent.exercise("sale:opt_out", email=ALICE, status_callback="http://127.0.0.1:9/nothing-listens")
    harness.run_jobs()
    for _ in range(callbacks.MAX_ATTEMPTS):
        callbacks.run_pending(harness.service)
        harness.clock.advance(hours=7)
    log = callbacks.log_of(harness.service, AGENT)
    assert [(d.state, d.attempts) for d in log] == [("failed", callbacks.MAX_ATTEMPTS)]
    assert callbacks.backoff(1).total_seconds() == 30 and callbacks.backoff(30).total_seconds() == 6 * 3600
