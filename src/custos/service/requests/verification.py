"""Identity verification: a one-time email code, then data points matched against the stores.

- The code has 6 digits, is stored as a keyed hash, expires after 15 minutes and allows 5
  attempts; a new code replaces the old one.
- ``two_points``: the confirmed email counts as one point where the stores hold it, and
  the person gives at least one more data point that matches.
- ``three_points_signed``: three points and a declaration signed under penalty of perjury.
- A correction is never verified with the field being corrected.
- A request for specific pieces that reaches only two points is answered as a request for
  categories (11 CCR §7024(a)); below that, the request is denied as unverifiable.
- The clock never pauses: the due date was fixed at receipt.

Nothing here answers differently for an identity the stores do not hold until the code
has proved that the caller controls the address; comparisons are constant-time.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.controlplane import Identity, Request, VerificationAttempt
from custos.engine.subject import normalize_phone
from custos.engine.traversal import Reach
from custos.errors import IdentityError
from custos.rules import RequestType, VerificationLevel, check_frequency, request_kind, rule_set
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, InvalidRequestError, RateLimitedError
from custos.service.requests.decisions import refuse
from custos.service.requests.lifecycle import load, proceed, transition
from custos.service.requests.records import (
    Mail,
    details_of,
    email_of,
    mail_context,
    send,
    subject_of,
)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=15)
CODE_ATTEMPTS = 5
#: new codes a request may ask for in an hour, and codes one address receives in an hour over
#: all its requests; and wrong guesses a request may make over all its codes
CODE_REISSUES_PER_HOUR = 3
CODES_PER_ADDRESS_PER_HOUR = 6
GUESSES_PER_REQUEST = 10
POINTS = {VerificationLevel.NONE: 0, VerificationLevel.TWO_POINTS: 2, VerificationLevel.THREE_POINTS_SIGNED: 3}
SPECIFIC_PIECES = frozenset({RequestType.ACCESS, RequestType.PORTABILITY})


@dataclass
class Declaration:
    """The person's statement, signed under penalty of perjury, that they are the subject."""

    signed_name: str
    accepted: bool


def issue_code(session: Session, service: Service, request: Request) -> str:
    """A new one-time code for ``request`` (earlier ones stop working); returns it for the mail."""
    moment = service.clock()
    earlier = () if sa.inspect(request).pending else session.scalars(sa.select(VerificationAttempt).where(
        VerificationAttempt.request_id == request.id, VerificationAttempt.method == "email_code",
        VerificationAttempt.outcome.in_(("pending", "failed"))))
    for attempt in earlier:  # a request not yet written has no earlier code
        attempt.outcome = "replaced"
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(VerificationAttempt(
        request_id=request.id, method="email_code", code_hash=service.vault.code_hash(request.id, code),
        created_at=moment, expires_at=moment + CODE_LIFETIME, attempts=0, outcome="pending"))
    audit.append(session, "verification.code_sent", actor="system", request_id=request.id, at=moment)
    return code


def code_mail(service: Service, request: Request, email: str, code: str,
              context: dict[str, Any] | None = None) -> Mail:
    """The mail carrying ``code``. ``context`` is the request's mail context when already
    built; at intake it also holds ``received``, and the mail then acknowledges the request."""
    return Mail(email, "code", {**(context or mail_context(service, request)), "code": code,
                                "minutes": int(CODE_LIFETIME.total_seconds() // 60),
                                "verify_url": service.link(f"/privacy-center/requests/{request.id}")})


def resend_code(service: Service, request_id: str) -> None:
    """Send a new code to the request's email while it awaits verification."""
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.status != "identity_unverified":
            raise ConflictError("this request is not waiting for a code")
        email = email_of(service, request)
        if email is None:
            raise ConflictError("this request has no email address to send a code to")
        _bound_reissue(session, service, request)
        code = issue_code(session, service, request)
        mail = code_mail(service, request, email, code)
    send(service, [mail])


def _bound_reissue(session: Session, service: Service, request: Request) -> None:
    """Refuse a new code past the bounds: a request cannot buy unlimited guesses with re-issues,
    and one address cannot be sent unlimited mail through many requests."""
    since = service.clock() - timedelta(hours=1)
    codes = VerificationAttempt.method == "email_code"
    recent = session.scalar(sa.select(sa.func.count()).select_from(VerificationAttempt).where(
        codes, VerificationAttempt.request_id == request.id, VerificationAttempt.created_at >= since)) or 0
    if recent > CODE_REISSUES_PER_HOUR:  # the first code, sent at intake, is not a re-issue
        raise RateLimitedError("too many new codes for this request; try again in an hour")
    guesses = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(VerificationAttempt.attempts), 0)).where(
        codes, VerificationAttempt.request_id == request.id)) or 0
    if guesses >= GUESSES_PER_REQUEST:
        raise RateLimitedError("too many wrong codes for this request; make a new request")
    address = next((i.value_hmac for i in request.identities if i.kind == "email"), None)
    if address is not None:
        sent = session.scalar(
            sa.select(sa.func.count()).select_from(VerificationAttempt)
            .join(Identity, Identity.request_id == VerificationAttempt.request_id)
            .where(codes, Identity.kind == "email", Identity.value_hmac == address,
                   VerificationAttempt.created_at >= since)) or 0
        if sent >= CODES_PER_ADDRESS_PER_HOUR:
            raise RateLimitedError("too many codes sent to this address; try again in an hour")


