"""Keys derived from the secret key: encryption at rest, keyed lookup hashes, signed tokens.

One secret key (``CUSTOS_SECRET_KEY``) yields separate keys per purpose through HKDF, so an
identity lookup hash can never be replayed as a link signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret)


def sha256_hex(value: str | bytes) -> str:
    """The SHA-256 of a high-entropy token, for storing it without storing it."""
    data = value.encode() if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


def random_token(length: int = 32) -> str:
    """A URL-safe random token of ``length`` bytes of entropy."""
    return secrets.token_urlsafe(length)


class Vault:
    """Encrypts personal data at rest and signs what the service hands out."""

    def __init__(self, secret: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, "custos/encryption-at-rest")))
        self._lookup = _derive(secret, "custos/identity-lookup")
        self._signing = _derive(secret, "custos/signed-links")

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """Plain bytes; raises ``ValueError`` when the ciphertext was tampered with."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise ValueError("ciphertext does not decrypt with this secret key") from None

    def encrypt_text(self, text: str) -> bytes:
        return self.encrypt(text.encode())

    def decrypt_text(self, token: bytes) -> str:
        return self.decrypt(token).decode()

    def encrypt_json(self, value: Any) -> bytes:
        return self.encrypt(json.dumps(value, default=str, sort_keys=True).encode())

    def decrypt_json(self, token: bytes) -> Any:
        return json.loads(self.decrypt(token))

    def lookup_hash(self, kind: str, value: str) -> str:
        """Keyed HMAC of a normalized identity: equal values match, nothing can be read back."""
        return hmac.new(self._lookup, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def code_hash(self, request_id: str, code: str) -> str:
        """Keyed hash of a one-time code, bound to its request."""
        return hmac.new(self._lookup, f"code\x00{request_id}\x00{code}".encode(), hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        digest = hmac.new(self._signing, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def verify(self, message: str, signature: str) -> bool:
        return same(self.sign(message), signature)
