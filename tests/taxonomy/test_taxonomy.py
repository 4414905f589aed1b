"""The shipped taxonomy: fideslang keys, CCPA/GDPR mapping, lookups, extension, printing."""

from __future__ import annotations

import json

import pytest

from custos.errors import CustosError, DataMapError
from custos.taxonomy import (
    CCPA_LETTERS,
    Category,
    Taxonomy,
    UnknownTaxonomyKey,
    default_taxonomy,
    taxonomy_as_dict,
)


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return default_taxonomy()


# ---------------------------------------------------------------- fideslang keys

FIDESLANG_CATEGORIES = [
    "system", "system.authentication", "system.operations",
    "user", "user.account", "user.account.username", "user.authorization.credentials",
    "user.authorization.password", "user.behavior.browsing_history",
    "user.behavior.media_consumption", "user.behavior.purchase_history",
    "user.behavior.search_history", "user.biometric", "user.biometric.fingerprint",
    "user.biometrics.retinal", "user.children", "user.childrens",
    "user.contact.address", "user.contact.address.city", "user.contact.address.postal_code",
    "user.contact.address.street", "user.contact.email", "user.contact.phone_number",
    "user.contact.fax_number", "user.contact.url", "user.contact.social_url",
    "user.content", "user.content.private", "user.content.public", "user.content.self_image",
    "user.criminal_history", "user.demographic.date_of_birth", "user.demographic.gender",
    "user.demographic.political_opinion", "user.demographic.race_ethnicity",
    "user.demographic.religious_belief", "user.demographic.sexual_orientation",
    "user.device.cookie", "user.device.cookie_id", "user.device.device_id",
    "user.device.ip_address", "user.financial", "user.financial.bank_account",
    "user.financial.credit_card", "user.government_id.drivers_license_number",
    "user.government_id.national_identification_number", "user.government_id.passport_number",
    "user.health_and_medical", "user.health_and_medical.genetic", "user.health",
    "user.health.genetic", "user.location.imprecise", "user.location.coarse",
    "user.location.precise", "user.name", "user.name.first", "user.name.last",
    "user.payment", "user.privacy_preferences", "user.unique_id",
    "user.unique_id.pseudonymous", "user.job_title", "user.workplace",
    "user.professional_information.job_title", "user.social", "user.telemetry",
]

FIDESLANG_USES = [
    "analytics", "analytics.reporting", "analytics.reporting.ad_performance", "collect",
    "employment.recruitment", "essential", "essential.service",
    "essential.service.payment_processing", "essential.fraud_detection",
    "essential.legal_obligation", "finance", "functional.storage.privacy_preferences",
    "marketing.advertising.first_party.targeted", "marketing.advertising.third_party",
    "marketing.advertising.third_party.targeted", "marketing.communications.email",
    "personalize.content.profiling", "sales", "third_party_sharing",
    "third_party_sharing.legal_obligation", "train_ai_system",
]


@pytest.mark.parametrize("key", FIDESLANG_CATEGORIES)
def test_fideslang_category_keys_are_present(tax: Taxonomy, key: str) -> None:
    assert tax.has_category(key)
    assert tax.category(key).name


@pytest.mark.parametrize("key", FIDESLANG_USES)
def test_fideslang_data_use_keys_are_present(tax: Taxonomy, key: str) -> None:
    assert tax.has_data_use(key)
    assert key in tax.data_uses


def test_fideslang_names_and_descriptions_are_kept(tax: Taxonomy) -> None:
    email = tax.category("user.contact.email")
    assert (email.name, email.description) == ("User Contact Email", "User's contact email address.")
    assert tax.data_use("essential.service").name == "Essential for Service"
    assert tax.data_use("marketing.advertising.third_party.targeted").name == (
        "Third Party Targeted Advertising"
    )
    assert all(c.description for c in tax.categories.values())
    assert all(u.description for u in tax.data_uses.values())


def test_data_subjects(tax: Taxonomy) -> None:
    assert tax.subjects["customer"] == "Customer"
    assert tax.subjects["employee"] == "Employee"
    assert tax.subjects["supplier_vendor"] == "Supplier/Vendor"
    assert len(tax.subjects) == 15


