"""A choice arriving over HTTP: checked against the purposes, with browser signals honored.

An opt-out signal (GPC, or DNT where honored) turns off every opt-out purpose without
asking; it is recorded as its own choice with method ``gpc`` (or ``dnt``) whenever the
subject's state does not already say so. While the signal is on, a grant of an opt-out
purpose is not recorded: the signal wins over a banner click (CCPA §7025(c)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from custos.consent.context import Consent
from custos.consent.records import Choice, PurposeState, current_state, record_in, subject_group
from custos.service.errors import InvalidRequestError


@dataclass
class Outcome:
    """What a submission did: events written, the subject's state, whether a signal was honored."""

    subject: str
    recorded: int
    state: dict[str, PurposeState]
    signal: str | None
    overridden: list[str] = field(default_factory=list)


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
    """Record a person's choices and any opt-out signal, in one transaction."""
    check_purposes(consent, choices)
    version = notice_version or consent.notice_version()
    if not consent.known_notice_version(version):
        raise InvalidRequestError("notice_version names no notice this site has published")
    opt_outs = set(consent.opt_out_keys)
    given = dict(choices)
    overridden: list[str] = []
    if signal:
        overridden = sorted(k for k, granted in given.items() if granted and k in opt_outs)
        for key in overridden:
            del given[key]
    recorded = 0
    with consent.service.plane.write() as session:
        group = subject_group(session, subject)
        if given:
            recorded += len(record_in(session, consent, Choice(
                subject=subject, choices=given, method=method, notice_version=version, user_agent=user_agent,
            ), actor=actor))
        if signal:
            state = current_state(session, group)
            pending = {k: False for k in sorted(opt_outs) if k not in given and
                       (k not in state or state[k].granted)}
            if pending:
                recorded += len(record_in(session, consent, Choice(
                    subject=subject, choices=pending, method=signal, notice_version=version,
                    user_agent=user_agent, evidence={"signal": "Sec-GPC: 1" if signal == "gpc" else "DNT: 1"},
                ), actor=actor))
        state = current_state(session, group)
    return Outcome(subject=subject, recorded=recorded, state=state, signal=signal, overridden=overridden)
