"""Findings about the law in force: rights, deadlines, contact methods, mandatory sections.

What a sentence says under a law (its heading or the sentence itself names California,
the EEA...) is checked against that law's rule set only; what it says in general is
checked against every jurisdiction of the map. A promised period longer than the legal
one is a **contradiction**; a right, a method or a section the law requires and the
policy lacks is a **missing disclosure**.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from custos.notice.labels import labels
from custos.notice.policy.deadlines import exceeds, span_in_days
from custos.notice.policy.findings import Finding, FindingKind
from custos.notice.policy.lexicon import Lexicon, Section, matches
from custos.notice.policy.reading import Reading
from custos.notice.practice import Practice
from custos.notice.rights import rights_catalogue
from custos.rules import rule_set
from custos.rules.calendar import shift_months

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def applies_under(reading: Reading, jurisdiction: str) -> bool:
    """True when what ``reading`` says holds under ``jurisdiction``."""
    return reading.scope is None or reading.scope == jurisdiction


def section_heading(
    readings: list[Reading], lexicon: Lexicon, key: str, jurisdiction: str | None = None
) -> Reading | None:
    """The heading of the policy's section ``key``: the one its first pattern matches,
    under ``jurisdiction`` when one is, else under none."""
    section = next((s for s in lexicon.sections if s.key == key), None)
    if section is None:
        return None
    headings = [r for r in readings if r.sentence.heading]
    if jurisdiction is not None:
        headings = [r for r in headings if r.scope == jurisdiction] + [r for r in headings if r.scope is None]
    for pattern in section.patterns:
        for reading in headings:
            if pattern.search(reading.quote):
                return reading
    return None


def rights_findings(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    """Rights the law in force grants, the practice calls for, and the policy leaves out."""
    words = labels()
    for jurisdiction in practice.datamap.organization.jurisdictions:
        rules = rule_set(jurisdiction)
        told = {key for r in readings if applies_under(r, jurisdiction) for key in r.rights}
        # a right is missing only where this law's own file names it and asks a policy for it
        missing = [
            right for right in rights_catalogue()
            if jurisdiction in right.citations and right.granted_by(rules) and right.called_for(practice)
            and jurisdiction not in right.policy_optional_in
            and right.key not in told and right.part_of.get(jurisdiction) not in told
        ]
        if not missing:
            continue
        heading = section_heading(readings, lexicon, "rights", jurisdiction)
        yield Finding(
            FindingKind.MISSING_DISCLOSURE, f"rights:{jurisdiction}",
            f"Under {words.jurisdiction(jurisdiction)} the policy does not tell people of: "
            + "; ".join(r.name.lower() for r in missing),
            heading.quote if heading else None, heading.line if heading else None, None, (),
            "; ".join(dict.fromkeys(r.disclosures.get(jurisdiction, r.citations[jurisdiction]) for r in missing)),
        )


def deadline_findings(practice: Practice, readings: list[Reading]) -> Iterator[Finding]:
    """Promised response periods longer than the law in force allows."""
    words = labels()
    jurisdictions = practice.datamap.organization.jurisdictions
    for reading in readings:
        if not reading.periods:
            continue
        targets = jurisdictions if reading.scope is None else [j for j in jurisdictions if j == reading.scope]
        for promise in reading.periods:
            for jurisdiction in targets:
                rules = rule_set(jurisdiction)
                if not rules.covers(promise.request_type):
                    continue
                rule = rules.rule(promise.request_type)
                too_long, legal = exceeds(promise, rule)
                if not too_long:
                    continue
                shortest, _ = span_in_days(rule.respond.amount, rule.respond.unit)
                yield Finding(
                    FindingKind.CONTRADICTION, f"deadline:{jurisdiction}",
                    f"The policy promises to answer {promise.request_type.value} requests within "
                    f"{promise.words()}{' including an extension' if promise.extension else ''}; "
                    f"under {words.jurisdiction(jurisdiction)} the law allows {legal}"
                    + ("" if promise.extension else f", which can be as short as {shortest} days"),
                    reading.quote, reading.line, None, (f"{promise.text}",), rule.respond.source,
                )


def contact_findings(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    """Too few ways to exercise rights, and request addresses the map does not know."""
    organization = practice.datamap.organization
    words = labels()
    for jurisdiction in organization.jurisdictions:
        minimum = lexicon.method_minimum.get(jurisdiction)
        if minimum is None:
            continue
        found = {m for r in readings if applies_under(r, jurisdiction) for m in r.methods}
        toll_free = "toll_free" in found
        methods = (found - {"toll_free"}) | ({"phone"} if toll_free else set())
        heading = section_heading(readings, lexicon, "contact", jurisdiction)
        if len(methods) < minimum.count:
            yield Finding(
                FindingKind.MISSING_DISCLOSURE, f"methods:{jurisdiction}",
                f"Under {words.jurisdiction(jurisdiction)} a policy designates at least {minimum.count} "
                f"way(s) to exercise rights; this one "
                + (f"gives {len(methods)} ({', '.join(sorted(methods))})" if methods else "designates none"),
                heading.quote if heading else None, heading.line if heading else None, None, (),
                minimum.source,
            )
        if minimum.toll_free and not toll_free and not organization.online_only:
            yield Finding(
                FindingKind.MISSING_DISCLOSURE, f"toll_free:{jurisdiction}",
                f"Under {words.jurisdiction(jurisdiction)} one of the ways to make a request is a toll-free "
                "telephone number, unless the business operates exclusively online and has a direct "
                "relationship with the consumer (then organization.online_only: true in the map); the policy "
                "gives no toll-free number",
                heading.quote if heading else None, heading.line if heading else None, None, (),
                minimum.source,
            )
    known = {
        e.lower()
        for text in (organization.privacy_contact, organization.dpo or "", organization.representative or "")
        for e in _EMAIL.findall(text)
    }
    if not _EMAIL.search(organization.privacy_contact):
        return
    seen: set[str] = set()
    for reading in readings:
        for email in reading.emails:
            if email in known or email in seen:
                continue
            seen.add(email)
            yield Finding(
                FindingKind.CONTRADICTION, "contact",
                f"The policy sends people to {email}, but the map's privacy contact is "
                f"{organization.privacy_contact}: requests sent there never reach the request workflow",
                reading.quote, reading.line, None, (organization.privacy_contact,),
                "Cal. Civ. Code 1798.130(a)(1); GDPR Art. 12(2)",
            )


def section_findings(
    practice: Practice, readings: list[Reading], lexicon: Lexicon, as_of: date
) -> Iterator[Finding]:
    """Mandatory sections the policy lacks, and a last-updated date older than allowed."""
    organization = practice.datamap.organization
    jurisdictions = organization.jurisdictions
    for section in lexicon.sections:
        if not section.required_under(jurisdictions) or not _called_for(section, practice):
            continue
        if section.evidence == "sale_statement":
            present = any(r.sale or r.sharing for r in readings)
        elif section.evidence == "updated_date":
            present = any(r.updated for r in readings)
        else:
            present = any(matches(section.patterns, r.quote) for r in readings)
        if not present:
            yield Finding(
                FindingKind.MISSING_DISCLOSURE, f"section:{section.key}",
                f"The policy does not state {section.title}", None, None, None, (), section.source,
            )
    dated = next((r for r in readings if r.updated), None)
    periodic = set(lexicon.update_required_by) & set(jurisdictions)
    if periodic and dated is not None and dated.updated is not None:
        due = shift_months(dated.updated, lexicon.update_every_months)
        if due < as_of:
            yield Finding(
                FindingKind.MISSING_DISCLOSURE, "section:last_updated",
                f"The policy was last updated on {dated.updated.isoformat()}; it must be reviewed "
                f"at least every {lexicon.update_every_months} months, so by {due.isoformat()}",
                dated.quote, dated.line, None, (), lexicon.update_source,
            )


def _called_for(section: Section, practice: Practice) -> bool:
    words = labels()
    if section.when == "recipients":
        return bool(practice.datamap.document.recipients)
    if section.when == "dpo":
        return bool(practice.datamap.organization.dpo)
    if section.when == "representative":
        return bool(practice.datamap.organization.representative)
    if section.when == "sells_or_shares":
        return practice.sells_or_shares
    if section.when == "transfers":
        return any(
            words.is_third_country(c) for r in practice.datamap.document.recipients for c in r.countries
        )
    return True


def refusal_findings(practice: Practice, readings: list[Reading], lexicon: Lexicon) -> Iterator[Finding]:
    """Statements that break the law whatever the map says: a refusal to honour opt-out
    preference signals (GPC) under CCPA; a statement that recipients are not told of a
    deletion or correction (GDPR Art. 19, CCPA 1798.105(c))."""
    words = labels()
    jurisdictions = practice.datamap.organization.jurisdictions
    for key, refusal in lexicon.refusals.items():
        laws = [j for j in jurisdictions if j in refusal.required_by]
        if not laws:
            continue
        for reading in readings:
            text = reading.quote
            if reading.sentence.heading or not matches(refusal.subject, text) or not matches(refusal.refusal, text):
                continue
            under = [j for j in laws if applies_under(reading, j)]
            if not under:
                continue
            yield Finding(
                FindingKind.CONTRADICTION, f"refusal:{key}",
                f"The policy refuses {refusal.topic}, which "
                + " and ".join(words.jurisdiction(j) for j in under) + " require",
                reading.quote, reading.line, None, (), refusal.source,
            )
