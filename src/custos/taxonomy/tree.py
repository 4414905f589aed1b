"""The taxonomy: data categories, data uses, data subjects and the CCPA letters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from custos.taxonomy.entries import build_categories, build_data_uses, raise_problems
from custos.taxonomy.model import Category, CcpaCategory, DataUse, UnknownTaxonomyKey
from custos.taxonomy.nearest import nearest
from custos.taxonomy.render import render_dict, render_text

Kind = Literal["category", "data_use", "subject"]


class Taxonomy:
    """An immutable taxonomy; ``extend`` returns a new one with extra entries.

    Keys are dotted and hierarchical: ``user.contact.email`` is within
    ``user.contact``, which is within ``user``.
    """

    categories: Mapping[str, Category]
    data_uses: Mapping[str, DataUse]
    subjects: Mapping[str, str]
    ccpa_categories: Mapping[str, CcpaCategory]

    def __init__(
        self,
        categories: Mapping[str, Category],
        data_uses: Mapping[str, DataUse],
        subjects: Mapping[str, str],
        ccpa_categories: Mapping[str, CcpaCategory],
    ) -> None:
        self.categories = MappingProxyType(dict(sorted(categories.items())))
        self.data_uses = MappingProxyType(dict(sorted(data_uses.items())))
        self.subjects = MappingProxyType(dict(sorted(subjects.items())))
        self.ccpa_categories = MappingProxyType(dict(sorted(ccpa_categories.items())))
        children: dict[str | None, list[Category]] = {}
        for category in self.categories.values():
            children.setdefault(category.parent, []).append(category)
        self._children = children

    def __repr__(self) -> str:
        return (
            f"Taxonomy({len(self.categories)} categories, {len(self.data_uses)} data uses, "
            f"{len(self.subjects)} subjects)"
        )

    def category(self, key: str) -> Category:
        """The category ``key``; an unknown key raises an error naming the nearest one."""
        try:
            return self.categories[key]
        except KeyError:
            raise UnknownTaxonomyKey("category", key, self.suggest(key)) from None

    def data_use(self, key: str) -> DataUse:
        """The data use ``key``; an unknown key raises an error naming the nearest one."""
        try:
            return self.data_uses[key]
        except KeyError:
            raise UnknownTaxonomyKey("data use", key, self.suggest(key, "data_use")) from None

    def has_category(self, key: str) -> bool:
        """True when ``key`` is a category of this taxonomy."""
        return key in self.categories

    def has_data_use(self, key: str) -> bool:
        """True when ``key`` is a data use of this taxonomy."""
        return key in self.data_uses

    @staticmethod
    def is_within(key: str, ancestor: str) -> bool:
        """True when ``key`` is ``ancestor`` itself or lies below it in the tree.

        ``user.contact.email`` is within ``user.contact`` and within itself;
        ``user.contactless`` is not within ``user.contact``. Works for data uses too.
        """
        return key == ancestor or key.startswith(ancestor + ".")

    def suggest(self, key: str, kind: Kind = "category") -> str | None:
        """The existing key nearest to ``key`` (difflib), or None when none is close."""
        candidates: Mapping[str, object]
        if kind == "category":
            candidates = self.categories
        elif kind == "data_use":
            candidates = self.data_uses
        else:
            candidates = self.subjects
        return nearest(key, candidates)

    def children(self, key: str) -> list[Category]:
        """The direct children of category ``key``, by key."""
        self.category(key)
        return list(self._children.get(key, []))

    def roots(self) -> list[Category]:
        """The top-level categories (``system``, ``user``), by key."""
        return list(self._children.get(None, []))

    def descendants(self, key: str) -> list[Category]:
        """Category ``key`` and every category below it, depth first."""
        found = [self.category(key)]
        for child in self._children.get(key, []):
            found.extend(self.descendants(child.key))
        return found

    def extend(
        self,
        categories: Sequence[Mapping[str, Any]],
        data_uses: Sequence[Mapping[str, Any]] | None = None,
    ) -> Taxonomy:
        """A new taxonomy with extra categories and data uses (a data map's own).

        Each entry needs ``key`` (dotted; its parent must exist or the key be top
        level) and ``name``; ``description`` is optional. A category inherits
        ``ccpa``, ``ccpa_also``, ``ccpa_sensitive``, ``gdpr_special`` and
        ``gdpr_criminal`` from its parent unless it gives them; a data use inherits
        ``sale`` and ``sharing``. Every bad entry is reported at once, as a
        ``DataMapError`` naming its key.
        """
        new_categories, errors = build_categories(categories, self.categories)
        new_uses, use_errors = build_data_uses(data_uses or [], self.data_uses)
        raise_problems([*errors, *use_errors])
        return Taxonomy(
            {**self.categories, **new_categories},
            {**self.data_uses, **new_uses},
            self.subjects,
            self.ccpa_categories,
        )

    def render_tree(self) -> str:
        """The whole taxonomy as an indented text tree (``custos taxonomy``)."""
        return render_text(self)

    def to_dict(self) -> dict[str, Any]:
        """The whole taxonomy as JSON-ready data (``custos taxonomy --json``)."""
        return render_dict(self)
