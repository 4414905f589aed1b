"""Verification through the company's own customer accounts.

For a signed-in customer, the company's site issues a short-lived signed assertion (a
JWT): ``sub`` the account id, ``email``, optionally ``phone``, ``auth_time`` (when the
customer last authenticated), ``iat``, ``exp``, ``aud`` and, where configured, ``iss``.
Custos checks it with ``CUSTOS_ACCOUNT_TOKEN_KEY``: an HMAC secret (HS256) or a PEM
public key (RS256; ES256, ES384 or ES512 by curve; EdDSA). Only the key's own algorithm
is accepted, so neither ``none`` nor HS256 signed with the text of a public key passes.

A customer re-authenticates before disclosure, deletion or correction (11 CCR §7061):
``auth_time`` must be at most ``CUSTOS_ACCOUNT_REAUTH_SECONDS`` old when the request is
made. A request made with a valid token is recorded verified at level ``account``, with
the token's identities (the account id under ``CUSTOS_ACCOUNT_IDENTITY``) and no mailed
code. Each refusal is audited with the check that failed, never with the token.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.orm import Session

from custos.controlplane import Request
from custos.engine.subject import normalize
from custos.errors import ConfigError, IdentityError
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError, ServiceError
from custos.service.requests.intake import Intake, create
from custos.service.requests.lifecycle import ACCOUNT_VERIFIED
from custos.service.requests.records import send

LEEWAY = timedelta(seconds=30)
MIN_HMAC_BYTES = 32
MIN_RSA_BITS = 2048
CURVES = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


TOKEN_LENGTH = 8192  # the longest account token accepted, in characters

class AccountTokenError(ServiceError):
    """An account token that cannot be relied on; ``check`` names the check it failed."""

    status = 401

    def __init__(self, check: str, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.check = check
        self.code = f"account_token_{check}"
        self.status = status


class AccountMismatchError(ServiceError):
    """A request whose identities are not those of the signed-in account."""

    code = "account_mismatch"
    status = 400
    check = "identity_mismatch"


@dataclass(frozen=True)
class SignedIn:
    """The account a valid token names, its identities normalized."""

    account_id: str
    email: str
    phone: str | None
    identity: str
    algorithm: str
    issuer: str | None
    authenticated_at: datetime

    def identities(self) -> dict[str, str]:
        """The identities a request made through this account is about."""
        found = {"email": self.email, self.identity: self.account_id}
        if self.phone:
            found["phone"] = self.phone
        return found


@dataclass(frozen=True)
class _Key:
    algorithm: str
    key: Any


def check(service: Service, token: str, *, source: str) -> SignedIn:
    """The account ``token`` names, or ``AccountTokenError``; a refusal is audited."""
    try:
        return verify(service, token)
    except AccountTokenError as error:
        refused(service, error, source=source)
        raise


def create_verified(service: Service, signed_in: SignedIn, intake: Intake) -> tuple[Request, str]:
    """Record ``intake`` as a request verified through ``signed_in``'s account, and send its mail.

    The intake's identities must be the account's own (or absent): another email, phone or
    account id is refused with ``AccountMismatchError`` (audited), and nothing is stored.
    Returns the request and the token that follows it.
    """
    try:
        bound = bind(signed_in, intake)
    except AccountMismatchError as error:
        refused(service, error, source=intake.source)
        raise

    def record(session: Session, request: Request) -> None:
        audit.append(session, "verification.account", actor="subject", request_id=request.id,
                     at=service.clock(), detail={
                         "outcome": "passed", "level": ACCOUNT_VERIFIED,
                         "algorithm": signed_in.algorithm, "issuer": signed_in.issuer,
                         "identities": sorted(signed_in.identities()),
                         "authenticated_seconds_ago": _seconds(service.clock() - signed_in.authenticated_at)})

    request, request_token, mails = create(service, bound, also=record)
    send(service, mails)
    return request, request_token


def refused(service: Service, error: AccountTokenError | AccountMismatchError, *, source: str) -> None:
    """Audit a refused account token: the check it failed and why, never the token."""
    with service.plane.write() as session:
        audit.append(session, "verification.account_refused", actor="subject", at=service.clock(),
                     detail={"outcome": "refused", "check": error.check, "reason": error.message,
                             "source": source})


def bind(signed_in: SignedIn, intake: Intake) -> Intake:
    """``intake`` about the account's identities alone, verified by the company's sign-in."""
    if intake.agent_id or intake.agent_permission:
        raise InvalidRequestError("an authorized agent's request cannot carry the person's account token")
    own = signed_in.identities()
    for kind, value in sorted(intake.identities.items()):
        if not value:
            continue
        try:
            given = normalize(kind, value)
        except IdentityError as exc:
            raise InvalidRequestError(exc.message) from None
        if own.get(kind) != given:
            raise AccountMismatchError(
                f"the {kind} in the request is not the signed-in account's {kind}; "
                f"leave it out or give the account's own")
    return dataclasses.replace(intake, identities=own, pre_verified=True, verified_level=ACCOUNT_VERIFIED,
                               agent_id=None, agent_permission=None)


def verify(service: Service, token: str) -> SignedIn:
    """Check ``token``'s algorithm, signature, issuer, audience, times and identities."""
    settings = service.settings
    if not settings.account_token_key.strip():
        raise AccountTokenError("not_accepted", "this service does not accept account tokens (none is configured)",
                                status=400)
    key = load_key(settings.account_token_key)
    issuer = settings.account_token_issuer.strip() or None
    audience = settings.account_token_audience.strip() or settings.public_url
    required = ["sub", "email", "auth_time", "iat", "exp", "aud", *(["iss"] if issuer else [])]
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip(), key.key, algorithms=[key.algorithm], audience=audience, issuer=issuer,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": required})
    except jwt.InvalidAlgorithmError:
        raise AccountTokenError("algorithm", f"the account token is not signed with {key.algorithm}, "
                                             "the algorithm of the configured key") from None
    except jwt.InvalidSignatureError:
        raise AccountTokenError("signature", "the account token's signature does not verify with the "
                                             "configured key") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AccountTokenError("claims", f"the account token has no {exc.claim!r} claim") from None
    except jwt.InvalidIssuerError:
        raise AccountTokenError("issuer", "the account token's issuer (iss) is not the configured one") from None
    except jwt.InvalidAudienceError:
        raise AccountTokenError("audience", f"the account token's audience (aud) is not {audience}") from None
    except jwt.DecodeError:
        raise AccountTokenError("format", "the account token is not a signed JWT (header.payload.signature)") \
            from None
    except jwt.InvalidTokenError as exc:
        raise AccountTokenError("claims", f"the account token is not valid: {exc}") from None
    except jwt.InvalidKeyError as exc:
        raise ConfigError(f"CUSTOS_ACCOUNT_TOKEN_KEY cannot be used as a {key.algorithm} key: {exc}") from None
    _check_times(service, claims)
    return _signed_in(service, claims, key.algorithm, issuer)


