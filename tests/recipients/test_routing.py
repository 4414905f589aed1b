"""Which recipients are told, worked out from the map: through any purpose that gave them a
category the request touched, and only those."""

from __future__ import annotations

import yaml

from custos.datamap import parse_datamap
from custos.recipients.routing import covers, recipients_to_tell, touched_by_fields

MAP = {
    "organization": {"name": "Shop", "privacy_contact": "p@shop.test", "jurisdictions": ["ccpa", "gdpr"]},
    "systems": [{"key": "db", "url": "sqlite:///shop.db", "datasets": ["shop"]}],
    "datasets": [{"key": "shop", "collections": [{"name": "customers", "fields": [
        {"name": "id", "primary_key": True},
        {"name": "email", "identity": "email", "categories": ["user.contact.email"]},
        {"name": "address", "categories": ["user.contact.address"]},
        {"name": "full_name", "categories": ["user.name"]},
        {"name": "health", "categories": ["user.health_and_medical"]},
    ]}]}],
    "purposes": [
        {"key": "delivery", "name": "Deliver", "lawful_basis": "contract", "categories": ["user.contact.address", "user.name"],
         "recipients": ["carrier", "crm"]},
        {"key": "newsletter", "name": "Mail", "lawful_basis": "consent", "categories": ["user.contact.email"],
         "recipients": ["mailer", "crm"]},
        {"key": "ads", "name": "Ads", "lawful_basis": "consent", "categories": ["user.contact.email"],
         "recipients": ["ad_network"]},
        {"key": "care", "name": "Care", "lawful_basis": "consent", "categories": ["user.health_and_medical"],
         "recipients": ["lab"]},
    ],
    "recipients": [
        {"key": "carrier", "name": "Carrier", "kind": "service_provider", "notify": {"email": "p@carrier.test"}},
        {"key": "mailer", "name": "Mailer", "kind": "processor", "notify": {"email": "p@mailer.test"}},
        {"key": "crm", "name": "CRM", "kind": "processor", "notify": {"email": "p@crm.test"}},
        {"key": "ad_network", "name": "Ads", "kind": "third_party", "shared": True,
         "notify": {"email": "p@ads.test"}},
        {"key": "lab", "name": "Lab", "kind": "service_provider", "notify": {"email": "p@lab.test"},
         "requests": ["erasure"]},
    ],
}


def told(kind: str, touched: set[str] | None) -> dict[str, tuple[str, ...]]:
    datamap = parse_datamap(yaml.safe_dump(MAP))
    return {t.recipient.key: t.purposes for t in recipients_to_tell(datamap, kind, touched)}


def test_categories_reach_a_recipient_through_several_purposes() -> None:
    everything = {"user.contact.email", "user.contact.address", "user.name", "user.health_and_medical"}
    assert told("erasure", everything) == {"carrier": ("delivery",), "crm": ("delivery", "newsletter"),
                                           "mailer": ("newsletter",), "ad_network": ("ads",), "lab": ("care",)}


def test_a_correction_reaches_those_that_received_the_corrected_field_only() -> None:
    datamap = parse_datamap(yaml.safe_dump(MAP))
    touched = touched_by_fields(datamap, [("shop.customers", "address")])
    assert touched == {"user.contact.address"}
    assert told("correction", touched) == {"carrier": ("delivery",), "crm": ("delivery",)}
    # the email reached the mailer, the CRM and the ad network, not the carrier
    assert sorted(told("correction", {"user.contact.email"})) == ["ad_network", "crm", "mailer"]


def test_an_opt_out_concerns_only_those_the_data_is_sold_or_shared_to() -> None:
    assert told("opt_out_sale_sharing", None) == {"ad_network": ("ads",)}


def test_a_recipient_hears_only_of_the_types_it_names_and_a_request_that_changes_nothing_reaches_none() -> None:
    assert "lab" not in told("correction", {"user.health_and_medical"})
    assert told("access", None) == {}


def test_a_parent_category_covers_its_children_both_ways() -> None:
    assert covers("user.contact", "user.contact.email") and covers("user.contact.email", "user.contact")
    assert not covers("user.contact", "user.content") and not covers("user.name", "user.names")
