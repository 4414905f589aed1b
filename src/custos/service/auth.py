"""Who may use the admin endpoints: console users (argon2 passwords, roles) and API keys (scopes).

Roles map to scopes: ``admin`` has all (``agents:write``, who is trusted as an authorized
agent, is the admin's alone); ``operator`` reads and decides requests and reads
the audit log; ``auditor`` only reads. An API key carries scopes directly. Console
sessions are signed cookies (``custos_session``); a state-changing call made with a
session cookie must carry the matching CSRF token in ``X-CSRF-Token`` (or a form field).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from custos.controlplane import ApiKey, RevokedSession, User
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
)
from custos.service.vault import same, sha256_hex

SCOPES = ("requests:read", "requests:write", "audit:read", "opendsr", "users:write", "agents:write",
          "holds:read", "holds:write", "retention:run", "breaches:read", "breaches:write", "scans:read",
          "scans:write")
ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "operator": frozenset({"requests:read", "requests:write", "audit:read", "holds:read", "retention:run",
                           "breaches:read", "scans:read", "scans:write"}),
    "auditor": frozenset({"requests:read", "audit:read", "holds:read", "breaches:read", "scans:read"}),
}
SESSION_COOKIE = "custos_session"
SESSION_LIFETIME = timedelta(hours=8)
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """An authenticated caller of the admin API."""

    name: str
    scopes: frozenset[str]
    role: str | None = None
    session: str | None = None  # the session cookie, when authenticated by one

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def password_problem(password: str, email: str) -> None:
    """Refuse a short or guessable password: common passwords, keyboard runs, repeats, words and
    names, and the user's own address (zxcvbn, whose lists ship with it and work offline)."""
    if len(password) < 12:
        raise InvalidRequestError("a password has at least 12 characters")
    if len(password) > 1024:
        raise InvalidRequestError("a password has at most 1,024 characters")
    verdict = zxcvbn(password[:100], user_inputs=[email, email.partition("@")[0]])
    if verdict["score"] < 3:
        hint = (verdict.get("feedback") or {}).get("warning") or "it is too easy to guess"
        raise InvalidRequestError(f"choose another password: {hint.rstrip('.').lower()}; "
                                  "a few unrelated words make a good one")


def create_user(service: Service, email: str, password: str, role: str, *, actor: str = "cli") -> User:
    """Add a console user; the password is stored as an argon2 hash."""
    if role not in ROLES:
        raise InvalidRequestError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    address = email.strip().casefold()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in address) or len(address) > 320:
        raise InvalidRequestError(f"{email!r} is not an email address; a console user signs in with one")
    password_problem(password, address)
    with service.plane.write() as session:
        if session.scalars(sa.select(User).where(User.email == address)).first() is not None:
            raise ConflictError(f"a user {address} exists already")
        user = User(email=address, password_hash=_HASHER.hash(password), role=role, active=True,
                    created_at=service.clock())
        session.add(user)
        session.flush()
        audit.append(session, "user.created", actor=actor, detail={"user": address, "role": role})
        return user