def test_every_parent_exists_and_matches_the_key(tax: Taxonomy) -> None:
    for entries in (tax.categories, tax.data_uses):
        for key, entry in entries.items():
            assert entry.key == key
            assert entry.parent == (key.rpartition(".")[0] or None)
            assert entry.parent is None or entry.parent in entries, key


def test_deprecated_keys_point_to_existing_ones(tax: Taxonomy) -> None:
    deprecated = {c.key: c.replaced_by for c in tax.categories.values() if c.deprecated}
    assert deprecated["user.health_and_medical"] == "user.health"
    assert deprecated["user.biometric"] == "user.biometrics"
    assert all(target in tax.categories for target in deprecated.values())
    assert tax.data_use("personalize.profiling").replaced_by == "personalize.content.profiling"
    assert not tax.category("user.contact.email").deprecated


# ---------------------------------------------------------------- CCPA letters


def test_the_twelve_ccpa_categories(tax: Taxonomy) -> None:
    assert list(tax.ccpa_categories) == list("ABCDEFGHIJKL") == list(CCPA_LETTERS)
    assert tax.ccpa_categories["A"].name == "Identifiers"
    assert "1798.80(e)" in tax.ccpa_categories["B"].name
    assert tax.ccpa_categories["D"].name == "Commercial information"
    assert tax.ccpa_categories["L"].name == "Sensitive personal information"
    assert "Internet Protocol address" in tax.ccpa_categories["A"].examples
    assert "precise geolocation" in tax.ccpa_categories["L"].examples
    assert "\n" not in tax.ccpa_categories["B"].examples
    assert tax.ccpa_categories["G"].statute == "Cal. Civ. Code 1798.140(v)(1)(G)"


@pytest.mark.parametrize(
    ("key", "letter", "sensitive"),
    [
        ("user.contact.email", "A", False),
        ("user.name.first", "A", False),
        ("user.contact.address.street", "A", False),
        # A telephone number is listed in 1798.80(e), category B; not among the
        # identifiers 1798.140(v)(1)(A) names.
        ("user.contact.phone_number", "B", False),
        # 1798.140(v)(1)(A) names "Internet Protocol address" among the identifiers;
        # it is also network activity, (F), reported as a second letter.
        ("user.device.ip_address", "A", False),
        ("user.device.cookie_id", "A", False),
        # A bare card or bank account number is "any other financial information" of
        # 1798.80(e), B; only with the code or credentials that open the account is it
        # sensitive, 1798.140(ae)(1)(B).
        ("user.financial.credit_card", "B", False),
        ("user.financial.bank_account", "B", False),
        ("user.behavior.purchase_history", "D", False),
        ("user.behavior.browsing_history", "F", False),
        ("user.location.coarse", "G", False),
        ("user.location.precise", "G", True),
        ("user.biometrics.fingerprint", "E", True),
        ("user.content.self_image", "H", False),
        ("user.professional_information.job_title", "I", False),
        ("user.demographic.profile", "K", False),
        ("user.demographic.date_of_birth", "C", False),
        ("user.demographic.race_ethnicity", "C", True),
        ("user.government_id.passport_number", "A", True),
        ("user.government_id.drivers_license_number", "A", True),
        ("user.government_id.vehicle_registration", "A", False),
        ("user.authorization.password", "L", True),
        ("user.health.medications", "B", True),
        ("user.criminal_history", "B", False),
    ],
)
def test_ccpa_letter_and_sensitivity(tax: Taxonomy, key: str, letter: str, sensitive: bool) -> None:
    category = tax.category(key)
    assert category.ccpa == letter
    assert category.ccpa_sensitive is sensitive


def test_all_letters_reported_for_a_category(tax: Taxonomy) -> None:
    assert tax.category("user.device.ip_address").ccpa_letters == ("A", "F")
    assert tax.category("user.contact.phone_number").ccpa_letters == ("B", "A")
    assert tax.category("user.government_id.passport_number").ccpa_letters == ("A", "B", "L")
    assert tax.category("user.authorization.password").ccpa_letters == ("L",)
    assert tax.category("user.contact.email").ccpa_letters == ("A",)


def test_personal_data_always_has_a_letter_and_system_data_none(tax: Taxonomy) -> None:
    for category in tax.categories.values():
        if tax.is_within(category.key, "user"):
            assert category.ccpa in CCPA_LETTERS, category.key
        else:
            assert category.ccpa is None, category.key


