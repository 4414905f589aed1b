"""A choice arriving over HTTP: checked against the purposes, with browser signals honored.

An opt-out signal (GPC, or DNT where honored) turns off every opt-out purpose without
asking; it is recorded as its own choice with method ``gpc`` (or ``dnt``) whenever the
subject's state does not already say so. While the signal is on, a grant of an opt-out
purpose is not recorded: the signal wins over a banner click (CCPA §7025(c)).

Concurrent choices are written together: ``Recorder`` queues them, and one thread writes
each group in one transaction under one audit entry. A caller gets its answer only once
that transaction has committed, so nothing acknowledged can be lost, and every choice
still has its events, its place in the audit entry and its webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from custos.consent import gpp, minors
from custos.consent.context import Consent
from custos.consent.models import AGE_BANDS, SubjectAge
from custos.consent.records import Choice, PurposeState, current_states, insert_many, subject_groups
from custos.service import audit
from custos.service.errors import InvalidRequestError, ServiceError
from custos.service.work.batching import WriteBehind


@dataclass
class Outcome:
    """What a submission did: events written, the subject's state, whether a signal was honored."""

    subject: str
    recorded: int
    state: dict[str, PurposeState]
    signal: str | None
    overridden: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    age_band: str | None = None
    confirmation: dict[str, Any] | None = None  # a minor's grant waiting for its second step
    gpp_opt_outs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Submission:
    """One call's choices, before they are checked and written."""

    subject: str
    choices: Mapping[str, bool]
    method: str
    notice_version: str | None
    user_agent: str | None
    signal: str | None
    actor: str = "subject"
    evidence: Mapping[str, Any] | None = None
    signal_evidence: Mapping[str, Any] | None = None
    gpp: str | None = None
    age_band: str | None = None
    age_declared_by: str = "self"
    confirmation: str | None = None
    confirmed_by: str | None = None


def check_purposes(consent: Consent, choices: Mapping[str, bool]) -> None:
    """Refuse purposes the data map does not offer, naming the valid ones."""
    valid = {p.key for p in consent.purposes}
    unknown = sorted(set(choices) - valid)
    if unknown:
        raise InvalidRequestError(
            f"unknown purposes {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")


def submit(
    consent: Consent,
    *,
    subject: str,
    choices: Mapping[str, bool],
    method: str,
    notice_version: str | None,
    user_agent: str | None,
    signal: str | None,
    actor: str = "subject",
) -> Outcome:
    """Record a person's choices and any opt-out signal; returns once they are committed."""
    return consent.recorder.submit(Submission(
        subject=subject, choices=dict(choices), method=method, notice_version=notice_version,
        user_agent=user_agent, signal=signal, actor=actor,
    )).result()


@dataclass
class _Prepared:
    item: Submission
    version: str
    given: dict[str, bool]
    overridden: list[str]
    gpp_keys: list[str] = field(default_factory=list)
    gpp_evidence: dict[str, Any] | None = None
    confirmation: minors.Confirmation | None = None


def _prepare(consent: Consent, item: Submission) -> _Prepared:
    check_purposes(consent, item.choices)
    version = item.notice_version or consent.notice_version()
    if not consent.known_notice_version(version):
        raise InvalidRequestError("notice_version names no notice this site has published")
    opt_outs = set(consent.opt_out_keys)
    given = dict(item.choices)
    gpp_keys: list[str] = []
    gpp_evidence: dict[str, Any] | None = None
    if item.gpp is not None:
        parsed = gpp.parse(item.gpp)
        gpp_keys = gpp.opt_out_keys(parsed, sorted(opt_outs))
        gpp_evidence = {"signal": "gpp", "gpp": item.gpp[:gpp.MAX_LENGTH], "sections": parsed.section_ids,
                        "opt_outs": parsed.opt_outs, "gpc": parsed.gpc}
    blocked = opt_outs if item.signal else set(gpp_keys)
    overridden = sorted(k for k, granted in given.items() if granted and k in blocked)
    for key in overridden:
        del given[key]
    confirmation = None
    if item.confirmation:
        confirmation = minors.read(consent.service, item.confirmation, item.subject)
        if item.confirmed_by != confirmation.confirmer:
            who = "a parent" if confirmation.confirmer == "parent" else "the person"
            raise InvalidRequestError(f"this opt-in must be confirmed by {who} "
                                      f"(confirmed_by: {confirmation.confirmer})")
    return _Prepared(item=item, version=version, given=given, overridden=overridden, gpp_keys=gpp_keys,
                     gpp_evidence=gpp_evidence, confirmation=confirmation)


def _signal_evidence(item: Submission) -> dict[str, Any]:
    if item.signal_evidence:
        return dict(item.signal_evidence)
    return {"signal": "Sec-GPC: 1" if item.signal == "gpc" else "DNT: 1"}


def declare_age(session: Session, consent: Consent, item: Submission, previous: str | None) -> None:
    """Record a declared age band (append-only, audited)."""
    if item.age_band not in AGE_BANDS:
        raise InvalidRequestError(f"age_band is one of {', '.join(AGE_BANDS)}")
    at = consent.service.clock()
    entry = audit.append(session, "consent.age_declared", actor=item.actor, at=at, detail={
        "subject": item.subject, "age_band": item.age_band, "previous": previous, "declared_by": item.age_declared_by})
    session.add(SubjectAge(subject=item.subject, age_band=item.age_band, declared_by=item.age_declared_by, at=at,
                           audit_seq=entry.seq))
    session.flush()


