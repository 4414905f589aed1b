"""Findings about practice: categories collected, sold or shared, the policy against the map.

- A category the map processes that no sentence mentions (and no "YES" row of the
  categories table covers) is an **undisclosed practice**.
- A category the policy claims to collect that the map neither stores nor names in a
  purpose is a **contradiction**; so is a denial ("we do not collect biometric
  information", a "NO" row) of a category that a field of the map stores. A denial is
  checked against stored data: what a processor collects on the company's behalf may be
  denied as "we do not store it".
- "We do not sell" against a recipient or data use that sells is a **contradiction**;
  selling or sharing that no sentence discloses is an **undisclosed practice**.
"""

from __future__ import annotations

from collections.abc import Iterator

from custos.notice.policy.findings import Finding, FindingKind
from custos.notice.policy.lexicon import Lexicon, Topic, matches, term_pattern
from custos.notice.policy.obligations import section_heading
from custos.notice.policy.reading import Mention, Reading
from custos.notice.practice import Holding, Practice
from custos.taxonomy import Taxonomy

CCPA_SOURCE = "Cal. Civ. Code 1798.100(a)(1), 1798.110(c)"
SALE_SOURCE = "Cal. Civ. Code 1798.115(c), 1798.120, 1798.140(ad), (ah)"


def discloses(topic: Topic, category: str) -> bool:
    """True when the words of ``topic`` disclose ``category``."""
    if any(Taxonomy.is_within(category, excluded) for excluded in topic.excludes):
        return False
    return any(
        Taxonomy.is_within(category, named) or Taxonomy.is_within(named, category)
        for named in topic.categories
    )


def _where(holding: Holding) -> str:
    if holding.fields:
        return "field " + ", ".join(holding.fields)
    return "purpose " + ", ".join(holding.purposes)


