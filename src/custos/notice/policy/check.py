"""``check_policy``: a privacy policy read against the data map and the rules in force."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from custos.datamap import DataMap
from custos.errors import CustosError
from custos.notice.policy.document import Sentence, read_policy
from custos.notice.policy.findings import PolicyReport
from custos.notice.policy.lexicon import Lexicon, default_lexicon
from custos.notice.policy.obligations import (
    contact_findings,
    deadline_findings,
    refusal_findings,
    rights_findings,
    section_findings,
)
from custos.notice.policy.practices import category_findings, sale_findings
from custos.notice.policy.reading import Reader, Reading
from custos.notice.practice import read_practice


class PolicyReadError(CustosError):
    """A policy file that cannot be read."""

    code = "unreadable_policy"
    exit_code = 2


def check_policy(
    datamap: DataMap,
    text: str,
    *,
    name: str = "policy",
    as_of: date | None = None,
    lexicon: Lexicon | None = None,
) -> PolicyReport:
    """Every finding of the policy ``text`` (plain text or HTML) against ``datamap``.

    ``as_of`` is the day the last-updated date is judged on (default: today). No network
    is used: the lexicon and the rule sets ship with Custos.
    """
    words = lexicon or default_lexicon()
    sentences, readings = _read(text, words)
    practice = read_practice(datamap)
    report = PolicyReport(
        policy=name,
        datamap=datamap.location,
        jurisdictions=tuple(datamap.organization.jurisdictions),
        sentences=len(sentences),
    )
    report.findings.extend(category_findings(practice, readings, words))
    report.findings.extend(sale_findings(practice, readings, words))
    report.findings.extend(rights_findings(practice, readings, words))
    report.findings.extend(deadline_findings(practice, readings))
    report.findings.extend(contact_findings(practice, readings, words))
    report.findings.extend(section_findings(practice, readings, words, as_of or date.today()))
    report.findings.extend(refusal_findings(practice, readings, words))
    report.sort()
    return report


@functools.lru_cache(maxsize=8)
def _read_with_default_lexicon(text: str) -> tuple[list[Sentence], list[Reading]]:
    sentences = read_policy(text)
    return sentences, Reader(default_lexicon()).read(sentences)


def _read(text: str, lexicon: Lexicon) -> tuple[list[Sentence], list[Reading]]:
    """The sentences of ``text`` and their readings; readings are immutable, so a policy
    read with the default lexicon is read once however many maps it is checked against."""
    if lexicon is default_lexicon():
        return _read_with_default_lexicon(text)
    sentences = read_policy(text)
    return sentences, Reader(lexicon).read(sentences)


def read_policy_file(path: str | Path) -> str:
    """The text of a policy file (UTF-8, or Latin-1 when it is not UTF-8)."""
    location = Path(path)
    try:
        data = location.read_bytes()
    except OSError as error:
        raise PolicyReadError(f"cannot read the policy: {error.strerror}", where=str(location)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
