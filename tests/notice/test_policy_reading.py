"""Reading a policy: HTML, sentences, negations, sale, promised periods, dates."""

from __future__ import annotations

from datetime import date

import pytest

from custos.notice.policy import default_lexicon, read_policy
from custos.notice.policy.deadlines import number, promised_periods, span_in_days
from custos.notice.policy.document import split_sentences
from custos.notice.policy.reading import Reader, Reading, parse_date
from custos.rules import RequestType


def read(text: str) -> list[Reading]:
    return Reader(default_lexicon()).read(read_policy(text))


def mentions(text: str) -> dict[str, str]:
    """topic -> polarity of the first sentence of ``text``."""
    return {m.topic: m.polarity for r in read(text) for m in r.mentions}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We do not collect biometric information.", {"biometric": "denial"}),
        ("We never collect your precise geolocation.", {"precise_location": "denial"}),
        ("We don't store your credit card number.", {"card": "denial"}),
        ("No personal data of children will be intentionally or knowingly collected.", {"children": "denial"}),
        ("We at no time receive or store your full credit card information.", {"card": "denial"}),
        ("We collect your email address and IP address.", {"email": "claim", "ip_address": "claim"}),
        ("We may collect biometric identifiers such as fingerprints.", {"biometric": "claim"}),
        ("If you do not provide your email address, we cannot answer.", {"email": "mention"}),
        ("We do not access photos on your device unless you allow us to do so.", {"content": "mention"}),
        ("These websites may collect your IP address.", {"ip_address": "mention"}),
        ("Card information is collected and processed directly by our payment processor Stripe.", {"card": "mention"}),
        ("We gather broad demographic information for aggregate use.", {"demographic": "mention"}),
        ("Please keep your password secret.", {"credentials": "mention"}),
    ],
)
def test_claims_denials_and_mere_mentions(sentence: str, expected: dict[str, str]) -> None:
    assert mentions(sentence) == expected


def test_a_clause_without_a_verb_reads_as_the_claim_before_it() -> None:
    found = mentions("We may collect your name and phone number; your credit card information and serial numbers.")
    assert found == {"name": "claim", "phone": "claim", "card": "claim", "purchase": "claim"}


def test_list_items_read_as_the_sentence_introducing_them() -> None:
    text = "We may request certain information from you:\n- your name\n- your password\n"
    assert mentions(text) == {"name": "claim", "credentials": "claim"}
    text = "We never collect the following:\n- your fingerprint\n"
    assert mentions(text) == {"biometric": "denial"}


@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("iMicro does not sell your Personal Information.", "denies"),
        ("We do not sell or share your personal information.", "denies"),
        ("Your personal information is never sold.", "denies"),
        ("iMicro does not sell products intended for purchase by children.", None),
        ("We may sell your personal information to data brokers.", "affirms"),
        ("If we sold your Personal Information, we list the categories.", None),
        ("We may sell businesses or business units.", None),
    ],
)
def test_sale_statements(sentence: str, stance: str | None) -> None:
    assert read(sentence)[0].sale == stance


def test_sharing_statements() -> None:
    assert read("We use your data to show you targeted advertisements.")[0].sharing == "affirms"
    assert read("We do not share your personal information for cross-context behavioral advertising.")[0].sharing == "denies"


@pytest.mark.parametrize(
    ("sentence", "amount", "unit", "extension", "kind"),
    [
        ("We endeavor to respond to a verifiable request within forty-five (45) days of its receipt.",
         45, "calendar_days", False, RequestType.ACCESS),
        ("We will respond to all legitimate requests within one month.", 1, "months", False, RequestType.ACCESS),
        ("If we require more time (up to 90 days), we will inform you in writing.", 90, "calendar_days", True,
         RequestType.ACCESS),
        ("We process opt-out requests within 15 business days.", 15, "business_days", False,
         RequestType.OPT_OUT_SALE_SHARING),
        ("We answer deletion requests within thirty days.", 30, "calendar_days", False, RequestType.ERASURE),
    ],
)
def test_promised_periods(sentence: str, amount: int, unit: str, extension: bool, kind: RequestType) -> None:
    (period,) = promised_periods(sentence, default_lexicon())
    assert (period.amount, period.unit, period.extension, period.request_type) == (amount, unit, extension, kind)


@pytest.mark.parametrize(
    "sentence",
    [
        "We will respond to your request within a reasonable timeframe.",
        "You may make a request for access only twice within a 12-month period.",
        "We notify the authority of a breach within 72 hours.",
        "Cookies expire within 30 days.",
    ],
)
def test_sentences_that_promise_no_response_period(sentence: str) -> None:
    assert promised_periods(sentence, default_lexicon()) == []


def test_lengths_of_periods_in_days() -> None:
    assert span_in_days(45, "calendar_days") == (45, 45)
    assert span_in_days(1, "months") == (28, 31)
    assert span_in_days(2, "months") == (59, 62)
    assert span_in_days(15, "business_days") == (19, 21)
    assert span_in_days(72, "hours") == (3, 3)
    assert (number("forty-five"), number("ninety"), number("one"), number("a"), number("reasonable")) == (
        45, 90, 1, 1, None
    )