# ---------------------------------------------------------------- GDPR

ART_9_BRANCHES = [
    "user.biometric", "user.biometrics", "user.authorization.biometric",
    "user.authorization.biometrics", "user.health", "user.health_and_medical",
    "user.demographic.political_opinion", "user.demographic.race_ethnicity",
    "user.demographic.religious_belief", "user.demographic.philosophical_belief",
    "user.demographic.sexual_orientation", "user.demographic.union_membership",
    "user.demographic.protected_classifications",
]


def test_gdpr_special_categories_are_exactly_the_art_9_branches(tax: Taxonomy) -> None:
    for category in tax.categories.values():
        expected = any(tax.is_within(category.key, branch) for branch in ART_9_BRANCHES)
        assert category.gdpr_special is expected, category.key


def test_health_and_biometric(tax: Taxonomy) -> None:
    health = tax.category("user.health")
    assert health.gdpr_special and health.ccpa_sensitive
    assert tax.category("user.health_and_medical").gdpr_special
    genetic = tax.category("user.health.genetic")
    assert (genetic.ccpa, genetic.gdpr_special, genetic.ccpa_sensitive) == ("E", True, True)
    biometric = tax.category("user.biometric")
    assert (biometric.ccpa, biometric.gdpr_special, biometric.ccpa_sensitive) == ("E", True, True)


def test_sensitive_is_not_special_and_back(tax: Taxonomy) -> None:
    # Precise location and immigration status are sensitive for the CCPA only;
    # political opinions are special for the GDPR only.
    location = tax.category("user.location.precise")
    assert location.ccpa_sensitive and not location.gdpr_special
    status = tax.category("user.demographic.citizenship_or_immigration_status")
    assert status.ccpa_sensitive and not status.gdpr_special
    politics = tax.category("user.demographic.political_opinion")
    assert politics.gdpr_special and not politics.ccpa_sensitive


def test_criminal_history_is_art_10(tax: Taxonomy) -> None:
    assert [c.key for c in tax.categories.values() if c.gdpr_criminal] == ["user.criminal_history"]
    assert not tax.category("user.criminal_history").gdpr_special


# ---------------------------------------------------------------- data uses


def test_sale_and_sharing(tax: Taxonomy) -> None:
    targeted = tax.data_use("marketing.advertising.third_party.targeted")
    assert targeted.sharing and not targeted.sale and targeted.sold_or_shared
    assert tax.data_use("third_party_sharing").sale
    legal = tax.data_use("third_party_sharing.legal_obligation")
    assert not legal.sold_or_shared
    for key in ("essential.service", "marketing.advertising.first_party.targeted",
                "analytics.reporting.ad_performance", "sales"):
        assert not tax.data_use(key).sold_or_shared, key


def test_only_third_party_uses_sell_or_share(tax: Taxonomy) -> None:
    sold_or_shared = sorted(u.key for u in tax.data_uses.values() if u.sold_or_shared)
    assert sold_or_shared == [
        "marketing.advertising.profiling",
        "marketing.advertising.third_party",
        "marketing.advertising.third_party.targeted",
        "third_party_sharing",
    ]


# ---------------------------------------------------------------- lookups


def test_is_within() -> None:
    assert Taxonomy.is_within("user.contact.email", "user.contact")
    assert Taxonomy.is_within("user.contact.email", "user.contact.email")
    assert Taxonomy.is_within("user.contact.email", "user")
    assert not Taxonomy.is_within("user.contact", "user.contact.email")
    assert not Taxonomy.is_within("user.contactless", "user.contact")
    assert not Taxonomy.is_within("user.contact.email", "user.contact.address")


def test_suggest(tax: Taxonomy) -> None:
    assert tax.suggest("user.contact.emial") == "user.contact.email"
    assert tax.suggest("user.device.ipaddress") == "user.device.ip_address"
    assert tax.suggest("essential.servce", "data_use") == "essential.service"
    assert tax.suggest("custmer", "subject") == "customer"
    assert tax.suggest("zzzz qqqq") is None


def test_unknown_category_names_key_and_suggestion(tax: Taxonomy) -> None:
    with pytest.raises(UnknownTaxonomyKey) as caught:
        tax.category("user.contact.emial")
    message = str(caught.value)
    assert "'user.contact.emial'" in message
    assert "did you mean 'user.contact.email'?" in message
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, CustosError)
    with pytest.raises(KeyError, match="essential.servce"):
        tax.data_use("essential.servce")


