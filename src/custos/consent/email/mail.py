"""The one mail of a double opt-in: the confirmation request, sent through the service's mailer."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.service.mail import Mailer

_TEXT = Environment(loader=PackageLoader("custos.consent", "templates/mail"), autoescape=False,
                    undefined=StrictUndefined, keep_trailing_newline=True)
_HTML = Environment(loader=PackageLoader("custos.consent", "templates/mail"),
                    autoescape=select_autoescape(default=True), undefined=StrictUndefined)


def compose(sender: str, to: str, kind: str, context: dict[str, Any]) -> EmailMessage:
    """Mail ``kind`` rendered from ``templates/mail/KIND.{txt,html}.j2`` (the text's first line is the subject)."""
    text = _TEXT.get_template(f"{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = first.removeprefix("Subject: ").strip()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["X-Custos-Mail"] = kind
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.lstrip("\n"))
    message.add_alternative(_HTML.get_template(f"{kind}.html.j2").render(**context), subtype="html")
    return message


def deliver(mailer: Mailer, message: EmailMessage) -> None:
    """Hand ``message`` to the service mailer's transport: SMTP when configured, else the outbox."""
    if mailer.smtp_url:
        mailer._smtp(message)
    else:
        mailer._write(message)
