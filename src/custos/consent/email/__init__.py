"""Email preferences: double opt-in, topics, the suppression list and RFC 8058 one-click unsubscribe."""

from custos.consent.email.contacts import confirm, email_subject, may_send, subscribe, topic_state
from custos.consent.email.headers import unsubscribe_headers
from custos.consent.email.suppression import is_suppressed, suppress, unsubscribe

__all__ = [
    "confirm",
    "email_subject",
    "is_suppressed",
    "may_send",
    "subscribe",
    "suppress",
    "topic_state",
    "unsubscribe",
    "unsubscribe_headers",
]
