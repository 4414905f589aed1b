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


#: a privacy policy of 50 pages is about 200 kB of text; an HTML page with its markup a few MB
MAX_POLICY_BYTES = 10 * 1024 * 1024
#: the commonest English words: a policy with too few of them is in a language the check does not read
_ENGLISH = frozenset("the and of to we you your our in for or is are with that this by may be information "
                     "personal data use not on as from it".split())
_SIGNATURES = ((b"%PDF", "a PDF; save it as text (pdftotext) or HTML first"),
               (b"PK\x03\x04", "a Word document or another archive; save it as text or HTML first"),
               (b"\xd0\xcf\x11\xe0", "an old Word document; save it as text or HTML first"),
               (b"{\\rtf", "an RTF document; save it as text or HTML first"))


def read_policy_file(path: str | Path) -> str:
    """The text of a policy file (UTF-8, or Latin-1 when it is not UTF-8). A file that is
    no policy text (a PDF, an archive, binary data, an empty or a huge file, a language the
    check does not read) is refused in one line that says what it is."""
    location = Path(path)
    try:
        if location.is_dir():
            raise PolicyReadError("the policy is a folder; give a text, Markdown or HTML file", where=str(location))
        with location.open("rb") as handle:  # bounded: a huge file (or /dev/zero) is never read whole
            data = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise PolicyReadError(f"cannot read the policy: {error.strerror}", where=str(location)) from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyReadError(f"the policy is larger than {MAX_POLICY_BYTES // (1024 * 1024)} MB; a privacy policy "
                              "is never that large", where=str(location))
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise PolicyReadError(f"the policy is {what}", where=str(location))
    sample = data[:65536]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 100:
        raise PolicyReadError("the policy is binary data, not text", where=str(location))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not text.strip():
        raise PolicyReadError("the policy file is empty", where=str(location))
    words = [w.strip(".,;:()\"'").lower() for w in text[:200_000].split()]
    common = sum(1 for w in words if w in _ENGLISH)
    if len(words) >= 40 and common < len(words) * 0.04:
        raise PolicyReadError("the policy does not read as English, the language the policy check reads; give "
                              "its English version", where=str(location))
    return text
