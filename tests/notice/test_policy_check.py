"""The policy check on the real policies of ``../shared/policies``.

For each policy, ``tests/notice/maps`` holds a map of the company as its policy describes
it: the check finds no contradiction and no undisclosed practice there (what the law
requires and the policy lacks is still reported). Variants of each map, or of the policy,
contradict it in known ways, and each is found with its kind and the sentence quoted
exactly as the policy writes it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from custos.datamap import DataMap, load_datamap
from custos.notice import render_notice
from custos.notice.policy import Finding, FindingKind, PolicyReport, check_policy
from tests.notice.conftest import MAPS, POLICY_MAPS, by_key, collection, policy_text, variant

AS_OF = date(2026, 11, 21)
IMICRO, ICMANAGE, MAICRO = "000_766bdad7f9d1e296.txt", "002_627230b60b2268ff.txt", "003_4b4c2bde9410e7d9.txt"
FINGERPRINT = {"name": "fingerprint", "categories": ["user.biometric.fingerprint"]}
CARD_NUMBER = {"name": "card_number", "categories": ["user.financial.credit_card"]}

# What each policy lacks under the law its map names; none of it is a contradiction.
MISSING = {
    IMICRO: ["section:last_updated"],
    ICMANAGE: ["rights:ccpa", "section:authorized_agent", "section:last_updated", "section:rights", "section:sale"],
    MAICRO: ["rights:gdpr"],
}


def check(datamap: DataMap, policy: str, text: str | None = None) -> PolicyReport:
    return check_policy(datamap, text if text is not None else policy_text(policy), name=policy, as_of=AS_OF)


def matching_map(policy: str) -> DataMap:
    return load_datamap(MAPS / POLICY_MAPS[policy])


def only(report: PolicyReport, kind: FindingKind, topic: str) -> list[Finding]:
    return [f for f in report.findings if f.kind == kind and f.topic == topic]


def added_field(qualified: str, field: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda data: collection(data, qualified)["fields"].append(dict(field))


def sold(recipient: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: by_key(data["recipients"], recipient).update(sold=True)


@pytest.mark.parametrize("policy", sorted(POLICY_MAPS))
def test_the_matching_map_contradicts_nothing(policy: str) -> None:
    report = check(matching_map(policy), policy)
    assert report.contradictions == [], report.to_text()
    assert report.of_kind(FindingKind.UNDISCLOSED_PRACTICE) == [], report.to_text()
    assert [f.topic for f in report.findings] == MISSING[policy]
    assert all(f.kind == FindingKind.MISSING_DISCLOSURE for f in report.findings)


@pytest.mark.parametrize("policy", sorted(POLICY_MAPS))
def test_every_quote_is_the_policy_s_own_words(policy: str) -> None:
    text = policy_text(policy)
    lines = text.splitlines()
    name = POLICY_MAPS[policy]
    changed = variant(name, lambda d: d["datasets"][0]["collections"][0]["fields"].append(dict(FINGERPRINT)))
    for report in (check(matching_map(policy), policy), check(changed, policy)):
        for finding in report.findings:
            if finding.quote is not None:
                assert finding.line is not None and finding.quote in lines[finding.line - 1]


# --- iMicro (000): California and the EEA, a "categories collected" table, sale denied


def test_imicro_sold_category_contradicts_both_no_sale_sentences() -> None:
    report = check(variant("imicro.yaml", sold("analytics_provider")), IMICRO)
    quotes = [f.quote for f in only(report, FindingKind.CONTRADICTION, "sale")]
    assert quotes == [
        'We do not sell your personal information within the scope of, and according to the defined '
        'meaning of a "sale" under, NRS 603A.',
        "iMicro does not sell your Personal Information.",
    ]
    assert "recipient 'Google Analytics' is marked sold: true" in only(report, FindingKind.CONTRADICTION, "sale")[0].explanation
    (rights,) = only(report, FindingKind.MISSING_DISCLOSURE, "rights:ccpa")
    assert "opt out of sale and sharing" in rights.explanation


def test_imicro_undisclosed_biometric_field_contradicts_the_table_row_e() -> None:
    report = check(variant("imicro.yaml", added_field("shop.accounts", FINGERPRINT)), IMICRO)
    (finding,) = report.contradictions
    assert finding.topic == "ccpa:E" and finding.line == 191
    assert finding.quote is not None and finding.quote.startswith("E. Biometric information. | Genetic, physiological")
    assert finding.quote.endswith("| NO |")
    assert "shop.accounts.fingerprint" in finding.explanation
    assert report.of_kind(FindingKind.UNDISCLOSED_PRACTICE) == []  # denied, so not silent


def test_imicro_ninety_day_promise_against_the_45_day_rule() -> None:
    text = policy_text(IMICRO).replace("within forty-five (45) days", "within ninety (90) days")
    report = check(matching_map(IMICRO), IMICRO, text)
    (finding,) = report.contradictions
    assert finding.topic == "deadline:ccpa"
    assert finding.quote == "We endeavor to respond to a verifiable Consumer request within ninety (90) days of its receipt."
    assert "45 calendar days" in finding.explanation and finding.source is not None and "7021" in finding.source


def test_imicro_stored_data_of_children_contradicts_the_denial() -> None:
    field = {"name": "child_name", "categories": ["user.children"]}
    (finding,) = check(variant("imicro.yaml", added_field("shop.accounts", field)), IMICRO).contradictions
    assert finding.topic == "category:children"
    assert finding.quote == (
        "iMicro does not sell products intended for purchase by children and no personal data of "
        "children will be intentionally or knowingly collected."
    )


def test_imicro_stored_card_numbers_contradict_both_payment_denials() -> None:
    report = check(variant("imicro.yaml", added_field("shop.orders", CARD_NUMBER)), IMICRO)
    assert {(f.topic, f.quote) for f in report.contradictions} == {
        ("category:card", "While we receive payment confirmations when a user makes a purchase, we do not "
                          "have access to or process your credit card information."),
        ("category:payment", "We do not directly collect or hold any payment information and we do not "
                             "store any payment information."),
    }


def test_imicro_a_claimed_category_the_map_lacks() -> None:
    def no_phone(data: dict[str, Any]) -> None:
        for name in ("shop.accounts", "shop.orders"):
            found = collection(data, name)
            found["fields"] = [f for f in found["fields"] if f["name"] != "phone"]

    (finding,) = check(variant("imicro.yaml", no_phone), IMICRO).contradictions
    assert finding.topic == "category:phone" and finding.line == 19
    assert finding.quote == (
        "For example, it may include your name, telephone number, email address, payment information, "
        "and your IP address, device ID and location information."
    )


def test_imicro_requests_sent_to_an_address_the_map_does_not_know() -> None:
    changed = variant("imicro.yaml", lambda d: d["organization"].update(privacy_contact="privacy@imicro.example"))
    report = check(changed, IMICRO)
    (finding,) = report.contradictions
    assert finding.topic == "contact" and "privacynotice@imicro.com" in finding.explanation
    assert finding.quote is not None and finding.quote.endswith("do not hesitate to contact us at: privacynotice@imicro.com")


def test_imicro_sharing_the_policy_never_mentions() -> None:
    changed = variant("imicro.yaml", lambda d: by_key(d["recipients"], "analytics_provider").update(shared=True))
    (finding,) = check(changed, IMICRO).of_kind(FindingKind.UNDISCLOSED_PRACTICE)
    assert finding.topic == "sharing" and finding.quote == "Disclosure of Your Personal Information"


# --- IC Manage (002): no rights, no dates, no sale statement


def test_icmanage_sold_category_is_an_undisclosed_practice() -> None:
    report = check(variant("icmanage.yaml", sold("service_providers")), ICMANAGE)
    assert report.contradictions == []
    (finding,) = report.of_kind(FindingKind.UNDISCLOSED_PRACTICE)
    assert finding.topic == "sale" and finding.quote == "Information sharing" and finding.line == 26


def test_icmanage_undisclosed_biometric_field() -> None:
    report = check(variant("icmanage.yaml", added_field("crm.accounts", FINGERPRINT)), ICMANAGE)
    (finding,) = report.of_kind(FindingKind.UNDISCLOSED_PRACTICE)
    assert finding.topic == "category:user.biometric.fingerprint"
    assert finding.quote == "Information we collect and how we use it"
    assert finding.evidence == ("crm.accounts.fingerprint",)


def test_icmanage_ninety_day_promise() -> None:
    text = policy_text(ICMANAGE).replace("Questions\n", "Questions\nWe will respond to your request within 90 days.\n")
    (finding,) = check(matching_map(ICMANAGE), ICMANAGE, text).contradictions
    assert finding.topic == "deadline:ccpa" and finding.quote == "We will respond to your request within 90 days."


def test_icmanage_occupation_claimed_but_not_held() -> None:
    def no_occupation(data: dict[str, Any]) -> None:
        accounts = collection(data, "crm.accounts")
        accounts["fields"] = [f for f in accounts["fields"] if f["name"] != "occupation"]
        by_key(data["purposes"], "market_research")["categories"] = ["user.contact.organization"]

    (finding,) = check(variant("icmanage.yaml", no_occupation), ICMANAGE).contradictions
    assert finding.topic == "category:professional"
    assert finding.quote is not None and finding.quote.startswith(
        "11) We also collect information for market research purposes — such as your occupation"
    )


# --- Maicro Labs (003): GDPR, Stripe takes the cards, behavioural advertising disclosed


def test_maicro_sold_category_is_an_undisclosed_practice() -> None:
    (finding,) = check(variant("maicro.yaml", sold("aws")), MAICRO).of_kind(FindingKind.UNDISCLOSED_PRACTICE)
    assert finding.topic == "sale" and finding.quote == "SHARING YOUR PERSONAL INFORMATION"
    assert finding.explanation.count("Amazon Web Services") == 1


def test_maicro_undisclosed_biometric_field() -> None:
    (finding,) = check(variant("maicro.yaml", added_field("shop.orders", FINGERPRINT)), MAICRO).of_kind(
        FindingKind.UNDISCLOSED_PRACTICE
    )
    assert finding.topic == "category:user.biometric.fingerprint"
    assert finding.quote == "PERSONAL INFORMATION WE COLLECT"


@pytest.mark.parametrize(("promise", "found"), [("90 days", True), ("30 days", True), ("one month", False)])
def test_maicro_promises_against_the_one_month_rule(promise: str, found: bool) -> None:
    sentence = f"We will respond to your request within {promise}."
    text = policy_text(MAICRO).replace("CONTACT US\n", f"CONTACT US\n\n{sentence}\n")
    report = check(matching_map(MAICRO), MAICRO, text)
    assert [(f.topic, f.quote) for f in report.contradictions] == ([("deadline:gdpr", sentence)] if found else [])


def test_maicro_stored_cards_contradict_at_no_time_receive_or_store() -> None:
    (finding,) = check(variant("maicro.yaml", added_field("shop.orders", CARD_NUMBER)), MAICRO).contradictions
    assert finding.topic == "category:card"
    assert finding.quote == "We at no time receive or store your full credit card information."


def test_maicro_as_html_gives_the_same_findings() -> None:
    text = policy_text(MAICRO)
    blocks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        tag = "h2" if line.strip().isupper() or len(line.split()) <= 4 and not line.rstrip().endswith(".") else "p"
        blocks.append(f"<{tag}>{html.escape(line.strip())}</{tag}>")
    page = "<!doctype html><html><head><style>h2{}</style></head><body>" + "\n".join(blocks) + "</body></html>"
    plain = check(matching_map(MAICRO), MAICRO)
    as_html = check(matching_map(MAICRO), MAICRO, page)
    assert as_html.contradictions == [] and [f.topic for f in as_html.findings] == [f.topic for f in plain.findings]
    changed = variant("maicro.yaml", added_field("shop.orders", CARD_NUMBER))
    (finding,) = check(changed, MAICRO, page).contradictions
    assert finding.quote == "We at no time receive or store your full credit card information."


def test_report_as_data_and_text() -> None:
    report = check(variant("imicro.yaml", added_field("shop.accounts", FINGERPRINT)), IMICRO)
    data = report.to_dict()
    assert data["summary"] == {"contradiction": 1, "undisclosed_practice": 0, "missing_disclosure": 1}
    assert data["findings"][0]["kind"] == "contradiction" and data["findings"][0]["line"] == 191
    text = report.to_text()
    assert "contradiction  line 191  [ccpa:E]" in text and '"E. Biometric information.' in text


# --- the notice Custos renders passes its own check


@pytest.mark.parametrize("name", ["demo.yaml", *sorted(set(POLICY_MAPS.values()))])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_a_rendered_notice_has_no_finding_against_its_own_map(name: str, fmt: str) -> None:
    datamap = load_datamap(MAPS / name)
    notice = render_notice(datamap, fmt, date(2026, 11, 1))
    report = check_policy(datamap, notice.text, name=f"notice.{fmt}", as_of=AS_OF)
    assert report.findings == [], report.to_text()


def test_a_notice_checked_against_another_map_is_found_out() -> None:
    notice = render_notice(load_datamap(MAPS / "demo.yaml"), "html", date(2026, 11, 1)).text
    report = check_policy(variant("demo.yaml", added_field("shop.customers", FINGERPRINT)), notice, as_of=AS_OF)
    assert [f.topic for f in report.contradictions] == ["ccpa:E", "ccpa:L"]  # biometric data is sensitive too
    quote = report.contradictions[0].quote
    assert quote is not None and quote.startswith("E. Biometric information |") and quote.endswith("| NO")
    sold_map = variant("demo.yaml", sold("carrier"))
    (sale,) = check_policy(sold_map, notice, as_of=AS_OF).contradictions
    assert sale.topic == "sale"
    assert sale.quote == "We do not sell your personal information, and have not sold it in the past 12 months."


def _not_online_only(data: dict[str, Any]) -> None:
    data["organization"]["online_only"] = False


CONTACT_POLICY = """Privacy Policy

