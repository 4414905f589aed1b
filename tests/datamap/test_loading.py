"""Loading a data map: every error names the file, the line and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from custos.datamap import load_datamap, parse_datamap
from custos.errors import DataMapError
from tests import shop

GOOD = shop.MAP.replace("${SHOP_URL}", "sqlite:///shop.db").replace("${CRM_URL}", "sqlite:///crm.db")


def error_of(text: str, file: str = "map.yaml") -> DataMapError:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text, file=file)
    return caught.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_good_map_resolves_collections_edges_and_entry_points() -> None:
    datamap = parse_datamap(GOOD)
    assert "shop.customers" in datamap.collections and "crm.contacts" in datamap.collections
    assert datamap.identity_types == ["email", "phone"]
    edges = {str(e) for e in datamap.edges}
    assert "shop.customers.id <-> shop.tickets.customer_id" in edges
    assert "shop.customers.id -> crm.contacts.customer_ref" in edges
    assert "shop.groups.id <- shop.group_members.group_id" in edges
    assert datamap.system_of("crm.contacts") == "crm_db"


def test_unknown_key_is_an_error_with_its_line() -> None:
    text = GOOD.replace("erase_rows: true\n        fields:\n          - {name: customer_id",
                        "erase_rows: true\n        colour: blue\n        fields:\n          - {name: customer_id", 1)
    error = error_of(text)
    assert "unknown key 'colour'" in str(error)
    assert error.file == "map.yaml" and error.line == line_of(text, "colour: blue")


def test_unknown_category_suggests_the_nearest() -> None:
    text = GOOD.replace("categories: [user.contact.email], identity: email, erase: mask_hash}",
                        "categories: [user.contact.emial], identity: email, erase: mask_hash}", 1)
    error = error_of(text)
    assert "unknown category 'user.contact.emial'" in str(error)
    assert "did you mean 'user.contact.email'" in str(error)
    assert error.line == line_of(text, "user.contact.emial")


def test_bad_strategy_names_the_allowed_ones() -> None:
    text = GOOD.replace("erase: mask_null}", "erase: shred}", 1)
    error = error_of(text)
    assert "shred" in str(error) and "mask_null" in str(error)
    assert error.line == line_of(text, "shred")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("{field: orders.id, kind: owner}", "{kind: owner, field: invoices.id}"), "unknown collection 'shop.invoices'"),
        (("{field: orders.id, kind: owner}", "{kind: owner, field: orders.number}"), "declares no field 'number'"),
        (("keep_for: tax_records}", "keep_for: tax_recrods}"), "unknown exception 'tax_recrods'"),
        (("datasets: [crm]}", "datasets: [crm2]}"), "unknown dataset 'crm2'"),
        (("jurisdictions: [ccpa, gdpr]", "jurisdictions: [ccpa, narnia]"), "unknown jurisdiction 'narnia'"),
        (("recipients: [carrier]", "recipients: [pigeon]"), "unknown recipient 'pigeon'"),
        (("period: P3Y", "period: three years"), "not an ISO-8601 duration"),
        (("lawful_basis: contract", "lawful_basis: because"), "because"),
    ],
)
def test_meaning_errors_name_what_and_where(change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(change[0], change[1], 1)
    error = error_of(text)
    assert expected in str(error)
    assert error.line == line_of(text, change[1].split(":")[-1].strip(" }[]").split(",")[-1].strip() or change[1])


def test_all_problems_are_reported_at_once() -> None:
    text = GOOD.replace("keep_for: tax_records}", "keep_for: nope}", 1).replace("{field: orders.id, kind: owner}", "{field: nowhere.id, kind: owner}", 1)
    message = str(error_of(text))
    assert "nope" in message and "nowhere" in message


def test_keep_for_with_erase_is_refused() -> None:
    error = error_of(GOOD.replace("keep_for: tax_records}", "keep_for: tax_records, erase: mask_null}", 1))
    assert "both keep_for and erase" in str(error)


def test_environment_variables_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD.replace("url: \"sqlite:///shop.db\"", "url: \"${SHOP_DB:-sqlite:///default.db}\"")
    assert parse_datamap(text).systems["shop_db"].url == "sqlite:///default.db"
    monkeypatch.setenv("SHOP_DB", "postgresql://u:secret@db/shop")
    assert parse_datamap(text).systems["shop_db"].url == "postgresql://u:secret@db/shop"
    missing = GOOD.replace("url: \"sqlite:///shop.db\"", "url: \"${NOT_SET_ANYWHERE}\"")
    error = error_of(missing)
    assert "NOT_SET_ANYWHERE is not set" in str(error) and error.line == line_of(missing, "NOT_SET_ANYWHERE")


def test_a_folder_of_files_is_merged(tmp_path: Path) -> None:
    head, _, rest = GOOD.partition("\ndatasets:")
    datasets, _, tail = rest.partition("\npurposes:")
    (tmp_path / "a.yaml").write_text(head)
    (tmp_path / "b.yaml").write_text("datasets:" + datasets)
    (tmp_path / "c.yaml").write_text("purposes:" + tail)
    datamap = load_datamap(tmp_path)
    assert len(datamap.collections) == 10
    (tmp_path / "d.yaml").write_text("organization:\n  name: X\n  privacy_contact: x@y.z\n  jurisdictions: [gdpr]\n")
    error = load_datamap_error(tmp_path)
    assert "may appear in one file only" in str(error) and error.file is not None and error.file.endswith("d.yaml")


def load_datamap_error(path: Path) -> DataMapError:
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("- a\n- b\n", "expected a mapping"),
        ("organization: [unclosed\n", "not valid YAML"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("a: 1\na: 2\n", "appears twice"),
        ("!!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("{1: 2}\n", "keys must be text"),
        ("organization: 12\n", "organization"),
    ],
)
def test_hostile_and_malformed_yaml_is_refused_cleanly(text: str, expected: str) -> None:
    assert expected in str(error_of(text))


def test_billion_laughs_is_refused_before_expansion() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=False)
    )
    assert "aliases" in str(error_of(laughs))


def test_missing_file_and_binary_file(tmp_path: Path) -> None:
    assert "no such file" in str(load_datamap_error(tmp_path / "nope.yaml"))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "UTF-8" in str(load_datamap_error(binary))


def test_unreachable_collection_is_a_warning() -> None:
    text = GOOD.replace("      - name: groups\n", "      - name: lonely\n        fields:\n          - {name: id, primary_key: true}\n      - name: groups\n", 1)
    datamap = parse_datamap(text)
    assert any("shop.lonely cannot be reached" in w for w in datamap.warnings)


def test_a_map_extends_the_taxonomy_with_its_own_categories() -> None:
    text = GOOD.replace("{name: body, categories: [user.content], erase: mask_redact}",
                        "{name: body, categories: [user.content.support_transcript], erase: mask_redact}")
    error = error_of(text)
    assert "unknown category 'user.content.support_transcript'" in str(error)
    extended = text + (
        "taxonomy:\n  categories:\n"
        "    - {key: user.content.support_transcript, name: Support transcript, parent: user.content}\n"
    )
    datamap = parse_datamap(extended)
    category = datamap.taxonomy.category("user.content.support_transcript")
    assert category.name == "Support transcript"
    assert category.ccpa == datamap.taxonomy.category("user.content").ccpa  # inherited from its parent
