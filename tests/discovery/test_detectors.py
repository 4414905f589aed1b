"""Each detector on values it must recognise and on the look-alikes it must refuse; the card
and SSN detectors against independent implementations of their rules; masks that hide."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.discovery import detectors as d
from custos.discovery.classify import classify
from custos.discovery.masking import mask
from custos.stores.base import ColumnKind


@pytest.mark.parametrize("value", ["ann@example.com", "Mateo.185@Example.COM", "o'neil+tag@sub.mail.co.uk",
                                   "josé@correo.es"])
def test_emails(value: str) -> None:
    assert d.is_email(value)


@pytest.mark.parametrize("value", ["ann@localhost", "not an email", "a@b", "@example.com", "ann@@example.com"])
def test_not_emails(value: str) -> None:
    assert not d.is_email(value)


@pytest.mark.parametrize("value", ["(415) 555-0100", "415.555.0100", "+1 415 555 0100", "+44 20 7946 0958",
                                   "+49 (0)30 1234567", "030 1234567", "070-1152-4493"])
def test_formatted_phones(value: str) -> None:
    assert d.phone_kind(value, "US") == "formatted"


@pytest.mark.parametrize("value", ["2024-01-15", "12.50", "1.2.3", "ORD-415-555", "415", "45.123456"])
def test_not_phones(value: str) -> None:
    assert d.phone_kind(value, "US") is None


def test_bare_digits_are_only_weak_phone_evidence() -> None:
    assert d.phone_kind("4155550100", "US") == "bare"
    orders = [f"415{n:07d}" for n in range(2_000_000, 2_000_200)]
    assert classify("order_no", ColumnKind.STRING, orders).category is None
    assert classify("mobile", ColumnKind.STRING, orders).category == d.PHONE


@pytest.mark.parametrize("value", ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"])
def test_cards(value: str) -> None:
    assert d.is_card(value)


@pytest.mark.parametrize("value", ["4111111111111112", "1234567812345670", "0000000000000000", "4111"])
def test_not_cards(value: str) -> None:
    assert not d.is_card(value)


def test_skus_that_pass_luhn_are_not_cards_by_their_name() -> None:
    skus = ["4539578763621486", "4916338506082832", "4024007198964305", "4485429517622493"] * 30
    assert classify("sku", ColumnKind.STRING, skus).category is None
    assert classify("card_number", ColumnKind.STRING, skus).category == d.CARD


def _luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        x = int(c) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_a_card_number_always_passes_an_independent_luhn_check(digits: str) -> None:
    if d.is_card(digits):
        assert _luhn(digits) and digits[0] in "2345613"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 999), st.integers(0, 99), st.integers(0, 9999))
def test_ssns_outside_the_issued_ranges_are_refused(area: int, group: int, serial: int) -> None:
    value = f"{area:03d}-{group:02d}-{serial:04d}"
    issued = area not in (0, 666) and area < 900 and group != 0 and serial != 0
    if d.ssn_kind(value) is not None:
        assert issued, value
    if not issued:
        assert d.ssn_kind(value) is None and d.ssn_kind(value.replace("-", "")) is None


@pytest.mark.parametrize("value", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606"])
def test_ibans(value: str) -> None:
    assert d.is_iban(value)


def test_an_iban_with_a_wrong_checksum_is_refused() -> None:
    assert not d.is_iban("GB83 WEST 1234 5698 7654 32")


@pytest.mark.parametrize("value", ["12345678Z", "RSSMRA85T10A562S", "131052-308T", "390.533.447-05"])
def test_national_identifiers(value: str) -> None:
    assert d.national_kind(value) is not None


def test_national_identifiers_with_a_wrong_check_character_are_refused() -> None:
    assert d.national_kind("12345678A") is None and d.national_kind("131052-308U") is None


@pytest.mark.parametrize("value", ["12 Oak Street", "Hauptstraße 5", "43, boulevard Hardy", "Calle Mayor 7",
                                   "Kerkstraat 12", "Flat 16, Henry Summit", "avenue Neveu"])
def test_streets(value: str) -> None:
    assert d.is_street(value)


@pytest.mark.parametrize("value", ["Ergonomic dynamic throughput", "Port Stephanie", "Dr. Magdalena Jacob",
                                   "The way we work.", "Blue Widget 3000 Pro Max Ultra Edition With Extras"])
def test_not_streets(value: str) -> None:
    assert not d.is_street(value)


def test_ips_and_positions() -> None:
    assert d.is_ip("192.168.0.1") and d.is_ip("2001:db8::1") and not d.is_ip("999.1.1.1")
    assert not d.is_ip("1.2.3")
    assert d.is_lat_lng("37.7749,-122.4194") and not d.is_lat_lng("37.7,-122.4") and not d.is_lat_lng("91.0000,0.0000")


def test_free_text_with_an_email_inside() -> None:
    texts = [f"Please call me back, I changed my address last week number {i}" for i in range(40)]
    texts[3] += " write to ann.lee@example.org"
    texts[9] += " or +1 415 555 0100"
    verdict = classify("body", ColumnKind.STRING, texts)
    assert verdict.category == d.TEXT and set(verdict.contains) == {d.EMAIL, d.PHONE}


def test_a_column_named_email_that_holds_something_else() -> None:
    verdict = classify("email", ColumnKind.STRING, ["yes", "no", "bounced"] * 40)
    assert verdict.category is None and "do not look like it" in " ".join(verdict.evidence)


def test_empty_and_binary_columns() -> None:
    assert classify("email", ColumnKind.STRING, []).category is None
    assert classify("photo", ColumnKind.BINARY, [1024, 2048]).category == "user.content.self_image"
    assert classify("blob", ColumnKind.BINARY, [1024]).category is None


def test_names_in_many_scripts_and_with_particles() -> None:
    names = ["Finn van Doorn", "María José García-López", "山田 太郎", "O'Neil Smith", "pani Aurelia Suchora"] * 30
    assert classify("c7", ColumnKind.STRING, names).category == d.NAME
    products = ["Blue Widget", "Ergonomic Chair", "Steel Lamp", "Oak Table"] * 30
    assert classify("c8", ColumnKind.STRING, products).category is None


@pytest.mark.parametrize(("value", "detector"), [
    ("mateo.185@example.com", "email"), ("+1 415 555 0100", "phone"), ("4111 1111 1111 1111", "card"),
    ("Ann Lee", "name"), ("12 Oak Street", "street"), ("192.168.10.7", "ip"), ("1985-03-12", "date")])
def test_masks_hide_the_value(value: str, detector: str) -> None:
    shown = mask(value, detector)
    assert shown != value and "*" in shown or "#" in shown
    for part in value.replace("@", " ").replace(".", " ").split():
        if len(part) > 3:
            assert part not in shown
    assert mask("F", "name") == "***"


@pytest.mark.parametrize("value", [
    "$2b$12$KIXQJ7c6uTHR4Y0x4GTQeO0y9nA0H1Z3m8v0Wl9qfCwz2zJ7Qm1n2",
    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$8gGQ2Yh0M7bW3o0q9Xz1Qe",
    "pbkdf2_sha256$600000$abcdefgh$Zm9vYmFyYmF6cXV4Zm9vYmFy=",
    "$6$saltsalt$" + "a" * 86])
def test_password_hashes(value: str) -> None:
    assert d.is_password_hash(value)


def test_not_password_hashes() -> None:
    assert not d.is_password_hash("hunter2") and not d.is_password_hash("$12.50") and not d.is_password_hash("$2b$")


def test_social_profiles_macs_and_ages() -> None:
    assert d.is_social_url("https://www.linkedin.com/in/ann-lee") and d.is_social_url("github.com/annlee")
    assert not d.is_social_url("https://shop.example/p/12") and not d.is_social_url("https://x.com/")
    assert d.is_mac("3c:22:fb:0a:91:7e") and d.is_mac("3C-22-FB-0A-91-7E") and not d.is_mac("3c:22:fb:0a:91")
    assert classify("age", ColumnKind.INTEGER, [18, 44, 90, 61]).category == "user.demographic.age_range"
    assert classify("age", ColumnKind.INTEGER, [18, 440]).category is None  # not ages
    assert classify("eta", ColumnKind.INTEGER, [5, 30, 90]).category is None  # minutes to delivery
