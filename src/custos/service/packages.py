"""Access packages: the zip encrypted at rest, behind a signed link that expires and runs out.

A token is ``<package id>.<expiry as Unix seconds>.<signature>``; the signature covers the
id and the expiry, so a token cannot be stretched, and only its SHA-256 is stored. Each
download takes one from ``downloads_left`` in a single conditional update.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.controlplane import Package, Request, new_id
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import GoneError, NotFoundError
from custos.service.vault import same, sha256_hex


def create(session: Session, service: Service, request: Request, content: bytes) -> tuple[Package, str]:
    """Store ``content`` encrypted for ``request``; returns the package and its token."""
    moment = service.clock()
    package_id = new_id()
    expires = (moment + timedelta(hours=service.settings.package_ttl_hours)).replace(microsecond=0)
    stamp = int(expires.timestamp())
    token = f"{package_id}.{stamp}.{service.vault.sign(f'package:{package_id}:{stamp}')}"
    package = Package(
        id=package_id, request_id=request.id, token_hash=sha256_hex(token),
        token_encrypted=service.vault.encrypt_text(token), content_encrypted=service.vault.encrypt(content),
        size=len(content), created_at=moment, expires_at=expires,
        downloads_left=service.settings.package_downloads,
    )
    session.add(package)
    session.flush()
    audit.append(session, "package.created", actor="system", request_id=request.id, at=moment,
                 detail={"package": package_id, "bytes": len(content), "expires_at": expires,
                         "downloads": package.downloads_left})
    return package, token


def url(service: Service, token: str) -> str:
    return service.link(f"/v1/packages/{token}")


def download(service: Service, token: str) -> tuple[bytes, str]:
    """The decrypted zip and its request id; 404 for a token that is not ours, 410 when used up."""
    package_id, stamp, signature = _parse(token)
    if not service.vault.verify(f"package:{package_id}:{stamp}", signature):
        raise NotFoundError("no such package")
    moment = service.clock()
    if moment >= datetime.fromtimestamp(stamp, UTC):
        raise GoneError("this download link has expired")
    with service.plane.write() as session:
        package = session.get(Package, package_id)
        if package is None or not same(package.token_hash, sha256_hex(token)):
            raise NotFoundError("no such package")
        if moment >= package.expires_at:
            raise GoneError("this download link has expired")
        taken = session.execute(
            sa.update(Package).where(Package.id == package_id, Package.downloads_left > 0)
            .values(downloads_left=Package.downloads_left - 1)
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise GoneError("this download link has been used as many times as it allows")
        session.refresh(package)
        audit.append(session, "package.downloaded", actor="subject", request_id=package.request_id,
                     at=moment, detail={"package": package_id, "downloads_left": package.downloads_left})
        return service.vault.decrypt(package.content_encrypted), package.request_id


def latest_link(service: Service, request_id: str) -> dict[str, object] | None:
    """The newest package link of a request, for the person holding the request's token."""
    with service.plane.read() as session:
        package = session.scalars(
            sa.select(Package).where(Package.request_id == request_id).order_by(Package.created_at.desc())
        ).first()
        if package is None:
            return None
        token = service.vault.decrypt_text(package.token_encrypted)
        return {"url": url(service, token), "expires_at": package.expires_at,
                "downloads_left": package.downloads_left}


def _parse(token: str) -> tuple[str, int, str]:
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 200 or not parts[1].isdigit() or len(parts[1]) > 12:
        raise NotFoundError("no such package")
    return parts[0], int(parts[1]), parts[2]
