"""Mail to the person: acknowledgement, code, completion, extension, refusal, appeal outcome.

Each mail is a Jinja2 template pair under ``templates/mail`` (``NAME.txt.j2`` and
``NAME.html.j2``; the text template's first line is ``Subject: …``). Mail is written to
the outbox folder, one ``.eml`` file per message, unless ``CUSTOS_SMTP_URL`` is set
(``smtp://user:pass@host:port``, ``smtp+starttls://…`` or ``smtps://…``).
Mail to an address the service knows nothing about reads exactly like any other: no
template says whether data is held before the person has proved the address is theirs.
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.errors import ConfigError

KINDS = ("acknowledgement", "code", "completion", "extension", "refusal", "appeal_outcome")

_TEXT = Environment(
    loader=PackageLoader("custos.service", "templates/mail"),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
_HTML = Environment(
    loader=PackageLoader("custos.service", "templates/mail"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The subject, plain text and HTML of one mail."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail {kind!r}")
    text = _TEXT.get_template(f"{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail template {kind} must start with a Subject: line")
    html = _HTML.get_template(f"{kind}.html.j2").render(**context)
    return Rendered(first.removeprefix("Subject: ").strip(), body.lstrip("\n"), html)


class Mailer:
    """Sends rendered mail through SMTP, or writes it to the outbox folder."""

    def __init__(self, *, sender: str, smtp_url: str = "", outbox: str | Path = "outbox") -> None:
        self.sender = sender
        self.smtp_url = smtp_url
        self.outbox = Path(outbox)

    def send(self, to: str, kind: str, context: dict[str, Any]) -> EmailMessage:
        """Render mail ``kind`` for ``to`` and deliver it; returns the message sent."""
        rendered = render(kind, context)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or "localhost")
        message["X-Custos-Mail"] = kind
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        if self.smtp_url:
            self._smtp(message)
        else:
            self._write(message)
        return message

    def _write(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{uuid.uuid4().hex}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(path)  # a reader never sees half a mail

    def _smtp(self, message: EmailMessage) -> None:
        url = urlsplit(self.smtp_url)
        if url.scheme not in ("smtp", "smtps", "smtp+starttls") or not url.hostname:
            raise ConfigError("CUSTOS_SMTP_URL must look like smtp://user:pass@host:port")
        port = url.port or (465 if url.scheme == "smtps" else 587 if url.scheme == "smtp+starttls" else 25)
        smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(url.hostname, port, timeout=30) as client:
            if url.scheme == "smtp+starttls":
                client.starttls()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)


def read_outbox(outbox: str | Path) -> list[EmailMessage]:
    """Every mail in the outbox folder, oldest first (for tests and local development)."""
    from email import policy
    from email.parser import BytesParser

    paths = sorted(Path(outbox).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in paths]
