"""Malformed input gets a JSON 4xx, never a 5xx; security headers; rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import shop
from tests.service.conftest import Harness, Template, start

BAD_BODIES = [
    b"not json", b"[]", b"{}", b'{"type": "nonsense", "email": "a@b.c"}', b'{"type": "access"}',
    b'{"type": "access", "email": "not-an-address"}', b'{"type": "access", "email": 5}',
    b'{"type": "access", "email": "a@b.c", "jurisdiction": "mars"}', b'{"type": "access", "email": "a@b.c", "x": 1}',
    b'{"type": "correction", "email": "a@b.c", "corrections": {"nope.nope.nope": 1}}',
    b'{"type": "correction", "email": "a@b.c", "corrections": {"shop.customers.id": 1}}',
    b'{"type": "access", "phone": "+14155550101"}', b'{"type": "access", "email": "' + b"a" * 400 + b'@b.c"}',
]


@pytest.mark.parametrize("payload", BAD_BODIES)
def test_malformed_requests_get_json_4xx(harness: Harness, payload: bytes) -> None:
    answer = harness.client.post("/v1/requests", content=payload, headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message"} and error["message"]


def test_bad_paths_and_methods(harness: Harness) -> None:
    assert harness.client.get("/v1/requests/not-a-uuid").status_code == 422
    assert harness.client.get("/v1/nothing-here").json()["error"]["code"] == "not_found"
    assert harness.client.delete("/v1/requests").status_code == 405
    verify = harness.client.post("/v1/requests/00000000-0000-4000-8000-000000000000/verify", json={"code": "123456"})
    assert verify.status_code == 404
    assert harness.client.post("/v1/requests/00000000-0000-4000-8000-000000000000/verify",
                               json={"code": "12"}).status_code == 422


def test_security_headers(harness: Harness) -> None:
    answer = harness.client.post("/v1/requests", json={"type": "opt_out_sale_sharing", "email": shop.ALICE})
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.fixture
def limited(tmp_path: Path, template: Template) -> Iterator[Harness]:
    yield from start(tmp_path, template=template, rate_limit_per_minute=3)


def test_public_endpoints_are_rate_limited(limited: Harness) -> None:
    codes = [limited.client.post("/v1/requests", json={"type": "opt_out_sale_sharing", "email": shop.BOB}).status_code
             for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert limited.client.get("/v1/admin/requests", headers=limited.key("requests:read")).status_code == 200


def test_openapi_is_served(harness: Harness) -> None:
    paths = harness.client.get("/openapi.json").json()["paths"]
    assert {"/v1/requests", "/v1/requests/{request_id}/verify", "/v1/packages/{token}",
            "/v1/discovery", "/v1/opencompliance_requests"} <= set(paths)
