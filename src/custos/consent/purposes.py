"""Which purposes a person chooses about, read from the data map.

A banner offers every purpose whose lawful basis is consent. Three more keys name the
opt-out rights of US state laws, which exist whether or not the map lists a purpose for
them: ``sale``, ``sharing`` and ``targeted_advertising``. Global Privacy Control turns
off those three and every consent purpose that falls under them: a use under
``marketing.advertising`` (other than first-party contextual ads) or a recipient the
data is sold or shared to. Email topics are the consent purposes whose uses include
``marketing.communications.email``.
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.datamap import DataMap

OPT_OUT_RIGHTS: dict[str, tuple[str, str]] = {
    "sale": ("Sale of personal information", "Selling your personal information to third parties."),
    "sharing": ("Sharing for cross-context advertising",
                "Sharing your personal information for cross-context behavioral advertising."),
    "targeted_advertising": ("Targeted advertising",
                             "Showing you ads based on your activity across other sites and apps."),
}
_ADVERTISING = "marketing.advertising"
_CONTEXTUAL = "marketing.advertising.first_party.contextual"
_EMAIL = "marketing.communications.email"
DEFAULT_TOPIC = "newsletter"


@dataclass(frozen=True)
class ConsentPurpose:
    """A purpose a person may grant or deny."""

    key: str
    name: str
    description: str
    opt_out: bool  # turned off by Global Privacy Control
    email_topic: bool
    from_map: bool


def consent_purposes(datamap: DataMap) -> list[ConsentPurpose]:
    """The data map's consent purposes, then the opt-out rights the map does not list."""
    recipients = {r.key: r for r in datamap.document.recipients}
    found: list[ConsentPurpose] = []
    for purpose in datamap.document.purposes:
        if purpose.lawful_basis != "consent":
            continue
        advertising = any(u.startswith(_ADVERTISING) and not u.startswith(_CONTEXTUAL) for u in purpose.uses)
        sold = any(recipients[r].sold or recipients[r].shared for r in purpose.recipients if r in recipients)
        found.append(ConsentPurpose(
            key=purpose.key, name=purpose.name, description=purpose.description or purpose.name,
            opt_out=advertising or sold, email_topic=any(u.startswith(_EMAIL) for u in purpose.uses),
            from_map=True,
        ))
    keys = {p.key for p in found}
    for key, (name, description) in OPT_OUT_RIGHTS.items():
        if key not in keys:
            found.append(ConsentPurpose(key=key, name=name, description=description, opt_out=True,
                                        email_topic=False, from_map=False))
    return found


def banner_purposes(datamap: DataMap) -> list[ConsentPurpose]:
    """The purposes a banner shows: every consent purpose except the email topics."""
    return [p for p in consent_purposes(datamap) if not p.email_topic]


def opt_out_purposes(datamap: DataMap) -> list[str]:
    """The keys Global Privacy Control (and Do Not Track, where honored) turns off."""
    return [p.key for p in consent_purposes(datamap) if p.opt_out]


def email_topics(datamap: DataMap) -> list[ConsentPurpose]:
    """The topics of mail a person can subscribe to (a single newsletter when the map names none)."""
    topics = [p for p in consent_purposes(datamap) if p.email_topic]
    if topics:
        return topics
    return [ConsentPurpose(key=DEFAULT_TOPIC, name="Newsletter", description="News and offers by email.",
                           opt_out=False, email_topic=True, from_map=False)]
