"""DRP signed messages: an Ed25519 signature prepended to the JSON, then base64 (DRP 0.9.4 §3.07.1).

This is libsodium's "combined mode" (``crypto_sign``), which PyNaCl's ``SigningKey.sign``
produces and ``VerifyKey.verify`` checks. Verify keys are exchanged base64-encoded
(§3.05.1, since 0.9.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import nacl.exceptions
from nacl.encoding import Base64Encoder
from nacl.signing import SigningKey, VerifyKey

from custos.errors import ProtocolError

SIGNATURE_BYTES = 64
MAX_MESSAGE_BYTES = 64 * 1024


class SignatureError(ProtocolError):
    """The message is not base64, not signed, or not signed by the expected key."""

    code = "drp_bad_signature"
    status = 403
    public = False


class MalformedMessageError(ProtocolError):
    """The signature is good but what it signs is not a JSON object."""

    code = "drp_malformed_message"


def verify_key(encoded: str) -> VerifyKey:
    """The verify key from its base64 text; ``ValueError`` when it is not 32 bytes of base64."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the verify key is not base64") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 verify key is 32 bytes")
    return VerifyKey(raw)


def decode(body: bytes) -> bytes:
    """The signed bytes (signature and JSON) of a base64 request body."""
    if len(body) > MAX_MESSAGE_BYTES * 2:
        raise SignatureError("the message is too large")
    try:
        signed = base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the message is not base64") from None
    if len(signed) <= SIGNATURE_BYTES:
        raise SignatureError("the message is shorter than a signature")
    return signed


def open_message(body: bytes, key: VerifyKey) -> tuple[dict[str, Any], bytes]:
    """The JSON object signed in ``body`` by ``key``, and the signed bytes (for replay checks)."""
    signed = decode(body)
    try:
        message = key.verify(signed)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError):
        raise SignatureError("the signature does not verify with the agent's key") from None
    try:
        content = json.loads(message)
    except (ValueError, RecursionError):
        raise MalformedMessageError("the signed message is not JSON") from None
    if not isinstance(content, dict):
        raise MalformedMessageError("the signed message is not a JSON object")
    return content, signed


def digest(signed: bytes) -> str:
    """The identity of a signed message for replay protection."""
    return hashlib.sha256(signed).hexdigest()


def sign(key: SigningKey, message: dict[str, Any]) -> bytes:
    """A message as an agent sends it: base64 of signature + JSON (used by tests and tools)."""
    return base64.b64encode(key.sign(json.dumps(message).encode()).__bytes__())


def encoded_verify_key(key: SigningKey) -> str:
    """The base64 verify key of a signing key, as an agent publishes it."""
    return key.verify_key.encode(encoder=Base64Encoder).decode()
