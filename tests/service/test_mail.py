"""Mail as a standard reader sees it: both parts, any language, and no header a value can add."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

from custos.service.mail import Mailer, Rendered, compose, read_outbox


def parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_text_and_html_parts_read_back_unchanged() -> None:
    text = "Hello,\n\nYour code is:\n\n    123456\n\n" + "a long line of words " * 20 + "\n.\nFrom the team\n"
    html = "<p>Bonjour, voilà <strong>123456</strong></p>"
    message = parsed(compose("privacy@shop.example", "ana@example.com", "code",
                             Rendered("Your confirmation code: 123456", text, html)).data)
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == "privacy@shop.example" and message["To"] == "ana@example.com"
    assert message["X-Custos-Mail"] == "code" and message["Message-ID"] and message["Date"]
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content() == text
    assert rich.get_content() == html


def test_non_ascii_and_long_headers_are_encoded_and_folded() -> None:
    subject = "Ihre Bestätigung für die Anfrage über Ihre Daten bei Müller & Söhne, bitte aufbewahren"
    unsubscribe = "<https://privacy.shop.example/unsubscribe/" + "t" * 150 + ">, <mailto:u@shop.example>"
    data = compose("privacy@shop.example", "ana@bücher.example", "code", Rendered(subject, "x", "y"),
                   {"List-Unsubscribe": unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}).data
    assert data.isascii()
    assert all(len(line) <= 998 for line in data.split(b"\n"))
    message = parsed(data)
    assert message["Subject"] == subject
    assert message["To"] == "ana@xn--bcher-kva.example"  # the domain in its IDNA form
    assert message["List-Unsubscribe"] == unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_address_outside_ascii_reads_back_as_given() -> None:
    outgoing = compose("privacy@shop.example", "josé@example.com", "code", Rendered("Code", "x", "y"))
    assert outgoing.to == "josé@example.com"
    assert parsed(outgoing.data)["To"] == "josé@example.com"  # UTF-8 header (RFC 6532)


def test_a_value_with_line_breaks_adds_no_header() -> None:
    message = parsed(compose("privacy@shop.example", "ana@example.com\r\nBcc: all@example.com", "code",
                             Rendered("Hi\nBcc: everyone@example.com", "x", "y")).data)
    assert message.get_all("Bcc") is None
    assert message["Subject"] == "Hi Bcc: everyone@example.com"


def test_the_outbox_holds_one_file_per_mail(tmp_path: Path) -> None:
    mailer = Mailer(sender="privacy@shop.example", outbox=tmp_path / "outbox")
    mailer.send("ana@example.com", "acknowledgement", {
        "org_name": "Shop", "privacy_contact": "privacy@shop.example", "request_id": "r-1",
        "request_label": "access", "due": "6 January 2027", "status_url": "https://x.example/r-1",
        "received": "22 November 2026"})
    assert [p.suffix for p in (tmp_path / "outbox").iterdir()] == [".eml"]
    [message] = read_outbox(tmp_path / "outbox")
    assert message["Subject"] == "We received your access request"
    body = message.get_body(("plain",))
    assert body is not None and "We will answer by 6 January 2027." in body.get_content()