def submit(
    service: Service,
    request_id: str,
    *,
    code: str,
    data_points: dict[str, str] | None = None,
    declaration: Declaration | None = None,
) -> Request:
    """Check the code, then the data points the request's level needs; move the request on."""
    mails: list[Mail] = []
    opt_out_instead = False
    with service.plane.write() as session:
        request = load(session, request_id)
        if request.status != "identity_unverified":
            raise ConflictError(f"this request is {request.status}, not waiting for verification")
        attempt = session.scalars(sa.select(VerificationAttempt).where(
            VerificationAttempt.request_id == request.id, VerificationAttempt.method == "email_code",
            VerificationAttempt.outcome.in_(("pending", "failed")),
        ).order_by(VerificationAttempt.id.desc())).first()
        moment = service.clock()
        if attempt is not None and (attempt.outcome == "failed" or attempt.attempts >= CODE_ATTEMPTS):
            raise RateLimitedError("too many wrong codes; ask for a new one")
        if attempt is None or attempt.expires_at is None or moment > attempt.expires_at:
            raise InvalidRequestError("the code has expired; ask for a new one")
        attempt.attempts += 1
        given = service.vault.code_hash(request.id, code.strip())
        if not hmac.compare_digest(given, attempt.code_hash or ""):
            audit.append(session, "verification.code_failed", actor="subject", request_id=request.id,
                         at=moment, detail={"attempt": attempt.attempts})
            if attempt.attempts >= CODE_ATTEMPTS:
                attempt.outcome = "failed"
            failure = InvalidRequestError("the code does not match")
        else:
            attempt.outcome = "passed"
            failure = None
            _after_code(session, service, request, data_points or {}, declaration, mails)
            opt_out_instead = session.info.pop("opt_out_instead", None) is not None
    if failure is not None:
        raise failure
    send(service, mails)
    if opt_out_instead:
        opt_out_for(service, request)
    return request


def treats_as_opt_out(service: Service, request: Request) -> bool:
    """Whether an unverifiable deletion request of this jurisdiction becomes an opt-out of sale and sharing."""
    if request.type != RequestType.ERASURE.value or request.jurisdiction not in service.unverified_deletion_opt_out:
        return False
    return rule_set(request.jurisdiction).covers(RequestType.OPT_OUT_SALE_SHARING)


def opt_out_for(service: Service, denied: Request) -> None:
    """The opt-out of sale and sharing a denied, unverifiable deletion request is treated as.

    Only the email whose code the person confirmed is used: nothing else was proven.
    """
    from custos.service.requests.intake import Intake, create

    email = None
    with service.plane.read() as session:
        stored = load(session, denied.id)
        email = email_of(service, stored)
        source = stored.source
    if email is None:
        return
    _made, _token, mails = create(service, Intake(
        type=RequestType.OPT_OUT_SALE_SHARING.value, identities={"email": email},
        jurisdiction=denied.jurisdiction, source=source, statement=f"instead of deletion request {denied.id}"))
    send(service, mails)


def _after_code(
    session: Session, service: Service, request: Request, data_points: dict[str, str],
    declaration: Declaration | None, mails: list[Mail],
) -> None:
    moment = service.clock()
    level = VerificationLevel(request.verification_level)
    needed = POINTS[level]
    excluded = set(details_of(service, request).get("corrections") or {})
    matched = count_points(service, request, data_points, excluded) if needed else 0
    signed = declaration is not None and declaration.accepted and bool(declaration.signed_name.strip())
    session.add(VerificationAttempt(request_id=request.id, method="data_points", created_at=moment,
                                    attempts=1, outcome="passed", points_matched=matched))
    reached = VerificationLevel.NONE
    if matched >= 2:
        reached = VerificationLevel.TWO_POINTS
    if matched >= 3 and signed:
        reached = VerificationLevel.THREE_POINTS_SIGNED
    audit.append(session, "verification.checked", actor="subject", request_id=request.id, at=moment,
                 detail={"required": level.value, "reached": reached.value, "points": matched,
                         "declaration_signed": signed})
    kind = request_kind(request.type)
    if POINTS[reached] >= needed:
        request.verified_level = reached.value
    elif kind in SPECIFIC_PIECES and reached is VerificationLevel.TWO_POINTS:
        request.verified_level = reached.value
        request.answered_as = RequestType.CATEGORIES.value
    else:
        reason = ("We could not verify your identity with the information given, so we cannot act "
                  "on this request. You may make a new request with more information.")
        if treats_as_opt_out(service, request):
            reason += (" As the law provides, we have instead treated your request as a request to opt out "
                       "of the sale and sharing of your personal information, and have recorded that "
                       "choice (11 CCR §7022(d)).")
            session.info["opt_out_instead"] = request.id
        refuse(session, service, request, actor="system", mails=mails, exception=None, reason=reason)
        return
    transition(session, service, request, "verified", actor="subject", level=request.verified_level,
               answered_as=request.answered_as)
    if not _frequency_allows(session, service, request, mails):
        return
    proceed(session, service, request, actor="system")


