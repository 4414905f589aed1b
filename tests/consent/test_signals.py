"""Global Privacy Control and Do Not Track on the server, and /.well-known/gpc.json."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from custos.consent import ConsentSettings
from custos.datamap import DataMap
from tests.consent.conftest import Harness, build_app

DEVICE = "device-gpc-0001"
OPT_OUTS = {"advertising", "sale", "sharing", "targeted_advertising"}


def test_gpc_json(harness: Harness) -> None:
    answer = harness.client.get("/.well-known/gpc.json")
    assert answer.status_code == 200
    assert answer.json() == {"gpc": True, "version": 1, "lastUpdate": "2026-01-01"}


def test_sec_gpc_turns_off_sale_sharing_and_targeted_ads_without_asking(harness: Harness) -> None:
    state = harness.post({"subject": DEVICE, "choices": {}}, **{"Sec-GPC": "1"})
    assert state["gpc_honored"] is True and state["opt_out_signal"] == "gpc"
    assert {k for k, v in state["choices"].items() if v["granted"] is False and v["method"] == "gpc"} == OPT_OUTS
    assert "analytics" in state["undecided"]  # GPC says nothing about analytics
    again = harness.post({"subject": DEVICE, "choices": {}}, **{"Sec-GPC": "1"})
    assert again["recorded"] == 0  # honored once; not a new event on every page


def test_gpc_wins_over_a_grant_made_while_it_is_on(harness: Harness) -> None:
    state = harness.post({"subject": DEVICE, "choices": {"advertising": True, "analytics": True}},
                         **{"Sec-GPC": "1"})
    assert state["choices"]["advertising"]["granted"] is False
    assert state["choices"]["analytics"]["granted"] is True


def test_gpc_from_the_page_counts_like_the_header(harness: Harness) -> None:
    state = harness.post({"subject": DEVICE, "choices": {}, "gpc": True})
    assert state["gpc_honored"] is True


def test_earlier_grant_is_withdrawn_by_gpc(harness: Harness) -> None:
    harness.post({"subject": DEVICE, "choices": {"advertising": True}})
    harness.clock.advance(seconds=1)
    state = harness.post({"subject": DEVICE, "choices": {}}, **{"Sec-GPC": "1"})
    assert state["choices"]["advertising"] == {**state["choices"]["advertising"], "granted": False, "method": "gpc"}


def test_dnt_is_ignored_by_default(harness: Harness) -> None:
    state = harness.post({"subject": DEVICE, "choices": {}}, DNT="1")
    assert state["recorded"] == 0 and state["opt_out_signal"] is None


def test_dnt_is_honored_when_set(tmp_path: Path, datamap: DataMap) -> None:
    app = build_app(tmp_path, datamap)
    app.state.consent.settings = ConsentSettings(honor_dnt=True, webhook_worker=False)
    with TestClient(app) as client:
        state = client.post("/v1/consent", json={"subject": DEVICE, "choices": {}}, headers={"DNT": "1"}).json()
    assert state["opt_out_signal"] == "dnt"
    assert {k for k, v in state["choices"].items() if v["method"] == "dnt"} == OPT_OUTS


def test_install_twice_keeps_one_state(tmp_path: Path, datamap: DataMap) -> None:
    app = build_app(tmp_path, datamap)
    consent = app.state.consent
    from custos.consent.context import attach

    assert attach(app) is consent


def test_cors_for_the_site_pages(harness: Harness) -> None:
    answer = harness.client.options("/v1/consent", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "https://shop.example"
    config = harness.client.get("/v1/consent/config", params={"lang": "de-AT"},
                                headers={"Origin": "https://shop.example"})
    assert config.headers["access-control-allow-origin"] == "https://shop.example"
    body = config.json()
    assert body["language"] == "de" and body["texts"]["reject_all"] == "Alle ablehnen"
    assert [p["key"] for p in body["purposes"]] == ["analytics", "advertising", "sale", "sharing",
                                                    "targeted_advertising"]
