"""Rate limits on the public consent and email endpoints; the 12-month wait after an opt-out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custos.config import get_settings
from custos.consent import ConsentSettings, install
from custos.datamap import DataMap
from custos.server import create_app
from tests.consent.conftest import Clock, Harness

DEVICE = "device-wait-0001"


@pytest.fixture
def limited(tmp_path: Path, datamap: DataMap) -> Iterator[TestClient]:
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'custos.db'}", state_dir=str(tmp_path / "state"),
                            outbox_dir=str(tmp_path / "outbox"), public_url="http://testserver",
                            secret_key="k" * 40)
    app = create_app(settings, clock=Clock(), datamap=datamap, run_jobs=False, pages=False, extensions=False)
    install(app, settings=ConsentSettings(webhook_worker=False, rate_limit_per_minute=3))
    with TestClient(app) as client:
        yield client


def test_consent_endpoints_are_rate_limited_per_client(limited: TestClient) -> None:
    body = {"subject": "device-limit-0001", "choices": {"analytics": True}}
    assert [limited.post("/v1/consent", json=body).status_code for _ in range(3)] == [201, 201, 201]
    refused = limited.post("/v1/consent", json=body)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert limited.get("/v1/consent", params={"subject": "device-limit-0001"}).status_code == 429
    assert limited.get("/v1/consent/config").status_code == 429
    # Another group keeps its own count, and the site's back end (API key) is not counted.
    assert limited.post("/v1/email/subscriptions", json={"email": "a@example.com"}).status_code == 202


def test_email_endpoints_are_rate_limited_but_one_click_never_is(limited: TestClient) -> None:
    codes = [limited.post("/v1/email/subscriptions", json={"email": f"p{n}@example.com"}).status_code
             for n in range(4)]
    assert codes == [202, 202, 202, 429]
    assert limited.get("/unsubscribe/not-a-token").status_code == 429
    assert limited.get("/email/preferences/not-a-token").status_code == 429
    # RFC 8058 one-click comes from mailbox providers for many people: never refused for volume.
    assert {limited.post("/unsubscribe/not-a-token").status_code for _ in range(5)} == {404}


def test_after_an_opt_out_the_banner_may_not_ask_again_for_twelve_months(harness: Harness) -> None:
    config = harness.client.get("/v1/consent/config").json()
    assert config["reask_days"] == 365
    answer = harness.post({"subject": DEVICE, "choices": {"sale": False, "advertising": False, "analytics": False},
                           "method": "banner"})
    opted_out = datetime.fromisoformat(answer["choices"]["sale"]["at"])
    wait = answer["ask_again_after"]
    assert set(wait) == {"sale", "advertising"}  # opt-out rights; a declined analytics cookie is not one
    assert datetime.fromisoformat(wait["sale"]) == opted_out + timedelta(days=365)
    harness.clock.advance(days=200)
    state = harness.client.get("/v1/consent", params={"subject": DEVICE}).json()
    assert datetime.fromisoformat(state["ask_again_after"]["sale"]) == opted_out + timedelta(days=365)
    harness.clock.advance(days=166)
    harness.consent.states.clear()
    state = harness.client.get("/v1/consent", params={"subject": DEVICE}).json()
    assert state["ask_again_after"] == {}


def test_gpc_opt_out_starts_the_wait_too(harness: Harness) -> None:
    answer = harness.post({"subject": DEVICE, "choices": {}}, **{"Sec-GPC": "1"})
    assert {"sale", "sharing", "targeted_advertising", "advertising"} <= set(answer["ask_again_after"])
    # The person may still opt back in on their own (without GPC): that is not the site asking.
    again = harness.post({"subject": DEVICE, "choices": {"sale": True}})
    assert again["choices"]["sale"]["granted"] is True and "sale" not in again["ask_again_after"]


def test_reask_days_cannot_be_set_below_twelve_months() -> None:
    with pytest.raises(ValueError, match="365"):
        ConsentSettings(reask_days=100)
