"""The taxonomy printed for people (an indented tree) and for programs (a dict)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from custos.taxonomy.model import SENSITIVE_LETTER, Category, DataUse

if TYPE_CHECKING:
    from custos.taxonomy.tree import Taxonomy

INDENT = "  "


class _Node(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def parent(self) -> str | None: ...


Node = TypeVar("Node", bound=_Node)


def category_marks(category: Category) -> str:
    """The markers of one category line: CCPA letters, sensitivity, GDPR articles."""
    letters = [letter for letter in category.ccpa_letters if letter != SENSITIVE_LETTER]
    if category.ccpa == SENSITIVE_LETTER:
        letters.insert(0, SENSITIVE_LETTER)
    marks = []
    if letters:
        marks.append(f"[CCPA {'/'.join(letters)}{', sensitive' if category.ccpa_sensitive else ''}]")
    elif category.ccpa_sensitive:
        marks.append("[CCPA sensitive]")
    if category.gdpr_special:
        marks.append("[GDPR Art. 9]")
    if category.gdpr_criminal:
        marks.append("[GDPR Art. 10]")
    return "  ".join(marks)


def use_marks(use: DataUse) -> str:
    """The markers of one data-use line: sold and/or shared under the CCPA."""
    done = [word for word, flag in (("sold", use.sale), ("shared", use.sharing)) if flag]
    return f"[{' and '.join(done)}]" if done else ""


def render_text(taxonomy: Taxonomy) -> str:
    """Categories, data uses, data subjects and CCPA letters as indented text."""
    lines = ["Data categories  [CCPA letters, sensitive]  [GDPR Art. 9 special / Art. 10 criminal]"]
    for depth, category in _walk(list(taxonomy.categories.values())):
        lines.append(_line(depth, category.key, category.name, category_marks(category), category.replaced_by))
    lines += ["", "Data uses  [sold and/or shared under the CCPA]"]
    for depth, use in _walk(list(taxonomy.data_uses.values())):
        lines.append(_line(depth, use.key, use.name, use_marks(use), use.replaced_by))
    lines += ["", "Data subjects"]
    lines += [_line(0, key, name, "", None) for key, name in taxonomy.subjects.items()]
    lines += ["", "CCPA categories of personal information (Cal. Civ. Code 1798.140(v)(1))"]
    lines += [_line(0, letter, ccpa.name, "", None) for letter, ccpa in taxonomy.ccpa_categories.items()]
    return "\n".join(lines)


def render_dict(taxonomy: Taxonomy) -> dict[str, Any]:
    """Every entry with every field, JSON-ready; lists sorted by key."""
    return {
        "categories": [_category_dict(c) for c in taxonomy.categories.values()],
        "data_uses": [_use_dict(u) for u in taxonomy.data_uses.values()],
        "subjects": dict(taxonomy.subjects),
        "ccpa_categories": {
            letter: {"name": c.name, "examples": c.examples, "statute": c.statute}
            for letter, c in taxonomy.ccpa_categories.items()
        },
    }


def _line(depth: int, key: str, name: str, marks: str, replaced_by: str | None) -> str:
    parts = [f"{INDENT * depth}{key}", name]
    if marks:
        parts.append(marks)
    if replaced_by:
        parts.append(f"(deprecated: use {replaced_by})")
    return "  ".join(parts)


def _walk(entries: Sequence[Node]) -> Iterator[tuple[int, Node]]:
    children: dict[str | None, list[Node]] = {}
    for entry in sorted(entries, key=lambda e: e.key):
        children.setdefault(entry.parent, []).append(entry)

    def below(parent: str | None, depth: int) -> Iterator[tuple[int, Node]]:
        for entry in children.get(parent, []):
            yield depth, entry
            yield from below(entry.key, depth + 1)

    return below(None, 0)


def _category_dict(category: Category) -> Mapping[str, Any]:
    return {
        "key": category.key,
        "name": category.name,
        "description": category.description,
        "parent": category.parent,
        "ccpa": category.ccpa,
        "ccpa_also": list(category.ccpa_also),
        "ccpa_letters": list(category.ccpa_letters),
        "ccpa_sensitive": category.ccpa_sensitive,
        "gdpr_special": category.gdpr_special,
        "gdpr_criminal": category.gdpr_criminal,
        "replaced_by": category.replaced_by,
    }


def _use_dict(use: DataUse) -> Mapping[str, Any]:
    return {
        "key": use.key,
        "name": use.name,
        "description": use.description,
        "parent": use.parent,
        "sale": use.sale,
        "sharing": use.sharing,
        "sold_or_shared": use.sold_or_shared,
        "replaced_by": use.replaced_by,
    }
