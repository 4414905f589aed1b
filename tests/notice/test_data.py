"""The data files of the notice package agree with the taxonomy, the rules and each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from custos.cli.notice_commands import register
from custos.datamap import LawfulBasis
from custos.notice.labels import labels, read_data
from custos.notice.policy import default_lexicon
from custos.notice.rights import rights_catalogue
from custos.rules import RequestType, load_rule_sets
from custos.taxonomy import CCPA_LETTERS, default_taxonomy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notice.md"


def test_every_topic_names_categories_of_the_taxonomy() -> None:
    taxonomy = default_taxonomy()
    for topic in default_lexicon().topics:
        for key in (*topic.categories, *topic.excludes):
            assert taxonomy.has_category(key), f"topic {topic.key}: unknown category {key}"


def test_lexicon_keys_match_the_rules_and_the_rights() -> None:
    lexicon = default_lexicon()
    rule_sets = set(load_rule_sets())
    assert set(lexicon.ccpa_rows) == set(CCPA_LETTERS)
    assert set(lexicon.jurisdiction_cues) == rule_sets | {"other"}
    assert set(lexicon.method_minimum) == rule_sets
    assert set(lexicon.rights) == {right.key for right in rights_catalogue()}
    assert {RequestType(key) for key in lexicon.deadline_request_types}
    for section in lexicon.sections:
        assert set(section.required_by) <= rule_sets | {"all"}, section.key
        assert section.when in (None, "recipients", "dpo", "representative", "transfers", "sells_or_shares"), section.key
        assert section.evidence in ("patterns", "sale_statement", "updated_date"), section.key
        assert section.patterns or section.evidence != "patterns", section.key
    assert set(lexicon.update_required_by) <= rule_sets


def test_rights_catalogue_names_real_request_types_and_laws() -> None:
    rule_sets = set(load_rule_sets())
    for right in rights_catalogue():
        assert set(right.citations) <= rule_sets, right.key
        assert set(right.part_of) <= rule_sets and set(right.policy_optional_in) <= rule_sets, right.key
        assert right.request_types or right.jurisdictions, f"{right.key} applies nowhere"
    covered = {t for right in rights_catalogue() for t in right.request_types}
    assert covered == set(RequestType)


def test_labels_cover_every_law_and_lawful_basis() -> None:
    words = labels()
    assert set(load_rule_sets()) <= set(words.jurisdictions)
    assert {b.value for b in LawfulBasis} == set(words.lawful_bases)
    countries = read_data("countries.yaml")
    assert not set(countries["eea"]["countries"]) & set(countries["adequacy"]["countries"])
    assert words.is_third_country("US") and not words.is_third_country("de")


def test_every_command_and_option_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    app = typer.Typer()
    register(app)
    group: Any = typer.main.get_command(app)
    commands: list[tuple[str, Any]] = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a sub-app such as `report`
            commands.extend((f"{name} {sub}", c) for sub, c in command.commands.items())
        else:
            commands.append((name, command))
    for name, command in commands:
        assert f"custos {name}" in text, f"`custos {name}` is not documented in {DOCS}"
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help":
                    assert re.search(rf"{re.escape(option)}\b", text), f"{name} {option} is not documented"
