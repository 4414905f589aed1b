"""Mail to the person: acknowledgement, code, completion, extension, refusal, appeal outcome.

Each mail is a Jinja2 template pair under ``templates/mail`` (``NAME.txt.j2`` and
``NAME.html.j2``; the text template's first line is ``Subject: …``). Mail is written to
the outbox folder, one ``.eml`` file per message, unless ``CUSTOS_SMTP_URL`` is set
(``smtp://user:pass@host:port``, ``smtp+starttls://…`` or ``smtps://…``).
Mail to an address the service knows nothing about reads exactly like any other: no
template says whether data is held before the person has proved the address is theirs.
"""

from __future__ import annotations

import binascii
import itertools
import os
import re
import smtplib
import time
import uuid
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.errors import ConfigError

KINDS = ("acknowledgement", "code", "completion", "extension", "refusal", "appeal_outcome", "restriction_lifted",
         "objection_outcome")

@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Templates:
    """The mail templates of one package: ``NAME.txt.j2`` (its first line ``Subject: …``)
    and ``NAME.html.j2`` under ``templates/mail``."""

    def __init__(self, package: str) -> None:
        loader = PackageLoader(package, "templates/mail")
        self._text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined,
                                 keep_trailing_newline=True)
        self._html = Environment(loader=loader, autoescape=select_autoescape(default=True),
                                 undefined=StrictUndefined)
        self._names = frozenset(loader.list_templates())

    def render(self, kind: str, context: dict[str, Any]) -> Rendered:
        """The subject, plain text and HTML of mail ``kind``."""
        label = context.get("request_label")
        if isinstance(label, str) and "a_request_label" not in context:
            # "an access request", "a deletion request"
            context = {**context, "a_request_label": f"{'an' if label[:1] in 'aeio' else 'a'} {label}"}
        language = context.get("language")
        own = f"{language}/{kind}.txt.j2" if isinstance(language, str) and language != "en" else None
        if own is not None and own in self._names:
            text = self._text.get_template(own).render(**context)
        else:
            text = self._text.get_template(f"{kind}.txt.j2").render(**context)
            own = None
        first, _, body = text.partition("\n")
        if not first.startswith("Subject: "):
            raise ValueError(f"mail template {kind} must start with a Subject: line")
        subject, body = first.removeprefix("Subject: ").strip(), body.lstrip("\n")
        if own is not None:  # a translation is written once, as text; its HTML follows from it
            html = self._html.get_template("translated.html.j2").render(
                **context, subject=subject, paragraphs=[p for p in body.split("\n\n") if p.strip()])
        else:
            html = self._html.get_template(f"{kind}.html.j2").render(**context)
        return Rendered(subject, body, html)


_TEMPLATES = Templates("custos.service")


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The subject, plain text and HTML of one of the service's mails."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail {kind!r}")
    return _TEMPLATES.render(kind, context)


