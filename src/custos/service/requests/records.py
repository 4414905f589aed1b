"""What a request's record holds, decrypted (its subject, email, details), and the mails
sent about it once the transaction that decided them commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custos.controlplane import Request
from custos.engine import Subject
from custos.service import languages
from custos.service.core import Service
from custos.service.requests.lifecycle import ACCOUNT_VERIFIED, label


@dataclass
class Mail:
    """A mail to send once the transaction that decided it has committed."""

    to: str
    kind: str
    context: dict[str, Any]


def subject_of(service: Service, request: Request) -> Subject:
    """The request's subject, decrypted from the store: only identities that were proven.

    Where the person had to verify, only the email whose code they confirmed reaches data:
    a phone number or account id given beside it was never proven to be theirs. Requests
    that need no verification (opt-outs), those a controller verified and those made
    through a signed-in account (every identity came from the company's own token) use
    every identity.
    """
    proven_all = (request.verification_level == "none" or request.source == "opendsr"
                  or request.verified_level == ACCOUNT_VERIFIED)
    values: dict[str, list[str]] = {}
    for identity in request.identities:
        if proven_all or identity.kind == "email":
            values.setdefault(identity.kind, []).append(service.vault.decrypt_text(identity.value_encrypted))
    return Subject.of(**values)


def email_of(service: Service, request: Request) -> str | None:
    for identity in request.identities:
        if identity.kind == "email":
            return service.vault.decrypt_text(identity.value_encrypted)
    return None


def details_of(service: Service, request: Request) -> dict[str, Any]:
    return dict(service.vault.decrypt_json(request.details)) if request.details else {}


def mail_context(service: Service, request: Request) -> dict[str, Any]:
    """What every mail about ``request`` may say."""
    organization = service.datamap.organization
    language = languages.written_in(request.language or organization.languages[0])
    return {
        "language": language,
        "org_name": organization.name,
        "privacy_contact": organization.privacy_contact,
        "request_id": request.id,
        "request_label": languages.label(request.type, label(request), language),
        "due": day_of(request.due_at, language) if request.due_at else languages.say("as soon as we can", language),
        "status_url": service.link(f"/privacy-center/requests/{request.id}"),
    }


def day_of(moment: datetime | None, language: str | None = None) -> str:
    return languages.day(moment, language)


def send(service: Service, mails: list[Mail]) -> None:
    """Deliver mail decided in a committed transaction."""
    for mail in mails:
        service.mailer.send(mail.to, mail.kind, mail.context)
