"""What each sentence of a policy says: categories claimed or denied, sale and sharing,
promised periods, rights, contact methods, the law it speaks under.

A sentence is read clause by clause. A clause is a **claim** of collection when the
company (not a third party) collects, receives, stores... the data it names; a
**denial** when that verb is negated ("we do not collect biometric information",
"no personal data of children will be collected"); otherwise a plain **mention**. A
negation inside a condition ("unless you allow us") or said of the person ("if you do
not provide") denies nothing. List items take the reading of the sentence that
introduces them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from custos.notice.policy.deadlines import PromisedPeriod, promised_periods
from custos.notice.policy.document import Sentence
from custos.notice.policy.lexicon import Lexicon, Patterns, matches

Polarity = Literal["claim", "denial", "mention"]
Stance = Literal["affirms", "denies"] | None

_CLAUSE_SPLIT = re.compile(
    r";|:\s|\s+but\s+|,\s+while\s+|,\s+whereas\s+|\s+however,?\s+|,\s+(?=we\b)", re.IGNORECASE
)
#: the opt-out link's name, written in the person's voice
_OPT_OUT_LINK = re.compile(r"\bdo\s+not\s+(?:sell|share)(?:\s+(?:or|and|/)\s+(?:sell|share))?\s+my\s+personal\s+"
                           r"(?:information|data)\b", re.IGNORECASE)
#: what starts a clause of its own inside a sentence, ending a negation's scope
_SCOPE_BREAK = re.compile(
    r"\b(?:we|they|you|it|he|she|our\s+(?:partners|vendors|providers|affiliates)|that|which|who|whom|whose|"
    r"although|though|because|since|when|where|whereas|while|instead|rather|only|once|after|before|until)\b",
    re.IGNORECASE)
#: the level of a plain-text heading the text gives no level to (no numbering, no capitals):
#: below every heading that has one
_UNLEVELLED = 99
_PERSON_NEGATION = re.compile(r"\byou\s+(?:\w+\s+)?(?:not|never|n't)\b|\byou\s+\w+n['’]t\b", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MONTHS = "january february march april may june july august september october november december".split()
_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "mdy"),
    (re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"), "Mdy"),
    (re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})"), "dMy"),
)


@dataclass(frozen=True)
class Mention:
    """A topic of the lexicon named in a sentence, and how."""

    topic: str
    term: str
    polarity: Polarity


@dataclass(frozen=True)
class Reading:
    """Everything the check uses from one sentence."""

    sentence: Sentence
    scope: str | None
    mentions: tuple[Mention, ...] = ()
    table_row: tuple[str, bool] | None = None
    sale: Stance = None
    sharing: Stance = None
    periods: tuple[PromisedPeriod, ...] = ()
    rights: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()
    emails: tuple[str, ...] = ()
    updated: date | None = None

    @property
    def quote(self) -> str:
        return self.sentence.text

    @property
    def line(self) -> int:
        return self.sentence.line


class Reader:
    """Reads the sentences of one policy with one lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def read(self, sentences: list[Sentence]) -> list[Reading]:
        """A reading per sentence, with the law each one speaks under.

        A heading that names a law places its section under it: with heading levels (HTML,
        Markdown, numbered or capitalised plain-text headings) until the next heading of the
        same or a higher level; under a plain title without a level, until a heading names
        another law or a heading with a level at or above an enclosing one begins.
        """
        readings = []
        scopes: list[tuple[int, str]] = []  # (heading level, law) of the open sections
        for sentence in sentences:
            own = self.scope_of(sentence.text)
            if sentence.heading:
                level = sentence.level if sentence.level is not None else _UNLEVELLED
                if sentence.level is not None:
                    scopes = [(lvl, law) for lvl, law in scopes if lvl < level]
                if own is not None:
                    scopes = [(lvl, law) for lvl, law in scopes if lvl < level] + [(level, own)]
            readings.append(self.read_one(sentence, own or (scopes[-1][1] if scopes else None)))
        return readings

    def scope_of(self, text: str) -> str | None:
        """The one jurisdiction ``text`` names, if it names exactly one."""
        named = [key for key, cues in self.lexicon.jurisdiction_cues.items() if matches(cues, text)]
        return named[0] if len(named) == 1 else None

    def read_one(self, sentence: Sentence, scope: str | None) -> Reading:
        """The reading of one sentence, said under ``scope`` (a jurisdiction, or None)."""
        text = sentence.text
        table = self.ccpa_row(text) if sentence.table_row else None
        mentions: tuple[Mention, ...] = ()
        if table is None:
            mentions = tuple(self.mentions(sentence))
        methods_here = self._methods_context(sentence)
        return Reading(
            sentence=sentence,
            scope=scope,
            mentions=mentions,
            table_row=table,
            sale=None if sentence.heading else self.stance(text, "sale"),
            sharing=None if sentence.heading else self.stance(text, "sharing"),
            periods=() if sentence.heading else tuple(promised_periods(text, self.lexicon)),
            rights=self.rights(sentence),
            methods=frozenset(
                kind
                for kind, patterns in self.lexicon.methods.items()
                if methods_here and matches(patterns, text)
            ),
            emails=tuple(e.lower().rstrip(".") for e in _EMAIL.findall(text)) if methods_here else (),
            updated=self.updated(text),
        )

    def polarity(self, clause: str) -> Polarity:
        """Whether ``clause`` claims, denies or only mentions a collection by the company."""
        rules = self.lexicon.clauses
        if matches(rules["not_personal"], clause):
            return "mention"
        conditional = matches(rules["conditional"], clause)
        if matches(rules["nothing_collected"], clause):
            return "mention" if conditional else "denial"
        verbs = [m for p in rules["collection"] for m in p.finditer(clause)]
        if not verbs:
            return "mention"
        if matches(rules["third_party_actor"], clause) and not matches(rules["company_subject"], clause):
            return "mention"
        denied = [self._negated(clause[: verb.start()]) for verb in verbs]
        if all(denied):
            return "mention" if conditional else "denial"
        return "claim"

    def _negated(self, before: str) -> bool:
        """Whether the verb after ``before`` is in the scope of a negation: the last "not",
        "never"... before it governs it across coordination ("we do not sell ... or, through
        partners, knowingly collect"), however many words stand between, until a new clause
        starts (a subject of its own, a relative pronoun, a subordinating word): in "we do not
        sell the information that we collect" the collection is not denied."""
        last = None
        for pattern in self.lexicon.clauses["negation"]:
            for match in pattern.finditer(before):
                if last is None or match.start() > last.start():
                    last = match
        if last is None:
            return False
        between = before[last.end():]
        if _SCOPE_BREAK.search(between):
            return False
        return not _PERSON_NEGATION.search(before[max(0, last.start() - 40):last.end() + 1])

    def sentence_polarity(self, text: str) -> Polarity:
        """The strongest reading of any clause: a claim, else a denial, else a mention."""
        found = {self.polarity(clause) for clause in _CLAUSE_SPLIT.split(text) if clause.strip()}
        for polarity in ("claim", "denial"):
            if polarity in found:
                return polarity
        return "mention"

    def mentions(self, sentence: Sentence) -> Iterator[Mention]:
        """The topics named in ``sentence``, each with the reading of its clause.

        A clause with no verb of its own ("your credit card information and ...") reads
        as the claim before it in the sentence, or as the list's introduction.
        """
        carried: Polarity = "mention"
        if sentence.list_item and sentence.lead_in:
            carried = self.sentence_polarity(sentence.lead_in)
        for clause in _CLAUSE_SPLIT.split(sentence.text):
            if not clause.strip():
                continue
            if sentence.heading or sentence.table_row:
                polarity: Polarity = "mention"
            elif self._bare(clause):
                polarity = carried
            else:
                polarity = self.polarity(clause)
                if polarity == "claim":
                    carried = "claim"
            found = [(topic.key, hit) for topic in self.lexicon.topics if (hit := topic.found(clause))]
            for key, (term, start, end) in found:
                # "precise geolocation" names precise location, not location in general
                inside = any(s <= start and end <= e and (s, e) != (start, end) for _, (_, s, e) in found)
                if not inside:
                    yield Mention(key, term, polarity)

    def _bare(self, clause: str) -> bool:
        """True when ``clause`` has no verb of collection, no negation, nothing that makes it
        not personal data: it reads as what introduced it."""
        rules = self.lexicon.clauses
        return not (
            matches(rules["collection"], clause)
            or matches(rules["negation"], clause)
            or matches(rules["nothing_collected"], clause)
            or matches(rules["not_personal"], clause)
        )

    def ccpa_row(self, text: str) -> tuple[str, bool] | None:
        """``(letter, collected)`` for a row of a "categories collected" table."""
        cells = [c.strip() for c in text.split("|") if c.strip()]
        if len(cells) < 2 or cells[-1].upper() not in ("YES", "NO"):
            return None
        for letter, patterns in self.lexicon.ccpa_rows.items():
            if matches(patterns, cells[0]):
                return letter, cells[-1].upper() == "YES"
        return None

    def stance(self, text: str, topic: Literal["sale", "sharing"]) -> Stance:
        """Whether the sentence denies or affirms selling (or sharing) personal information.
        The name of the opt-out link ("Do Not Sell or Share My Personal Information") is the
        person's request, not the business's denial."""
        text = _OPT_OUT_LINK.sub(" ", text)
        if topic == "sharing":
            return self._sharing(text)
        rules = self.lexicon.sale
        conditional = self.lexicon.clauses["conditional"]
        for clause in _CLAUSE_SPLIT.split(text):
            if matches(conditional, clause) or matches(rules["only_minors"], clause):
                continue
            if matches(rules["denial_passive"], clause) or self._sold(rules["denial"], clause):
                return "denies"
            negated = matches(self.lexicon.clauses["negation"], clause)
            if not negated and self._sold(rules["affirm"], clause):
                return "affirms"
        return None

    def _sold(self, verbs: Patterns, clause: str) -> bool:
        """True when one of ``verbs`` is followed, within a few words, by personal data."""
        objects = self.lexicon.sale["object"]
        return any(
            matches(objects, clause[match.end():]) for verb in verbs for match in verb.finditer(clause)
        )

    def _sharing(self, text: str) -> Stance:
        rules = self.lexicon.sharing
        conditional = self.lexicon.clauses["conditional"]
        for clause in _CLAUSE_SPLIT.split(text):
            if matches(conditional, clause):
                continue
            if matches(rules["denial"], clause):
                return "denies"
            negated = matches(self.lexicon.clauses["negation"], clause)
            if matches(rules["affirm"], clause) and not negated:
                return "affirms"
        return None

    def rights(self, sentence: Sentence) -> frozenset[str]:
        """The rights the sentence tells the person of."""
        text = sentence.text
        if not sentence.heading and not matches(self.lexicon.rights_context, text):
            return frozenset()
        return frozenset(key for key, patterns in self.lexicon.rights.items() if matches(patterns, text))

    def _methods_context(self, sentence: Sentence) -> bool:
        """Whether the sentence offers ways to make a request: it, its section or its list's
        introduction is about contacting the company, and it is not a sentence about browsing
        ("when you visit our website, cookies...") that names the site for another reason."""
        lexicon = self.lexicon
        if matches(lexicon.methods_not_a_request, sentence.text) and not matches(lexicon.methods_offer, sentence.text):
            return False
        context = lexicon.methods_context
        return matches(context, sentence.text) or matches(context, sentence.section) or bool(
            sentence.lead_in and matches(context, sentence.lead_in)
        )

    def updated(self, text: str) -> date | None:
        """The date a "Last updated" line gives, if this is one."""
        for pattern in self.lexicon.updated:
            match = pattern.search(text)
            if match:
                return parse_date(text[match.end():match.end() + 40])
        return None


def parse_date(text: str) -> date | None:
    """The first date at the start of ``text``: ISO, US ``MM/DD/YYYY`` or with a month name."""
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if not match:
            continue
        first, second, third = match.groups()
        try:
            if order == "ymd":
                return date(int(first), int(second), int(third))
            if order == "mdy":
                month, day = int(first), int(second)
                if month > 12:  # written day first
                    month, day = day, month
                return date(int(third), month, day)
            if order == "Mdy":
                return date(int(third), _month(first), int(second))
            return date(int(third), _month(second), int(first))
        except ValueError:
            continue
    return None


def _month(name: str) -> int:
    lowered = name.lower()
    for index, month in enumerate(_MONTHS, start=1):
        if month.startswith(lowered[:3]) and len(lowered) >= 3:
            return index
    raise ValueError(f"not a month: {name}")
