"""The one mail of a double opt-in: the confirmation request, sent through the service's mailer."""

from __future__ import annotations

from typing import Any

from custos.service import mail as service_mail
from custos.service.mail import Outgoing, Templates

_TEMPLATES = Templates("custos.consent")


def compose(sender: str, to: str, kind: str, context: dict[str, Any]) -> Outgoing:
    """Mail ``kind`` rendered from ``templates/mail/KIND.{txt,html}.j2`` (the text's first line is the subject)."""
    return service_mail.compose(sender, to, kind, _TEMPLATES.render(kind, context),
                                {"Auto-Submitted": "auto-generated"})