def test_html_is_stripped_with_headings_lists_and_tables() -> None:
    html = """<!doctype html><html><head><title>x</title><style>p{color:red}</style></head><body>
    <h2>Information we collect</h2>
    <p>We collect your <b>email address</b>.
       We do not collect biometric information.</p>
    <script>var email_address = "not policy text";</script>
    <ul><li>your name</li></ul>
    <table><tr><td>E. Biometric information.</td><td>Fingerprints</td><td>NO</td></tr></table>
    </body></html>"""
    sentences = read_policy(html)
    texts = [s.text for s in sentences]
    assert texts == [
        "Information we collect",
        "We collect your email address.",
        "We do not collect biometric information.",
        "your name",
        "E. Biometric information. | Fingerprints | NO",
    ]
    assert sentences[0].heading and sentences[3].list_item and sentences[4].table_row
    assert sentences[1].line == sentences[2].line == 3  # where their paragraph starts
    readings = read(html)
    assert readings[4].table_row == ("E", False)


def test_sentences_split_without_breaking_abbreviations() -> None:
    line = "Maicro Labs, LLC, of 90 State St. STE 700, Albany. We use cookies, e.g. for sessions. Done!"
    assert split_sentences(line) == [
        "Maicro Labs, LLC, of 90 State St. STE 700, Albany.",
        "We use cookies, e.g. for sessions.",
        "Done!",
    ]


def test_headings_scope_what_follows_to_their_law() -> None:
    text = (
        "Your Rights and Choices under CCPA\n"
        "You may ask us to delete your data.\n"
        "Response Timing\n"
        "We respond within 45 days.\n"
        "Additional Information for Individuals in the European Economic Area\n"
        "We respond within one month.\n"
        "If you are a California resident, you may opt out.\n"
    )
    scopes = [(r.quote, r.scope) for r in read(text)]
    assert scopes[1] == ("You may ask us to delete your data.", "ccpa")
    assert scopes[3] == ("We respond within 45 days.", "ccpa")
    assert scopes[5] == ("We respond within one month.", "gdpr")
    assert scopes[6][1] == "ccpa"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07/05/2024", date(2024, 7, 5)),
        ("2024-07-05", date(2024, 7, 5)),
        ("July 5, 2024", date(2024, 7, 5)),
        ("5 July 2024", date(2024, 7, 5)),
        ("25/12/2024", date(2024, 12, 25)),
        ("sometime", None),
    ],
)
def test_dates_of_last_update(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected
    if expected is not None:
        assert read(f"Last Updated: {text}")[0].updated == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the negation governs the coordinated verb, however far from it
        ("We do not sell to advertisers or, through partners, knowingly collect precise geolocation.",
         {"precise_location": "denial"}),
        ("We will never, under any circumstances and for no purpose whatsoever, store your card number.",
         {"card": "denial"}),
        # a relative clause has a subject of its own: the collection is claimed, the sale denied
        ("We do not sell the information that we collect, such as your email address.", {"email": "claim"}),
        ("We do not share what we store about you, including your IP address.", {"ip_address": "claim"}),
    ],
)
def test_negation_is_read_by_its_scope_not_by_word_distance(sentence: str, expected: dict[str, str]) -> None:
    assert mentions(sentence) == expected


def test_numbered_and_capitalised_plain_headings_outline_the_policy() -> None:
    text = (
        "1. Information We Collect\n"
        "We collect your email address.\n"
        "5. Your Rights in the European Economic Area\n"
        "You may ask for a copy of your data.\n"
        "5.1 Access\n"
        "We answer within one month.\n"
        "6. Cookies\n"
        "We use cookies.\n"
        "YOUR CALIFORNIA RIGHTS\n"
        "You may ask us to delete your data.\n"
        "Right to Know\n"
        "We answer within 45 days.\n"
        "CONTACT US\n"
        "Write to privacy@example.com.\n"
        "We collect these items:\n"
        "1. Name\n"
        "2. Email\n"
    )
    readings = read(text)
    scopes = {r.quote: r.scope for r in readings}
    assert scopes["You may ask for a copy of your data."] == "gdpr"
    assert scopes["We answer within one month."] == "gdpr"  # 5.1 sits inside 5.
    assert scopes["We use cookies."] is None  # 6. ends the EEA section
    assert scopes["We answer within 45 days."] == "ccpa"  # a title under the capitalised heading
    assert scopes["Write to privacy@example.com."] is None  # the next capitalised heading ends it
    levels = {r.quote: r.sentence.level for r in readings if r.sentence.heading}
    assert levels["5. Your Rights in the European Economic Area"] == 1 and levels["5.1 Access"] == 2
    assert "1. Name" not in levels  # an item of the list the colon introduces, not a heading