def create_api_key(service: Service, name: str, scopes: list[str], *, actor: str = "cli") -> str:
    """A new API key ``ck_<prefix>_<secret>``; shown once, only its SHA-256 is kept."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidRequestError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    prefix = secrets.token_hex(6)
    key = f"ck_{prefix}_{secrets.token_urlsafe(32)}"
    with service.plane.write() as session:
        session.add(ApiKey(name=name, prefix=prefix, key_hash=sha256_hex(key), scopes=sorted(set(scopes)),
                           created_at=service.clock()))
        audit.append(session, "apikey.created", actor=actor, detail={"name": name, "prefix": prefix,
                                                                      "scopes": sorted(set(scopes))})
    return key


def _user(session: Any, email: str) -> User:
    found = session.scalars(sa.select(User).where(User.email == email.strip().casefold())).first()
    if found is None:
        raise NotFoundError(f"no console user {email.strip().casefold()}")
    return found  # type: ignore[no-any-return]


def set_active(service: Service, email: str, active: bool, *, actor: str = "cli") -> None:
    """Disable a console user (their sessions stop working at once) or enable them again."""
    with service.plane.write() as session:
        user = _user(session, email)
        if user.active != active:
            user.active = active
            audit.append(session, "user.enabled" if active else "user.disabled", actor=actor,
                         detail={"user": user.email})


def change_password(service: Service, email: str, password: str, *, actor: str = "cli") -> None:
    """A new password for a console user; every session opened before it stops working."""
    address = email.strip().casefold()
    password_problem(password, address)
    with service.plane.write() as session:
        user = _user(session, address)
        user.password_hash = _HASHER.hash(password)
        user.sessions_after = service.clock()
        audit.append(session, "user.password_changed", actor=actor, detail={"user": user.email})


def revoke_api_key(service: Service, prefix: str, *, actor: str = "cli") -> None:
    """Revoke an API key by its prefix (``ck_<prefix>_...``): it stops working at once."""
    prefix = prefix.removeprefix("ck_").split("_")[0]
    with service.plane.write() as session:
        key = session.scalars(sa.select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None:
            raise NotFoundError(f"no API key with the prefix {prefix!r}")
        if key.revoked_at is None:
            key.revoked_at = service.clock()
            audit.append(session, "apikey.revoked", actor=actor, detail={"name": key.name, "prefix": prefix})


def from_api_key(service: Service, key: str) -> Principal | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "ck" or len(key) > 200:
        return None
    with service.plane.read() as session:
        stored = session.scalars(sa.select(ApiKey).where(ApiKey.prefix == parts[1])).first()
        if stored is None or stored.revoked_at is not None or not same(stored.key_hash, sha256_hex(key)):
            return None
        return Principal(name=f"apikey:{stored.name}", scopes=frozenset(stored.scopes))


#: failed sign-ins an account may have in a quarter of an hour before each next try waits
#: 1, 2, 4 … seconds, at most five minutes: slows guessing without letting anyone lock an admin out
FREE_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MAX_BACKOFF = timedelta(minutes=5)


class SignInThrottle:
    """Failed sign-ins per account (the JSON and the form sign-in share it), in this process."""

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, address: str, moment: datetime) -> timedelta:
        with self._lock:
            recent = [t for t in self._failures.get(address, []) if moment - t < FAILURE_WINDOW]
            self._failures[address] = recent
            if len(recent) < FREE_FAILURES:
                return timedelta(0)
            delay = min(timedelta(seconds=2 ** (len(recent) - FREE_FAILURES)), MAX_BACKOFF)
            return max(recent[-1] + delay - moment, timedelta(0))

    def failed(self, address: str, moment: datetime) -> None:
        with self._lock:
            self._failures.setdefault(address, []).append(moment)
            if len(self._failures) > 100_000:
                self._failures = {k: v for k, v in self._failures.items() if v and moment - v[-1] < FAILURE_WINDOW}

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def _throttle(service: Service) -> SignInThrottle:
    """The service's own throttle (one per running service, made on first use)."""
    throttle: SignInThrottle = vars(service).setdefault("sign_in_throttle", SignInThrottle())
    return throttle


def login(service: Service, email: str, password: str) -> tuple[str, Principal]:
    """Check a console user's password; returns the session cookie value and the principal."""
    address = email.strip().casefold()
    throttle, moment = _throttle(service), service.clock()
    wait = throttle.wait(address, moment)
    if wait > timedelta(0):  # the same for an account that does not exist: it reveals nobody
        raise RateLimitedError(f"too many failed sign-ins for this account; try again in {int(wait.total_seconds()) + 1} s")
    with service.plane.read() as session:
        user = session.scalars(sa.select(User).where(User.email == address)).first()
    try:
        # Unknown users are checked against a dummy hash so the answer takes as long.
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        valid = user is not None and user.active
    except (VerificationError, InvalidHashError):
        valid = False
    with service.plane.write() as session:
        audit.append(session, "login.succeeded" if valid else "login.failed", actor=f"user:{address}")
    if not valid or user is None:
        throttle.failed(address, moment)
        raise AuthenticationError("the email or password is not right")
    throttle.succeeded(address)
    expires = int((service.clock() + SESSION_LIFETIME).timestamp())
    body = f"{user.id}.{expires}.{secrets.token_hex(8)}"
    cookie = f"{body}.{service.vault.sign('session:' + body)}"
    return cookie, Principal(name=f"user:{user.email}", scopes=ROLES[user.role], role=user.role, session=cookie)


def from_session(service: Service, cookie: str) -> Principal | None:
    parts = cookie.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    body = ".".join(parts[:3])
    if not service.vault.verify("session:" + body, parts[3]):
        return None
    if datetime.fromtimestamp(int(parts[1]), UTC) < service.clock():
        return None
    with service.plane.read() as session:
        user = session.get(User, int(parts[0]))
        if user is None or not user.active or session.get(RevokedSession, parts[2]) is not None:
            return None
        opened = datetime.fromtimestamp(int(parts[1]), UTC) - SESSION_LIFETIME
        if user.sessions_after is not None and opened < user.sessions_after:
            return None  # opened before the password changed
        return Principal(name=f"user:{user.email}", scopes=ROLES[user.role], role=user.role, session=cookie)


def end_session(service: Service, cookie: str) -> None:
    """Sign out: the session's cookie stops working at once, wherever it is kept (audited)."""
    principal = from_session(service, cookie)
    if principal is None:
        return
    user_id, expires, nonce = cookie.split(".")[:3]
    moment = service.clock()
    with service.plane.write() as session:
        session.execute(sa.delete(RevokedSession).where(RevokedSession.expires_at < moment))
        session.merge(RevokedSession(nonce=nonce, user_id=int(user_id),
                                     expires_at=datetime.fromtimestamp(int(expires), UTC)))
        audit.append(session, "logout", actor=principal.name)


def csrf_token(service: Service, cookie: str) -> str:
    """The CSRF token bound to one session."""
    return service.vault.sign("csrf:" + cookie)
