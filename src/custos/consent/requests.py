"""A standing choice made through a rights request, recorded in the consent store too
(the consent plug-in's ``custos_request_completed`` hook).

An opt-out of sale or sharing, or a withdrawal of consent, is the same decision a person
makes on the consent banner: it is written through ``custos.consent``'s public functions
(``link`` ties the request's identities to a consent subject, ``record`` appends the
choice with the request as evidence), so a later check of consent, a webhook and the
proof export all see it. The consent store has no purpose for limiting the use of
sensitive information, so that choice stays with the request's own result.
"""

from __future__ import annotations

from typing import Any

from custos.consent.context import Consent, installed
from custos.consent.records import Choice, link, record
from custos.controlplane import Request
from custos.engine import Subject
from custos.rules import RequestType
from custos.service.core import Service

METHOD = "rights_request"
#: the request types that are a standing choice of the person's
CHOICES = frozenset({
    RequestType.RESTRICTION, RequestType.OBJECTION, RequestType.OPT_OUT_SALE_SHARING,
    RequestType.LIMIT_SENSITIVE, RequestType.WITHDRAW_CONSENT, RequestType.OPT_IN_SALE_SHARING,
})
MARKETING = "marketing"  # the taxonomy's data uses of direct marketing and advertising


def consent_subject(request: Request) -> str:
    return f"rights-request:{request.id}"


def choices_for(consent: Consent, kind: RequestType) -> dict[str, bool]:
    """The consent purposes a request of ``kind`` turns off (or, for an opt-in, back on)."""
    if kind is RequestType.OPT_OUT_SALE_SHARING:
        return dict.fromkeys(consent.opt_out_keys, False)
    if kind is RequestType.OPT_IN_SALE_SHARING:
        return dict.fromkeys(consent.opt_out_keys, True)
    if kind is RequestType.WITHDRAW_CONSENT:
        return {purpose.key: False for purpose in consent.purposes}
    if kind is RequestType.OBJECTION:
        # an objection to direct marketing is absolute and takes effect at once (GDPR Art. 21(2)-(3)):
        # every consent purpose that markets to the person stops, the mailing lists first; an
        # objection to other processing is weighed by an operator (Art. 21(1))
        purposes = consent.service.datamap.purposes
        return {p.key: False for p in consent.purposes
                if p.email_topic or any(use.startswith(MARKETING) for use in getattr(purposes.get(p.key), "uses", []))}
    return {}


def record_choice(service: Service, request: Request, kind: RequestType, subject: Subject) -> dict[str, Any]:
    """Record the choice of ``request`` in the consent store; what was recorded, for the result."""
    consent = installed(service)
    if consent is None:
        return {"consent": "not installed"}
    choices = choices_for(consent, kind)
    if not choices:
        return {"consent": "no consent purpose covers this choice"}
    name = consent_subject(request)
    identities = {kind_: sorted(values)[0] for kind_, values in subject.identities.items() if values}
    if identities:
        link(consent, name, identities, actor="system")
    record(consent, Choice(subject=name, choices=choices, method=METHOD,
                           notice_version=consent.notice_version(),
                           evidence={"request_id": request.id, "request_type": kind.value}),
           actor="system")
    return {"consent": {"subject": name, "choices": choices}}