def write_batch(consent: Consent, items: Sequence[Submission]) -> list[Outcome | BaseException]:
    """Check and write ``items`` in one transaction; an item that fails its checks fails alone."""
    results: list[Outcome | BaseException | None] = [None] * len(items)
    prepared: list[tuple[int, _Prepared]] = []
    for index, item in enumerate(items):
        try:
            prepared.append((index, _prepare(consent, item)))
        except ServiceError as error:
            results[index] = error
    if prepared:
        opt_outs = sorted(consent.opt_out_keys)
        fresh: dict[str, tuple[list[str], dict[str, PurposeState]]] = {}
        with consent.service.plane.write() as session:
            session.info["consent_cache_managed"] = True
            generation = consent.states.generation
            groups = subject_groups(session, [ready.item.subject for _, ready in prepared])
            unique = sorted(set(groups.values()))
            states = current_states(session, unique)
            known = {g: {k: s.granted for k, s in states[g].items()} for g in unique}  # batch included
            bands = minors.declared_bands(session, unique)
            choices: list[Choice] = []
            owners: list[int] = []
            actors: set[str] = set()
            waiting: dict[int, tuple[list[str], str, str]] = {}  # position → purposes, band, confirmer
            for position, (_, ready) in enumerate(prepared):
                item = ready.item
                group = groups[item.subject]
                state = known[group]
                actors.add(item.actor)
                if item.age_band and item.age_band != bands[group]:
                    declare_age(session, consent, item, bands[group])
                    bands[group] = item.age_band
                given = dict(ready.given)
                confirmer = minors.confirmer_for(bands[group])
                asked = sorted(k for k, granted in given.items() if granted and k in opt_outs)
                if confirmer and asked:
                    step = ready.confirmation
                    if step and step.confirmer == confirmer and set(asked) <= set(step.purposes):
                        confirmed = {k: True for k in asked}
                        choices.append(Choice(
                            subject=item.subject, choices=confirmed, method=item.method,
                            notice_version=ready.version, user_agent=item.user_agent,
                            evidence={**(item.evidence or {}), "age_band": bands[group], "two_step": {
                                "requested_at": step.requested_at.isoformat(), "confirmed_by": step.confirmer,
                                "confirmed_at": consent.service.clock().isoformat()}},
                        ))
                        owners.append(position)
                        state.update(confirmed)
                    else:
                        waiting[position] = (asked, bands[group] or "", confirmer)
                    for key in asked:
                        del given[key]
                if given:
                    choices.append(Choice(subject=item.subject, choices=given, method=item.method,
                                          notice_version=ready.version, user_agent=item.user_agent,
                                          evidence=item.evidence))
                    owners.append(position)
                    state.update(given)
                if item.signal:
                    pending = {k: False for k in opt_outs if k not in given and state.get(k, True)}
                    if pending:
                        choices.append(Choice(subject=item.subject, choices=pending, method=item.signal,
                                              notice_version=ready.version, user_agent=item.user_agent,
                                              evidence=_signal_evidence(item)))
                        owners.append(position)
                        state.update(pending)
                if ready.gpp_keys:
                    pending = {k: False for k in ready.gpp_keys if k not in given and state.get(k, True)}
                    if pending:
                        choices.append(Choice(subject=item.subject, choices=pending, method="gpp",
                                              notice_version=ready.version, user_agent=item.user_agent,
                                              evidence=ready.gpp_evidence))
                        owners.append(position)
                        state.update(pending)
            actor = actors.pop() if len(actors) == 1 else "subject"
            written = insert_many(session, consent, choices, actor=actor)
            counts = [0] * len(prepared)
            for position, choice, events in zip(owners, choices, written, strict=True):
                counts[position] += len(events)
                final = states[groups[choice.subject]]
                for event in events:
                    final[event.purpose] = event
            for position, (index, ready) in enumerate(prepared):
                group = groups[ready.item.subject]
                confirmation = None
                if position in waiting:
                    purposes, band, confirmer = waiting[position]
                    token, expires = minors.issue(consent.service, ready.item.subject, purposes, band, confirmer)
                    confirmation = {"purposes": purposes, "age_band": band, "confirmed_by": confirmer,
                                    "token": token, "expires_at": expires.isoformat()}
                results[index] = Outcome(subject=ready.item.subject, recorded=counts[position],
                                         state=dict(states[group]), signal=ready.item.signal,
                                         overridden=ready.overridden, group=list(group), age_band=bands[group],
                                         confirmation=confirmation, gpp_opt_outs=ready.gpp_keys)
                fresh[ready.item.subject] = (list(group), states[group])
        consent.states.replace(sorted({s for g in groups.values() for s in g}), fresh, generation)
    return [r if r is not None else RuntimeError("not written") for r in results]


class Recorder(WriteBehind[Submission, Outcome]):
    """A write-behind queue: choices wait a few milliseconds, then commit together.

    ``submit`` returns a future that resolves once the choice's transaction has committed
    (or with the error that refused it). A transaction that fails is retried one choice
    at a time, so one bad choice never takes others with it.
    """

    def __init__(self, consent: Consent) -> None:
        self.consent = consent
        super().__init__(lambda items: write_batch(consent, items), name="custos-consent-writer",
                         max_batch=consent.settings.batch_max, wait=consent.settings.batch_wait_ms / 1000)
