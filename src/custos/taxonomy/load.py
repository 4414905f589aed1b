"""Read the taxonomy Custos ships (``data/*.yaml`` inside the package)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import yaml

from custos.errors import CustosError
from custos.taxonomy.entries import build_categories, build_data_uses, raise_problems
from custos.taxonomy.model import CCPA_LETTERS, CcpaCategory
from custos.taxonomy.tree import Taxonomy

TREE_FILE = "taxonomy.yaml"
CCPA_FILE = "ccpa_categories.yaml"


@functools.cache
def default_taxonomy() -> Taxonomy:
    """The fideslang tree with Custos's CCPA and GDPR mapping, read once per process."""
    data = files("custos.taxonomy").joinpath("data")
    tree = yaml.safe_load(data.joinpath(TREE_FILE).read_text(encoding="utf-8"))
    letters = yaml.safe_load(data.joinpath(CCPA_FILE).read_text(encoding="utf-8"))
    return taxonomy_from_data(tree, letters)


def taxonomy_from_data(tree: Mapping[str, Any], letters: Mapping[str, Any]) -> Taxonomy:
    """A taxonomy from parsed YAML: the tree document and the CCPA letters document.

    The tree document holds ``data_categories`` and ``data_uses`` (lists of entries,
    the format ``Taxonomy.extend`` takes) and ``data_subjects`` (key to name).
    """
    unknown = set(tree) - {"data_categories", "data_uses", "data_subjects"}
    if unknown:
        raise CustosError(f"taxonomy data: unknown section(s) {', '.join(sorted(unknown))}")
    categories, errors = build_categories(tree.get("data_categories", []), {})
    uses, use_errors = build_data_uses(tree.get("data_uses", []), {})
    raise_problems([*errors, *use_errors])
    subjects = tree.get("data_subjects", {})
    if not isinstance(subjects, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in subjects.items()
    ):
        raise CustosError("taxonomy data: data_subjects must map each key to a name")
    return Taxonomy(categories, uses, dict(subjects), _ccpa_categories(letters))


def _ccpa_categories(letters: Mapping[str, Any]) -> dict[str, CcpaCategory]:
    if sorted(letters) != list(CCPA_LETTERS):
        raise CustosError(f"CCPA categories: expected the letters A-L, got {sorted(letters)}")
    found: dict[str, CcpaCategory] = {}
    for letter, entry in letters.items():
        if not isinstance(entry, Mapping) or set(entry) != {"name", "statute", "examples"}:
            raise CustosError(f"CCPA category {letter}: expected name, statute and examples")
        found[letter] = CcpaCategory(
            letter=letter,
            name=str(entry["name"]),
            examples=" ".join(str(entry["examples"]).split()),
            statute=str(entry["statute"]),
        )
    return found