def category_findings(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    """Categories: undisclosed ones, claimed ones the map lacks, denied ones it stores."""
    taxonomy = practice.taxonomy
    letters = {r.table_row[0]: r for r in readings if r.table_row}
    yes_letters = {letter for letter, r in letters.items() if r.table_row and r.table_row[1]}
    denied_keys: set[str] = set()

    for reading in readings:
        for mention in reading.mentions:
            if mention.polarity != "denial":
                continue
            topic = lexicon.topic(mention.topic)
            stored = [
                h for key, h in practice.stored.items()
                if any(Taxonomy.is_within(key, named) for named in topic.categories)
            ]
            if stored:
                denied_keys.update(h.category.key for h in stored)
                yield Finding(
                    FindingKind.CONTRADICTION,
                    f"category:{topic.key}",
                    f'The policy denies collecting "{mention.term}", but the map stores it: '
                    + "; ".join(f"{h.category.name} ({h.category.key}) in {_where(h)}" for h in stored),
                    reading.quote, reading.line, reading.sentence.lead_in,
                    tuple(f for h in stored for f in h.fields), CCPA_SOURCE,
                )

    for letter, reading in letters.items():
        collected = reading.table_row[1] if reading.table_row else False
        holding = practice.holdings_with_letter(letter)
        name = f"{letter}. {taxonomy.ccpa_categories[letter].name}"
        stored = [h for h in holding if h.stored]
        if not collected and stored:
            denied_keys.update(h.category.key for h in stored)
            yield Finding(
                FindingKind.CONTRADICTION, f"ccpa:{letter}",
                f"The policy's table says {name} is not collected, but the map stores "
                + "; ".join(f"{h.category.name} ({h.category.key}) in {_where(h)}" for h in stored),
                reading.quote, reading.line, None, tuple(f for h in stored for f in h.fields), CCPA_SOURCE,
            )
        if collected and not holding:
            yield Finding(
                FindingKind.CONTRADICTION, f"ccpa:{letter}",
                f"The policy's table says {name} is collected, but no field or purpose of the map "
                "holds a category reported under it",
                reading.quote, reading.line, None, (), CCPA_SOURCE,
            )

    yield from _claims(practice, readings, lexicon)
    yield from _undisclosed(practice, readings, lexicon, yes_letters, denied_keys)


def _claims(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    claims: dict[str, list[tuple[Reading, Mention]]] = {}
    for reading in readings:
        for mention in reading.mentions:
            if mention.polarity != "claim" or _names_a_held_letter(practice, lexicon, mention.term):
                continue
            claims.setdefault(mention.topic, []).append((reading, mention))
    for key, found in claims.items():
        topic = lexicon.topic(key)
        held = any(
            Taxonomy.is_within(c, named) or Taxonomy.is_within(named, c)
            for c in practice.holdings for named in topic.categories
        )
        if held:
            continue
        reading, mention = found[0]
        more = sorted({r.line for r, _ in found[1:]} - {reading.line})
        names = ", ".join(practice.taxonomy.category(c).name for c in topic.categories
                          if practice.taxonomy.has_category(c))
        yield Finding(
            FindingKind.CONTRADICTION, f"category:{key}",
            f'The policy says it collects "{mention.term}", but no field or purpose of the map holds '
            f"{names} ({', '.join(topic.categories)})"
            + (f"; the claim recurs on line(s) {', '.join(map(str, more))}" if more else ""),
            reading.quote, reading.line, reading.sentence.lead_in, (), CCPA_SOURCE,
        )


def _names_a_held_letter(practice: Practice, lexicon: Lexicon, term: str) -> bool:
    """True when ``term`` is the name of a CCPA category ("Sensory data") the map holds:
    such a claim is about the whole category, not about the topic its words also name."""
    return any(
        matches(patterns, term) and practice.holdings_with_letter(letter)
        for letter, patterns in lexicon.ccpa_rows.items()
    )


def _undisclosed(
    practice: Practice, readings: list[Reading], lexicon: Lexicon,
    yes_letters: set[str], denied_keys: set[str],
) -> Iterator[Finding]:
    told = [m for r in readings for m in r.mentions if m.polarity != "denial"]
    heading = section_heading(readings, lexicon, "categories")
    for key, holding in practice.holdings.items():
        if key.startswith("system.") or key in denied_keys:
            continue
        topics = [t for t in lexicon.topics if discloses(t, key)]
        if any(m.topic in {t.key for t in topics} for m in told):
            continue
        if holding.letters and set(holding.letters) <= yes_letters:
            continue
        if not topics and _named_anyway(holding, readings):
            continue
        yield Finding(
            FindingKind.UNDISCLOSED_PRACTICE, f"category:{key}",
            f"The map collects {holding.category.name} ({key}) in {_where(holding)}, but no sentence "
            "of the policy discloses it"
            + (
                f" and its table does not mark {', '.join(holding.letters)} as collected"
                if yes_letters else ""
            ),
            heading.quote if heading else None, heading.line if heading else None, None,
            holding.fields, CCPA_SOURCE,
        )


def _named_anyway(holding: Holding, readings: list[Reading]) -> bool:
    """For a category no topic covers: is its own name (``drivers license number``) used?"""
    words = holding.category.key.rsplit(".", 1)[-1].replace("_", " ")
    pattern = term_pattern(words)
    return any(pattern.search(r.quote) for r in readings)


def sale_findings(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    """Sale and sharing: denials the map contradicts, practices the policy leaves out."""
    heading = section_heading(readings, lexicon, "recipients")
    for topic, evidence, verb in (
        ("sale", practice.sales, "sells"),
        ("sharing", practice.sharing, "shares for cross-context behavioral advertising"),
    ):
        denials = [r for r in readings if (r.sale if topic == "sale" else r.sharing) == "denies"]
        affirmations = [r for r in readings if (r.sale if topic == "sale" else r.sharing) == "affirms"]
        reasons = tuple(dict.fromkeys(e.text for e in evidence))
        if evidence:
            for reading in denials:
                yield Finding(
                    FindingKind.CONTRADICTION, topic,
                    f"The policy says it does not {'sell' if topic == 'sale' else 'share'} personal "
                    f"information, but the map {verb}: " + "; ".join(reasons),
                    reading.quote, reading.line, None, reasons, SALE_SOURCE,
                )
            if not denials and not affirmations:
                yield Finding(
                    FindingKind.UNDISCLOSED_PRACTICE, topic,
                    f"The map {verb} ({'; '.join(reasons)}), but the policy never says so",
                    heading.quote if heading else None, heading.line if heading else None,
                    None, reasons, SALE_SOURCE,
                )
        elif topic == "sale":  # advertising words do not prove a sharing, "we sell" proves a sale
            for reading in affirmations:
                yield Finding(
                    FindingKind.CONTRADICTION, topic,
                    f"The policy says personal information is sold, but no recipient or data use "
                    f"of the map {verb}",
                    reading.quote, reading.line, None, (), SALE_SOURCE,
                )
