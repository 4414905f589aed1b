"""The one mail of a double opt-in: the confirmation request, sent through the service's mailer."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.service import mail as service_mail
from custos.service.mail import Mailer, Outgoing, Rendered

_TEXT = Environment(loader=PackageLoader("custos.consent", "templates/mail"), autoescape=False,
                    undefined=StrictUndefined, keep_trailing_newline=True)
_HTML = Environment(loader=PackageLoader("custos.consent", "templates/mail"),
                    autoescape=select_autoescape(default=True), undefined=StrictUndefined)


def compose(sender: str, to: str, kind: str, context: dict[str, Any]) -> Outgoing:
    """Mail ``kind`` rendered from ``templates/mail/KIND.{txt,html}.j2`` (the text's first line is the subject)."""
    text = _TEXT.get_template(f"{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    rendered = Rendered(first.removeprefix("Subject: ").strip(), body.lstrip("\n"),
                        _HTML.get_template(f"{kind}.html.j2").render(**context))
    return service_mail.compose(sender, to, kind, rendered, {"Auto-Submitted": "auto-generated"})


def deliver(mailer: Mailer, message: Outgoing) -> None:
    """Hand ``message`` to the service mailer's transport: SMTP when configured, else the outbox."""
    mailer.deliver(message)