#: the states of a request that is answered or on its way to an answer
ANSWERED = ("verified", "approved", "in_progress", "completed", "failed")


def _frequency_allows(session: Session, service: Service, request: Request, mails: list[Mail]) -> bool:
    rules = rule_set(request.jurisdiction)
    kinds = sorted(rules.counted_together(request.type))
    hashes = [identity.value_hmac for identity in request.identities]
    # only requests under the same rule set that are answered (or being answered) count: a GDPR
    # request is not one of the CCPA's two a year, nor is a refused, cancelled or unverified one
    # one row per request (two received in the same second are two requests)
    earlier = [moment for _id, moment in session.execute(
        sa.select(Request.id, Request.received_at).join(Identity).where(
            Identity.value_hmac.in_(hashes), Request.type.in_(kinds), Request.id != request.id,
            Request.jurisdiction == request.jurisdiction, Request.status.in_(ANSWERED),
        ).distinct()
    ).all()]
    decision = check_frequency(request.type, rules, earlier, request.received_at)
    audit.append(session, "request.frequency", actor="system", request_id=request.id,
                 detail={"allowed": decision.allowed, "fee_allowed": decision.fee_allowed,
                         "reason": decision.reason, "source": decision.source})
    request.fee_allowed = decision.fee_allowed
    if decision.allowed:
        return True
    refuse(session, service, request, reason=f"{decision.reason} ({decision.source})", exception=None,
           actor="system", mails=mails)
    return False


def count_points(service: Service, request: Request, data_points: dict[str, str], excluded: set[str]) -> int:
    """How many independent data points match what the stores hold for the subject.

    The confirmed email counts when the stores hold it; each declared
    ``dataset.collection.field`` counts once when it equals a value of that field in the
    subject's rows. Every candidate is compared, so the time does not depend on where a
    match is.
    """
    subject = subject_of(service, request)
    with service.engine_lock:
        reach = service.engine.find(subject)
    points = 1 if _holds_email(service, reach, subject.values("email")) else 0
    for name, given in sorted(data_points.items()):
        if name in excluded:
            continue
        qualified, _, field_name = name.rpartition(".")
        info = service.datamap.collections.get(qualified)
        if info is None or info.collection.field(field_name) is None:
            continue
        wanted = _comparable(given)
        found = False
        for row in reach.rows(qualified):
            value = row.get(field_name)
            if value is None:
                continue
            found |= hmac.compare_digest(_comparable(value).encode(), wanted.encode())
        points += 1 if found and wanted else 0
    return points


def _holds_email(service: Service, reach: Reach, emails: frozenset[str]) -> bool:
    """Whether an email identity field of the rows found holds the confirmed address."""
    rules = service.datamap.rules
    for entry in service.datamap.entry_points:
        if entry.identity != "email":
            continue
        rule = rules.get(entry.rule)  # the field's own match rule, as the lookup itself used
        for value in reach.values_of(entry.collection, entry.field):
            if any(rule.matches(value, email, rules.region) for email in emails):
                return True
    return False


_SPACES = re.compile(r"\s+")


def _comparable(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text.startswith("+") or (sum(c.isdigit() for c in text) >= 7 and not text[:4].isdigit()):
        try:
            return normalize_phone(text)
        except IdentityError:
            pass
    return _SPACES.sub(" ", text)


def eligible_fields(service: Service) -> list[dict[str, Any]]:
    """The fields a person may be asked for as data points, with their labels for people.

    Those the map marks ``verify: true``; a map that marks none offers every personal field
    that is not a key, a reference or the email (``custos validate`` warns about it).
    """
    return [{"field": f"{info.qualified}.{f.name}", "categories": list(f.categories),
             "label": f.label or f.name.replace("_", " ").capitalize()}
            for info, f in service.datamap.verification_fields()]
