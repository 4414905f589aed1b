"""What the shop's customers and staff write: support tickets, notes, gift messages.

Free text is where personal data hides (a name, an order number, a phone number), which
is why the data map redacts it rather than trusting it to be harmless.
"""

from __future__ import annotations

import random

from custos.demo.people import Person

_TICKETS: tuple[tuple[str, str], ...] = (
    ("Where is my order #{order}?",
     "Hi, my order #{order} was due three days ago and the tracking page has not moved. "
     "Could you check with the carrier? Thanks, {first}"),
    ("Item arrived damaged",
     "Hello, the parcel for order #{order} arrived with a cracked lid. I can send photos. "
     "Please call me on {phone} if that is easier. {name}"),
    ("Refund for order #{order}",
     "I returned order #{order} two weeks ago and have not seen the refund on my card yet. "
     "Best regards, {name}"),
    ("Change my delivery address",
     "Please send order #{order} to my work address instead; I am not home during the day. "
     "Thank you, {first}"),
    ("Question about sizes",
     "Hi, do the linen shirts run small? I usually wear a medium. {first}"),
    ("Cannot log in",
     "I keep getting 'wrong password' although I reset it twice. My phone is {phone}. {name}"),
    ("Gift order for a friend",
     "I sent order #{order} as a gift. Can you make sure no prices are in the box? {first}"),
)

_GUEST_TICKETS: tuple[tuple[str, str], ...] = (
    ("Do you ship to {country}?",
     "Hello, before I create an account: do you ship to {country}, and how long does it take? "
     "{name}"),
    ("Wholesale enquiry",
     "Hi, I run a small shop and would like to know about wholesale prices. You can reach me "
     "on {phone}. {name}"),
    ("Question about a product",
     "Is the ceramic mug dishwasher safe? Thanks, {first}"),
    ("Please remove me",
     "I keep receiving your emails although I never ordered anything. {name}"),
)

_STAFF_NOTES = (
    "Asked the carrier for a trace; reference {order}.",
    "Refund issued to the original card.",
    "Sent a replacement; customer informed by email.",
    "Customer called back, issue resolved.",
    "Escalated to the warehouse team.",
    "Password reset link sent; account unlocked.",
)

_CUSTOMER_NOTES = (
    "Thanks, it arrived today!",
    "Photos attached as requested.",
    "Still nothing on my side, could you check again?",
    "All good now, you can close this.",
)

_GIFT_MESSAGES = (
    "Happy birthday, {first}!",
    "Congratulations on the new flat!",
    "With love from all of us",
    "Merry Christmas and a happy new year",
    "Thank you for everything",
    "Get well soon!",
)


def ticket(person: Person, phone: str, order: int, rng: random.Random) -> tuple[str, str]:
    """A customer's ticket: (subject, body)."""
    subject, body = rng.choice(_TICKETS)
    values = {"order": order, "first": person.first, "name": person.full_name, "phone": phone}
    return subject.format(**values), body.format(**values)


def guest_ticket(person: Person, phone: str, rng: random.Random) -> tuple[str, str]:
    """A ticket from someone without an account: (subject, body)."""
    subject, body = rng.choice(_GUEST_TICKETS)
    values = {"country": person.country, "first": person.first, "name": person.full_name,
              "phone": phone}
    return subject.format(**values), body.format(**values)


def staff_note(order: int, rng: random.Random) -> str:
    return rng.choice(_STAFF_NOTES).format(order=order)


def customer_note(rng: random.Random) -> str:
    return rng.choice(_CUSTOMER_NOTES)


def gift_message(recipient: str, rng: random.Random) -> str:
    return rng.choice(_GIFT_MESSAGES).format(first=recipient)