def test_has_category(tax: Taxonomy) -> None:
    assert tax.has_category("user.contact")
    assert not tax.has_category("user.contact.emial")
    assert not tax.has_category("essential.service")


def test_children(tax: Taxonomy) -> None:
    keys = [c.key for c in tax.children("user.contact")]
    assert "user.contact.email" in keys and "user.contact.address" in keys
    assert "user.contact.address.city" not in keys
    assert keys == sorted(keys)
    assert tax.children("user.contact.email") == []
    with pytest.raises(UnknownTaxonomyKey):
        tax.children("user.nope")


def test_descendants_and_roots(tax: Taxonomy) -> None:
    keys = [c.key for c in tax.descendants("user.name")]
    assert keys == ["user.name", "user.name.first", "user.name.last"]
    assert [c.key for c in tax.roots()] == ["system", "user"]


def test_default_taxonomy_is_loaded_once_and_immutable(tax: Taxonomy) -> None:
    assert default_taxonomy() is tax
    with pytest.raises(TypeError):
        tax.categories["user.x"] = tax.category("user")  # type: ignore[index]


# ---------------------------------------------------------------- extension


def test_extend_adds_and_inherits(tax: Taxonomy) -> None:
    extended = tax.extend(
        [
            # A child listed before its parent is fine.
            {"key": "user.loyalty.tier", "name": "Loyalty tier"},
            {"key": "user.loyalty", "name": "Loyalty program", "ccpa": "D"},
            {"key": "user.financial.credit_card.with_cvv", "name": "Card with its code",
             "ccpa_sensitive": True},
            {"key": "user.health.allergies", "name": "Allergies"},
            {"key": "acme", "name": "Acme internal"},
        ],
        [{"key": "marketing.advertising.third_party.retargeting", "name": "Retargeting"}],
    )
    tier = extended.category("user.loyalty.tier")
    assert (tier.ccpa, tier.parent, tier.description) == ("D", "user.loyalty", "")
    card = extended.category("user.financial.credit_card.with_cvv")
    assert (card.ccpa, card.ccpa_sensitive, card.gdpr_special) == ("B", True, False)
    allergies = extended.category("user.health.allergies")
    assert allergies.gdpr_special and allergies.ccpa_sensitive and allergies.ccpa == "B"
    acme = extended.category("acme")
    assert acme.parent is None and acme.ccpa is None and not acme.ccpa_sensitive
    assert extended.data_use("marketing.advertising.third_party.retargeting").sharing
    assert "user.loyalty" in [c.key for c in extended.children("user")]
    # The original is untouched.
    assert not tax.has_category("user.loyalty")
    assert not default_taxonomy().has_category("acme")


def test_extend_child_changing_its_letter_does_not_repeat_it(tax: Taxonomy) -> None:
    # user.name is A, also B; a child whose primary letter is B lists B once.
    extended = tax.extend([{"key": "user.name.signature", "name": "Signature", "ccpa": "B"}])
    signature = extended.category("user.name.signature")
    assert (signature.ccpa, signature.ccpa_also, signature.ccpa_letters) == ("B", (), ("B",))


def test_extend_accepts_fides_spelling(tax: Taxonomy) -> None:
    extended = tax.extend([{"fides_key": "user.contact.pager", "parent_key": "user.contact",
                            "name": "Pager", "description": "Pager number."}])
    pager = extended.category("user.contact.pager")
    assert (pager.ccpa, pager.description) == ("A", "Pager number.")


