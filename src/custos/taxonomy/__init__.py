"""The category taxonomy: which personal data a field holds and what the law calls it.

Custos ships its own copy of the fideslang taxonomy (the data categories, data uses
and data subjects of the Fides project) as data, ``data/taxonomy.yaml``, and adds to
each category its CCPA category letter (A-L, sensitive or not) and whether it is a
GDPR Art. 9 special category or Art. 10 criminal data, and to each data use whether
it sells or shares under the CCPA. The names and examples of the CCPA letters are in
``data/ccpa_categories.yaml``. A data map may extend the tree with its own entries.
"""

from __future__ import annotations

from custos.taxonomy.load import default_taxonomy, taxonomy_from_data
from custos.taxonomy.model import (
    CCPA_LETTERS,
    SENSITIVE_LETTER,
    Category,
    CcpaCategory,
    DataUse,
    UnknownTaxonomyKey,
)
from custos.taxonomy.tree import Taxonomy


def taxonomy_as_dict() -> dict[str, object]:
    """The default taxonomy as JSON-ready data (``custos taxonomy --json``)."""
    return default_taxonomy().to_dict()


__all__ = [
    "CCPA_LETTERS",
    "SENSITIVE_LETTER",
    "CcpaCategory",
    "Category",
    "DataUse",
    "Taxonomy",
    "UnknownTaxonomyKey",
    "default_taxonomy",
    "taxonomy_as_dict",
    "taxonomy_from_data",
]