def _check_times(service: Service, claims: dict[str, Any]) -> None:
    now = service.clock()
    expires = _instant(claims, "exp")
    if now - LEEWAY >= expires:
        raise AccountTokenError("expired", f"the account token expired {_duration(now - expires)} ago; "
                                           "sign in again for a new one")
    if _instant(claims, "iat") > now + LEEWAY:
        raise AccountTokenError("issued_at", "the account token's iat is in the future (check the clocks)")
    if "nbf" in claims and _instant(claims, "nbf") > now + LEEWAY:
        raise AccountTokenError("not_yet_valid", "the account token is not valid yet (nbf is in the future)")
    authenticated = _instant(claims, "auth_time")
    if authenticated > now + LEEWAY:
        raise AccountTokenError("auth_time", "the account token's auth_time is in the future (check the clocks)")
    limit = timedelta(seconds=service.settings.account_reauth_seconds)
    if now - authenticated > limit:
        raise AccountTokenError(
            "stale_auth_time",
            f"the sign-in is {_duration(now - authenticated)} old (auth_time); sign in again: a request "
            f"needs a sign-in at most {_duration(limit)} old")


def _signed_in(service: Service, claims: dict[str, Any], algorithm: str, issuer: str | None) -> SignedIn:
    identity = service.settings.account_identity
    values: dict[str, str] = {}
    for claim, kind in (("sub", identity), ("email", "email"), ("phone", "phone")):
        value = claims.get(claim)
        if value is None and claim == "phone":
            continue
        if not isinstance(value, str):
            raise AccountTokenError("claims", f"the account token's {claim!r} claim is not a string")
        try:
            values[claim] = normalize(kind, value)
        except IdentityError as exc:
            raise AccountTokenError("claims", f"the account token's {claim!r} claim: {exc.message}") from None
    return SignedIn(account_id=values["sub"], email=values["email"], phone=values.get("phone"),
                    identity=identity, algorithm=algorithm, issuer=issuer,
                    authenticated_at=_instant(claims, "auth_time"))


def _instant(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AccountTokenError("claims", f"the account token's {name!r} claim is not a time in seconds since 1970")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise AccountTokenError("claims", f"the account token's {name!r} claim is out of range") from None


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _duration(delta: timedelta) -> str:
    seconds = _seconds(delta)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@lru_cache(maxsize=4)
def load_key(text: str) -> _Key:
    """The configured key and its one algorithm; ``ConfigError`` naming what is wrong with it."""
    value = text.strip()
    if "-----BEGIN" not in value:
        if len(value.encode()) < MIN_HMAC_BYTES:
            raise ConfigError(f"CUSTOS_ACCOUNT_TOKEN_KEY is an HMAC secret of {len(value.encode())} bytes; "
                              f"use at least {MIN_HMAC_BYTES}")
        return _Key("HS256", value.encode())
    if "PRIVATE KEY" in value:
        raise ConfigError("CUSTOS_ACCOUNT_TOKEN_KEY is a private key; give the public key (the company's site "
                          "keeps the private one)")
    try:
        public = load_pem_public_key(value.replace("\\n", "\n").encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"CUSTOS_ACCOUNT_TOKEN_KEY is not a PEM public key: {exc}") from None
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < MIN_RSA_BITS:
            raise ConfigError(f"CUSTOS_ACCOUNT_TOKEN_KEY is a {public.key_size}-bit RSA key; use at least "
                              f"{MIN_RSA_BITS} bits")
        return _Key("RS256", public)
    if isinstance(public, ec.EllipticCurvePublicKey):
        algorithm = CURVES.get(public.curve.name)
        if algorithm is None:
            raise ConfigError(f"CUSTOS_ACCOUNT_TOKEN_KEY is an EC key on {public.curve.name}; "
                              f"use one of {', '.join(CURVES)}")
        return _Key(algorithm, public)
    if isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return _Key("EdDSA", public)
    raise ConfigError("CUSTOS_ACCOUNT_TOKEN_KEY is a kind of public key account tokens cannot use "
                      "(use RSA, EC P-256/384/521 or Ed25519)")