def test_extend_rejects_a_child_of_an_unknown_parent(tax: Taxonomy) -> None:
    with pytest.raises(DataMapError) as caught:
        tax.extend([{"key": "user.contcat.pager", "name": "Pager"}])
    message = caught.value.message
    assert "'user.contcat.pager'" in message
    assert "parent 'user.contcat' is not defined" in message
    assert "did you mean 'user.contact'?" in message
    assert caught.value.key == "user.contcat.pager"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"key": "user.contact.email", "name": "Again"}, "already exists"),
        ({"key": "user.x", "name": "X", "colour": "red"}, "unknown field(s) colour"),
        ({"key": "user.x", "name": "X", "ccpa": "Z"}, "letters A-L"),
        ({"key": "user.x", "name": "X", "ccpa_also": "AB"}, "ccpa_also must be a list"),
        ({"key": "user.x", "name": "X", "gdpr_special": "yes"}, "gdpr_special must be true or false"),
        ({"key": "user.x"}, "needs a name"),
        ({"key": "user.x", "name": "X", "parent": "system"}, "parent must be 'user'"),
        ({"key": "user..x", "name": "X"}, "needs a dotted key"),
        ({"key": "user.x", "name": "X", "replaced_by": "user.y"}, "replaced_by 'user.y'"),
        ({"key": "user.x", "fides_key": "user.y", "name": "X"}, "not both"),
    ],
)
def test_extend_rejects_bad_entries(tax: Taxonomy, entry: dict[str, object], expected: str) -> None:
    with pytest.raises(DataMapError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        tax.extend([entry])


def test_extend_reports_every_problem_at_once(tax: Taxonomy) -> None:
    with pytest.raises(DataMapError) as caught:
        tax.extend(
            [{"key": "user.a", "name": "A", "ccpa": "Q"}, {"key": "nope.b", "name": "B"}],
            [{"key": "marketing.x", "name": "X", "sale": "often"}],
        )
    message = caught.value.message
    assert "'user.a'" in message and "'nope.b'" in message and "'marketing.x'" in message


def test_extend_data_use_needs_known_parent(tax: Taxonomy) -> None:
    with pytest.raises(DataMapError, match="parent 'marketting' is not defined"):
        tax.extend([], [{"key": "marketting.x", "name": "X"}])


# ---------------------------------------------------------------- printing


def test_render_tree_lines(tax: Taxonomy) -> None:
    lines = tax.render_tree().splitlines()
    assert "user  User Data  [CCPA B]" in lines
    assert "    user.contact.email  User Contact Email  [CCPA A]" in lines
    assert "    user.device.ip_address  IP Address  [CCPA A/F]" in lines
    assert "  user.biometrics  Biometrics  [CCPA E, sensitive]  [GDPR Art. 9]" in lines
    assert "    user.location.precise  Precise Subject Location  [CCPA G, sensitive]" in lines
    assert "  user.criminal_history  Criminal History  [CCPA B]  [GDPR Art. 10]" in lines
    assert (
        "  user.health_and_medical  Health and Medical Data  [CCPA B/C, sensitive]  [GDPR Art. 9]"
        "  (deprecated: use user.health)"
    ) in lines
    assert "      marketing.advertising.third_party.targeted  Third Party Targeted Advertising  [shared]" in lines
    assert "third_party_sharing  Third Party Sharing  [sold]" in lines
    assert "customer  Customer" in lines
    assert "A  Identifiers" in lines
    # Children follow their parent, one level deeper.
    contact = lines.index("  user.contact  Contact Data  [CCPA A]")
    assert lines[contact + 1] == "    user.contact.address  User Contact Address  [CCPA A/B]"
    assert lines[contact + 2].startswith("      user.contact.address.city  ")


def test_render_tree_of_an_extension(tax: Taxonomy) -> None:
    extended = tax.extend([{"key": "user.contact.pager", "name": "Pager"}])
    assert "    user.contact.pager  Pager  [CCPA A]" in extended.render_tree().splitlines()
    assert "user.contact.pager" not in tax.render_tree()


def test_to_dict_is_json_and_complete(tax: Taxonomy) -> None:
    data = json.loads(json.dumps(tax.to_dict()))
    categories = {c["key"]: c for c in data["categories"]}
    assert set(categories) == set(tax.categories)
    assert categories["user.device.ip_address"]["ccpa_letters"] == ["A", "F"]
    assert categories["user.health"]["gdpr_special"] is True
    uses = {u["key"]: u for u in data["data_uses"]}
    assert uses["marketing.advertising.third_party"]["sold_or_shared"] is True
    assert data["subjects"]["customer"] == "Customer"
    assert data["ccpa_categories"]["L"]["name"] == "Sensitive personal information"
    assert taxonomy_as_dict() == tax.to_dict()


def test_category_is_frozen(tax: Taxonomy) -> None:
    email: Category = tax.category("user.contact.email")
    with pytest.raises(AttributeError):
        email.ccpa = "B"  # type: ignore[misc]