_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_FOLD_AT = 76  # an ASCII header longer than this is folded at its spaces


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the transport: envelope sender and recipient, and its bytes."""

    sender: str
    to: str
    kind: str
    data: bytes


def _header(name: str, value: str) -> str:
    """One header line; line breaks in ``value`` never start a header of their own."""
    value = " ".join(value.splitlines())
    if not value.isascii():
        return f"{name}: {Header(value, _UTF8, header_name=name).encode()}\n"
    line, lines = f"{name}:", []
    for word in value.split(" "):  # folded at spaces only: the value reads back unchanged
        if len(line) + 1 + len(word) > _FOLD_AT and line.strip() != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    return "\n".join([*lines, line]) + "\n"


def _address(value: str) -> str:
    """An address for the To header: an international domain in its ASCII (IDNA) form; a
    local part outside ASCII stays UTF-8, as RFC 6532 allows (and SMTPUTF8 carries)."""
    value = " ".join(value.splitlines())
    local, at, domain = value.rpartition("@")
    if at and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            pass
        value = f"{local}@{domain}"
    return value


def _part(subtype: str, content: str, boundary: str) -> str:
    body = binascii.b2a_qp(content.encode(), istext=True).decode("ascii")
    return (f"--{boundary}\nContent-Type: text/{subtype}; charset=\"utf-8\"\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{body}\n")


def compose(sender: str, to: str, kind: str, rendered: Rendered, headers: dict[str, str] | None = None) -> Outgoing:
    """A MIME multipart/alternative message (plain text first, then HTML, both UTF-8 in
    quoted-printable), with ``headers`` added to the usual ones.

    Written directly rather than through ``email.generator``: every part has the same shape,
    and this is the busiest path of request intake. Tests parse the result with the standard
    parser. The boundary is random, and quoted-printable bodies cannot contain it.
    """
    boundary = f"=_custos_{uuid.uuid4().hex}"
    address = _address(to)
    fields = {"From": sender, "Subject": rendered.subject, "Date": formatdate(localtime=False),
              "Message-ID": make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
              "X-Custos-Mail": kind, **(headers or {})}
    head = f"To: {address}\n" + "".join(_header(name, value) for name, value in fields.items())
    text = (f"{head}MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\n\n"
            f"{_part('plain', rendered.text, boundary)}{_part('html', rendered.html, boundary)}--{boundary}--\n")
    return Outgoing(sender, address, kind, text.encode())


_SEQUENCE = itertools.count()


class Fanout:
    """One message for many people: composed once, then given each recipient's ``To`` and a
    fresh ``Message-ID`` (a breach notice to 100,000 people renders its body once)."""

    def __init__(self, sender: str, kind: str, rendered: Rendered, headers: dict[str, str] | None = None) -> None:
        template = compose(sender, "fanout@invalid", kind, rendered, headers)
        rest = template.data.partition(b"\n")[2]  # the first line is the To header
        self.sender, self.kind = sender, kind
        self._domain = sender.rpartition("@")[2] or "localhost"
        start = rest.index(b"Message-ID: ")
        end = rest.index(b"\n", start)
        self._before, self._after = rest[:start], rest[end:]

    def to(self, recipient: str) -> Outgoing:
        address = _address(recipient)
        message_id = make_msgid(domain=self._domain).encode()
        data = b"To: " + address.encode() + b"\n" + self._before + b"Message-ID: " + message_id + self._after
        return Outgoing(self.sender, address, self.kind, data)


class Mailer:
    """Sends rendered mail through SMTP, or writes it to the outbox folder."""

    def __init__(self, *, sender: str, smtp_url: str = "", outbox: str | Path = "outbox") -> None:
        self.sender = sender
        self.smtp_url = smtp_url
        self.outbox = Path(outbox)
        self._outbox_ready = False

    def send(self, to: str, kind: str, context: dict[str, Any]) -> Outgoing:
        """Render mail ``kind`` for ``to`` and deliver it; returns the message sent."""
        message = compose(self.sender, to, kind, render(kind, context))
        self.deliver(message)
        return message

    def deliver(self, message: Outgoing) -> None:
        """Hand ``message`` to the transport: SMTP when configured, else the outbox folder."""
        if self.smtp_url:
            self._smtp(message)
        else:
            self._write(message)

    def _write(self, message: Outgoing) -> None:
        if not self._outbox_ready:
            self.outbox.mkdir(parents=True, exist_ok=True)
            self._outbox_ready = True
        # names in the order mail was written (a folder's index grows at its end, which keeps
        # writing fast with hundreds of thousands of files), unique across processes
        name = os.path.join(self.outbox, f"{time.time_ns():020d}-{os.getpid()}-{next(_SEQUENCE):08d}")
        with open(name + ".tmp", "wb") as out:
            out.write(message.data)
        os.replace(name + ".tmp", name + ".eml")  # a reader never sees half a mail

    def _smtp(self, message: Outgoing) -> None:
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
            options = [] if message.to.isascii() else ["SMTPUTF8"]  # an address outside ASCII (RFC 6531)
            client.sendmail(message.sender, [message.to], re.sub(rb"\r?\n", b"\r\n", message.data),  # CRLF lines
                            mail_options=options)


def read_outbox(outbox: str | Path) -> list[EmailMessage]:
    """Every mail in the outbox folder, oldest first (for tests and local development)."""
    from email import policy
    from email.parser import BytesParser

    paths = sorted(Path(outbox).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in paths]
