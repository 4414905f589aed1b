"""OpenDSR 1.0: discovery, create, status, cancel, signed callbacks."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests import shop
from tests.service.conftest import Harness


def body(**extra: Any) -> dict[str, Any]:
    return {"subject_request_id": str(uuid.uuid4()), "subject_request_type": "access", "regulation": "gdpr",
            "submitted_time": "2026-03-02T10:00:00Z",
            "subject_identities": [{"identity_type": "email", "identity_value": shop.ALICE,
                                    "identity_format": "raw"}], **extra}


def check_signature(harness: Harness, payload: bytes, signature: str) -> None:
    pem = harness.client.get("/v1/opendsr/certificate.pem").content
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(base64.b64decode(signature), payload, padding.PKCS1v15(), hashes.SHA256())


def test_discovery(harness: Harness) -> None:
    answer = harness.client.get("/v1/discovery")
    assert answer.status_code == 200
    found = answer.json()
    assert found["api_version"] == "1.0"
    assert set(found["supported_subject_request_types"]) == {"access", "portability", "erasure"}
    check_signature(harness, answer.content, answer.headers["X-OpenDSR-Signature"])
    assert harness.client.get("/v1/status").json()["status"] == "ok"


@pytest.mark.parametrize("collection", ["opencompliance_requests", "opengdpr_requests"])
def test_create_status_complete(harness: Harness, collection: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, bytes, dict[str, str]]] = []

    def fake_post(url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        calls.append((url, content, headers))
        return httpx.Response(200)

    monkeypatch.setattr(httpx, "post", fake_post)
    key = harness.key("opendsr")
    request = body(status_callback_urls=["https://controller.example/callbacks"])
    created = harness.client.post(f"/v1/{collection}", json=request, headers=key)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["subject_request_id"] == request["subject_request_id"]
    assert answer["expected_completion_time"].startswith("2026-04-0")
    assert "processor_signature" in answer and "received_time" in answer
    status = harness.client.get(f"/v1/{collection}/{request['subject_request_id']}", headers=key)
    assert status.json()["request_status"] == "in_progress"
    check_signature(harness, status.content, status.headers["X-OpenGDPR-Signature"])
    harness.run_jobs()
    status = harness.client.get(f"/v1/{collection}/{request['subject_request_id']}", headers=key).json()
    assert status["request_status"] == "completed"
    assert "/v1/packages/" in status["results_url"]
    assert calls, "callbacks are sent on state changes"
    for url, payload, headers in calls:
        assert url == "https://controller.example/callbacks"
        check_signature(harness, payload, headers["X-OpenDSR-Signature"])
    assert b'"request_status":"completed"' in calls[-1][1]


def test_cancel_while_pending(harness: Harness) -> None:
    key = harness.key("opendsr")
    request = body(subject_request_type="erasure")  # erasure waits for approval: still pending
    assert harness.client.post("/v1/opencompliance_requests", json=request, headers=key).status_code == 201
    url = f"/v1/opencompliance_requests/{request['subject_request_id']}"
    cancelled = harness.client.delete(url, headers=key)
    assert cancelled.status_code == 202, cancelled.text
    assert harness.client.get(url, headers=key).json()["request_status"] == "cancelled"
    assert harness.client.delete(url, headers=key).status_code == 409


def test_bad_requests_are_refused(harness: Harness) -> None:
    key = harness.key("opendsr")
    hashed = body(subject_identities=[{"identity_type": "email", "identity_value": "ab", "identity_format": "sha256"}])
    assert harness.client.post("/v1/opencompliance_requests", json=hashed, headers=key).status_code == 422
    wrong = body(subject_request_type="rectification")
    assert harness.client.post("/v1/opencompliance_requests", json=wrong, headers=key).status_code == 422
    twice = body()
    assert harness.client.post("/v1/opencompliance_requests", json=twice, headers=key).status_code == 201
    assert harness.client.post("/v1/opencompliance_requests", json=twice, headers=key).status_code == 409
    from custos.service.auth import create_api_key

    other = {"Authorization": f"Bearer {create_api_key(harness.service, 'another controller', ['opendsr'])}"}
    assert harness.client.get(f"/v1/opencompliance_requests/{twice['subject_request_id']}",
                              headers=other).status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/cb", "http://localhost/cb", "http://192.168.1.4/cb",
                                 "http://[::1]/cb", "http://169.254.169.254/latest/meta-data"])
def test_a_status_callback_to_a_private_address_is_refused_at_intake(harness: Harness, url: str) -> None:
    """Custos posted status callbacks to any URL, loopback included (server-side request forgery)."""
    answer = harness.client.post("/v1/opengdpr_requests", json=body(status_callback_urls=[url]),
                                 headers=harness.key("opendsr"))
    assert answer.status_code == 422 and "private" in answer.text


def test_two_controllers_may_use_the_same_request_id_and_each_sees_its_own(harness: Harness) -> None:
    """OpenDSR ids were unique across controllers: a second controller got 409 for an id the
    first had used, and could learn that it existed."""
    from custos.service.auth import create_api_key

    first = harness.key("opendsr")
    second = {"Authorization": f"Bearer {create_api_key(harness.service, 'another controller', ['opendsr'])}"}
    shared = body()
    assert harness.client.post("/v1/opencompliance_requests", json=shared, headers=first).status_code == 201
    theirs = dict(shared, subject_request_type="erasure",
                  subject_identities=[{"identity_type": "email", "identity_value": shop.BOB, "identity_format": "raw"}])
    assert harness.client.post("/v1/opencompliance_requests", json=theirs, headers=second).status_code == 201
    assert harness.client.post("/v1/opencompliance_requests", json=theirs, headers=second).status_code == 409
    url = f"/v1/opencompliance_requests/{shared['subject_request_id']}"
    mine, other = harness.client.get(url, headers=first).json(), harness.client.get(url, headers=second).json()
    assert mine["subject_request_id"] == other["subject_request_id"] == shared["subject_request_id"]
    assert mine["controller_id"] == "apikey:test" and other["controller_id"] == "apikey:another controller"
    # each controller's id leads to its own request: the access runs, the erasure waits for approval
    assert mine["request_status"] == "in_progress" and other["request_status"] == "pending"
    assert harness.client.delete(url, headers=second).status_code == 202
    assert harness.client.get(url, headers=second).json()["request_status"] == "cancelled"
    assert harness.client.get(url, headers=first).json()["request_status"] == "in_progress"
