"""A request's history as an operator reads it: one sentence per step, in plain words, with
readable dates, from the audit log's entries about the request (which stay as they are)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custos.controlplane import AuditEntry
from custos.rules import label_of

SOURCES = {"privacy_center": "the privacy center", "api": "the API", "opendsr": "a controller (OpenDSR)",
           "agent": "an authorized agent", "declared_agent": "someone acting for the person",
           "minors": "the minors sweep"}
LEVELS = {"none": "no verification", "two_points": "two data points",
          "three_points_signed": "three data points and a signed declaration", "account": "a signed-in account"}


@dataclass(frozen=True)
class Step:
    at: datetime
    who: str
    what: str

    @property
    def when(self) -> str:
        """``2 March 2026, 15:00 UTC``."""
        return f"{self.at.day} {self.at.strftime('%B %Y, %H:%M')} UTC"


def _who(actor: str) -> str:
    if actor in ("system", ""):
        return "Custos"
    if actor == "subject":
        return "the person"
    kind, _, name = actor.partition(":")
    if kind in ("apikey", "key"):
        return f"API key {name}"
    if kind == "user":
        return name
    if kind == "recipient":
        return f"recipient {name}"
    return SOURCES.get(actor, actor)


def _status(d: dict[str, Any]) -> str:
    to = str(d.get("to", ""))
    sentences = {
        "identity_unverified": "Waiting for the person to confirm their identity",
        "verified": "Identity confirmed", "approved": "Approved", "in_progress": "Started running",
        "completed": "Completed", "denied": "Refused", "failed": "Failed; it can be retried",
        "cancelled": "Cancelled",
    }
    text = sentences.get(to, f"Now {to.replace('_', ' ')}")
    if to == "denied" and d.get("reason"):
        text += f": {d['reason']}"
        if d.get("exception"):
            text += f" ({d['exception']})"
    if to == "completed" and d.get("rows") is not None:
        text += f", {d['rows']} row(s) changed"
    if to == "failed" and d.get("error"):
        text += f" ({d['error']})"
    return text


def _result(d: dict[str, Any]) -> str:
    counts = d.get("collections") or {}
    parts = []
    for name, value in counts.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k} {v}" for k, v in value.items() if v)
            parts.append(f"{name} ({shown})" if shown else name)
        else:
            parts.append(f"{name} ({value})")
    text = f"Result: {str(d.get('status', '')).replace('_', ' ')}"
    if d.get("residual_ok") is not None:
        text += "; the check afterwards " + ("found nothing left" if d["residual_ok"] else "FOUND DATA LEFT")
    return text + (f"; {'; '.join(parts)}" if parts else "")


SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "request.received": lambda d: (f"Received through {SOURCES.get(str(d.get('source')), d.get('source'))}, "
                                   f"a {label_of(str(d.get('type', '')))} request under {str(d.get('jurisdiction', '')).upper()}; "
                                   f"needs {LEVELS.get(str(d.get('verification_level')), d.get('verification_level'))}"),
    "request.acknowledged": lambda d: "Acknowledged to the person",
    "request.status": _status,
    "request.result": _result,
    "request.extended": lambda d: f"Extended; the person was told why: {d.get('notice', '')}",
    "request.held": lambda d: f"Waiting: legal hold {', '.join(str(h) for h in d.get('holds', []))}",
    "request.hold_released": lambda d: "The legal hold was lifted; it runs again",
    "request.frequency": lambda d: "Checked against the law's limit on repeated requests: "
                                   + ("allowed" if d.get("allowed") else "over the limit"),
    "request.refused_at_intake": lambda d: f"Refused as it arrived: {d.get('reason', '')}",
    "request.restriction_lifted": lambda d: (f"The restriction was lifted after telling the person why: "
                                             f"{d.get('notice', '')}"),
    "request.objection_decided": lambda d: (
        ("The objection was upheld; the processing stopped: " if d.get("upheld")
         else "The objection was refused on compelling legitimate grounds: ") + str(d.get("reason", ""))),
    "request.assigned": lambda d: (f"Assigned to {d['assignee']}" if d.get("assignee") else "Unassigned"),
    "verification.code_sent": lambda d: "A confirmation code was mailed to the person",
    "verification.code_failed": lambda d: f"A wrong confirmation code was entered (attempt {d.get('attempt', '?')})",
    "verification.checked": lambda d: (f"Identity checked: reached {LEVELS.get(str(d.get('reached')), d.get('reached'))}"
                                       f" of {LEVELS.get(str(d.get('required')), d.get('required'))} needed"),
    "verification.account": lambda d: "Identity confirmed by the person's signed-in account",
    "verification.account_refused": lambda d: "A signed-in account token was refused",
    "package.created": lambda d: "The access package was made ready for download",
    "package.downloaded": lambda d: "The person downloaded the access package",
    "job.retry": lambda d: f"An attempt failed and is tried again ({d.get('error', '')})",
    "job.failed": lambda d: f"The last attempt failed ({d.get('error', '')})",
    "job.reclaimed": lambda d: "Its worker stopped; the work was taken up again",
    "job.retry_stuck": lambda d: "Retried by an operator after its worker stopped",
    "appeal.decided": lambda d: "The appeal was " + ("granted" if d.get("granted") else "refused"),
    "recipient.notice_queued": lambda d: f"Notice to recipient {d.get('recipient')} queued ({d.get('channel')})",
    "recipient.notice_delivered": lambda d: f"Recipient {d.get('recipient')} was told ({d.get('channel')})",
    "recipient.notice_retry": lambda d: f"Telling recipient {d.get('recipient')} failed; tried again",
    "recipient.notice_failed": lambda d: f"Telling recipient {d.get('recipient')} failed: {d.get('error', '')}",
    "recipient.notice_acknowledged": lambda d: "The recipient confirmed it acted on the notice",
}


def describe(action: str, detail: dict[str, Any] | None) -> str:
    """One audit entry as a sentence; an action without its own sentence is named in words."""
    sentence = SENTENCES.get(action)
    if sentence is not None:
        try:
            return sentence(detail or {})
        except (KeyError, TypeError, ValueError):
            pass
    return action.replace(".", ": ").replace("_", " ").capitalize()


def timeline(entries: Iterable[AuditEntry]) -> list[Step]:
    return [Step(entry.at, _who(entry.actor), describe(entry.action, entry.detail)) for entry in entries]
