"""OpenDSR 1.0 (formerly OpenGDPR): response signatures and status callbacks.

Responses and callbacks are signed with the processor's RSA key (PKCS#1 v1.5, SHA-256,
Base64 in ``X-OpenDSR-Signature`` and the legacy ``X-OpenGDPR-Signature``); the key and a
self-signed certificate for it are made on first use in the state folder, and the
certificate is served at ``/v1/opendsr/certificate.pem`` (named by ``/v1/discovery``).
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from custos.controlplane import Job, Request
from custos.service.core import Service
from custos.service.outbound import resolution_refusal
from custos.service.requests.lifecycle import load

API_VERSION = "1.0"
STATUS = {
    "received": "pending", "identity_unverified": "pending", "verified": "pending", "approved": "pending",
    "in_progress": "in_progress", "failed": "in_progress", "completed": "completed", "denied": "completed",
    "cancelled": "cancelled",
}
IDENTITY_TYPES = {"email": "email", "controller_customer_id": "user_id", "phone_number": "phone"}
REQUEST_TYPES = ("access", "portability", "erasure")


class Signer:
    """The processor's signing key and certificate."""

    def __init__(self, state_dir: str | Path, domain: str) -> None:
        folder = Path(state_dir)
        folder.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = folder / "opendsr-key.pem", folder / "opendsr-cert.pem"
        if not key_path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(self.key, rsa.RSAPrivateKey)
        if not cert_path.exists():
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
            moment = datetime.now(UTC)
            certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                           .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                           .not_valid_before(moment - timedelta(days=1))
                           .not_valid_after(moment + timedelta(days=825))
                           .sign(self.key, hashes.SHA256()))
            cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.certificate = cert_path.read_bytes()
        self.domain = domain

    def sign(self, body: bytes) -> str:
        assert isinstance(self.key, rsa.RSAPrivateKey)
        return base64.b64encode(self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()

    def headers(self, body: bytes) -> dict[str, str]:
        signature = self.sign(body)
        return {"X-OpenDSR-Processor-Domain": self.domain, "X-OpenDSR-Signature": signature,
                "X-OpenGDPR-Processor-Domain": self.domain, "X-OpenGDPR-Signature": signature}


@lru_cache(maxsize=8)
def _signer(state_dir: str, domain: str) -> Signer:
    return Signer(state_dir, domain)


def signer(service: Service) -> Signer:
    return _signer(service.settings.state_dir, urlsplit(service.settings.public_url).hostname or "localhost")


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, default=_rfc3339, separators=(",", ":"), sort_keys=True).encode()


def _rfc3339(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")


def status_body(service: Service, request: Request) -> dict[str, Any]:
    """The OpenDSR status of ``request`` (without the callback URL)."""
    from custos.service.packages import latest_link

    body: dict[str, Any] = {
        "controller_id": request.agent_id or "",
        "expected_completion_time": request.due_at,
        "subject_request_id": request.external_ref or request.external_id or request.id,
        "request_status": STATUS[request.status],
        "api_version": API_VERSION,
    }
    if request.status == "completed" and request.type in ("access", "portability"):
        link = latest_link(service, request.id)
        if link:
            body["results_url"] = link["url"]
    return body


def send_callback(service: Service, job: Job) -> None:
    """POST the request's new status, signed, to each of its callback URLs (job handler)."""
    with service.plane.read() as session:
        request = load(session, job.request_id or "")
        body = status_body(service, request)
        urls = list(request.callback_urls or [])
    failures = []
    for url in urls:
        refusal = resolution_refusal(url, what="status_callback_url")
        if refusal is not None:  # checked again at delivery: the name may point inside the network now
            failures.append(f"{url}: {refusal}")
            continue
        payload = encode({**body, "status_callback_url": url})
        try:
            answer = httpx.post(url, content=payload, timeout=10,
                                headers={"Content-Type": "application/json", **signer(service).headers(payload)})
            if answer.status_code >= 300:
                failures.append(f"{url}: HTTP {answer.status_code}")
        except httpx.HTTPError as exc:
            failures.append(f"{url}: {exc}")
    if failures:
        from custos.errors import JobFailure

        raise JobFailure("callback failed: " + "; ".join(failures))