Cookies
When you visit our website, we place cookies to remember your cart.

Your California Privacy Rights
You may ask to know or delete your personal information.
To make a request, email privacy@icmanage.com or call {phone}.
"""


def test_ccpa_asks_for_a_toll_free_number_unless_the_business_is_online_only() -> None:
    datamap = variant("icmanage.yaml", _not_online_only)
    local = check(datamap, ICMANAGE, CONTACT_POLICY.format(phone="(408) 555-0100"))
    [missing] = only(local, FindingKind.MISSING_DISCLOSURE, "toll_free:ccpa")
    assert "1798.130(a)(1)(A)" in missing.source and "toll-free" in missing.explanation
    free = check(datamap, ICMANAGE, CONTACT_POLICY.format(phone="our toll-free line 1-800-555-0100"))
    assert not only(free, FindingKind.MISSING_DISCLOSURE, "toll_free:ccpa")
    assert not only(free, FindingKind.MISSING_DISCLOSURE, "methods:ccpa")
    online = check(matching_map(ICMANAGE), ICMANAGE, CONTACT_POLICY.format(phone="(408) 555-0100"))
    assert not only(online, FindingKind.MISSING_DISCLOSURE, "toll_free:ccpa")


def test_a_sentence_about_browsing_is_no_way_to_make_a_request() -> None:
    """'When you visit our website' counted as a web request method."""
    text = ("Privacy Policy\n\nYour California Privacy Rights\nYou may ask to know or delete your personal "
            "information.\nWhen you visit our website, we place cookies to remember your cart.\n"
            "Email privacy@icmanage.com with your request.\n")
    [missing] = only(check(matching_map(ICMANAGE), ICMANAGE, text), FindingKind.MISSING_DISCLOSURE, "methods:ccpa")
    assert "gives 1 (email)" in missing.explanation
    none = check(matching_map(ICMANAGE), ICMANAGE, "Privacy Policy\n\nYour California Privacy Rights\n"
                 "You may ask to know or delete your personal information.\n")
    [nothing] = only(none, FindingKind.MISSING_DISCLOSURE, "methods:ccpa")
    assert "designates none" in nothing.explanation


def test_a_missing_right_is_one_the_law_asks_a_policy_for_with_that_provision() -> None:
    """"Right to opt back in" was demanded under CCPA and under the GDPR; neither asks a policy
    to describe it. Each missing right cites what asks the policy for it."""
    datamap = variant("imicro.yaml", sold("analytics_provider"))
    report = check(datamap, IMICRO, "Privacy Policy\n\nWe collect your email address.\n")
    [ccpa] = only(report, FindingKind.MISSING_DISCLOSURE, "rights:ccpa")
    [gdpr] = only(report, FindingKind.MISSING_DISCLOSURE, "rights:gdpr")
    assert "opt back in" not in ccpa.explanation and "opt back in" not in gdpr.explanation
    assert "opt out of sale" in ccpa.explanation and "deletion" in ccpa.explanation
    assert "1798.130(a)(5)(A)" in ccpa.source and "GDPR Art. 13(2)(b)" in gdpr.source
    assert "restriction" in gdpr.explanation and "restriction" not in ccpa.explanation


def test_refusing_opt_out_signals_or_telling_recipients_contradicts_the_law() -> None:
    text = ("Privacy Policy\n\nYour California Privacy Rights\n"
            "We do not currently respond to Global Privacy Control signals.\n"
            "We will not notify our service providers of your deletion request.\n"
            "We do not respond to Do Not Track signals.\n")
    report = check(matching_map(ICMANAGE), ICMANAGE, text)
    topics = {f.topic: f for f in report.contradictions}
    assert set(topics) >= {"refusal:gpc", "refusal:recipients_not_told"}
    assert "7025" in topics["refusal:gpc"].source and "1798.105(c)" in topics["refusal:recipients_not_told"].source
    assert topics["refusal:gpc"].quote == "We do not currently respond to Global Privacy Control signals."
    assert not any("Do Not Track" in (f.quote or "") for f in report.contradictions)  # no law asks for DNT


def _sells_with_a_representative(data: dict[str, Any]) -> None:
    sold("analytics_provider")(data)
    data["organization"]["representative"] = "Imicro Europe B.V., Keizersgracht 1, Amsterdam"


def test_a_representative_a_do_not_sell_link_an_agent_and_verification_are_asked_for() -> None:
    datamap = variant("imicro.yaml", _sells_with_a_representative)
    bare = check(datamap, IMICRO, "Privacy Policy\n\nWe collect your email address.\n")
    missing = {f.topic for f in bare.of_kind(FindingKind.MISSING_DISCLOSURE)}
    assert {"section:representative", "section:do_not_sell_link", "section:authorized_agent",
            "section:verification"} <= missing
    told = check(datamap, IMICRO, "Privacy Policy\n\nWe collect your email address.\n"
                 "Our representative in the EU is Imicro Europe B.V.\n"
                 "Use the Do Not Sell or Share My Personal Information link to opt out.\n"
                 "An authorized agent may make a request on your behalf.\n"
                 "We verify your request by matching details we hold.\n")
    found = {f.topic for f in told.of_kind(FindingKind.MISSING_DISCLOSURE)}
    assert not {"section:representative", "section:do_not_sell_link", "section:authorized_agent",
                "section:verification"} & found
    assert not [f for f in told.contradictions if f.topic == "sale"]  # the link's name denies nothing
