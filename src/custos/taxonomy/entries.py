"""Turn raw taxonomy entries (YAML mappings) into categories and data uses.

The same rules serve the tree Custos ships and the extensions a data map declares:
a key is dotted, its parent is the key without its last segment and must exist (in
the tree already or among the new entries) unless the key is top level, every field
is known, and a flag that an entry leaves out is inherited from its parent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from custos.errors import DataMapError, DataMapErrors
from custos.taxonomy.model import CCPA_LETTERS, Category, DataUse
from custos.taxonomy.nearest import nearest

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
"""A taxonomy key: dot-separated segments of letters, digits, ``_`` and ``-``."""

_COMMON_FIELDS = ("key", "name", "description", "parent", "replaced_by")
_ALIASES = {"fides_key": "key", "parent_key": "parent"}  # the spelling of Fides files
_CATEGORY_FLAGS = ("ccpa", "ccpa_also", "ccpa_sensitive", "gdpr_special", "gdpr_criminal")
_USE_FLAGS = ("sale", "sharing")

Entry = TypeVar("Entry", Category, DataUse)


@dataclass(frozen=True)
class _Raw:
    """The common fields of one entry, checked; ``flags`` as written."""

    key: str
    name: str
    description: str
    parent: str | None
    replaced_by: str | None
    flags: Mapping[str, Any]


class _Problems:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.errors: list[DataMapError] = []

    def add(self, key: str | None, message: str) -> None:
        subject = f"taxonomy {self.kind} {key!r}" if key else f"taxonomy {self.kind}"
        error = DataMapError(f"{subject}: {message}")
        error.key = key  # the message names the key already; keep it for programs
        self.errors.append(error)


def build_categories(
    raw: Sequence[Any], existing: Mapping[str, Category]
) -> tuple[dict[str, Category], list[DataMapError]]:
    """New categories from raw entries, on top of ``existing``; with the problems found."""
    return _build(raw, existing, "category", _CATEGORY_FLAGS, _category)


def build_data_uses(
    raw: Sequence[Any], existing: Mapping[str, DataUse]
) -> tuple[dict[str, DataUse], list[DataMapError]]:
    """New data uses from raw entries, on top of ``existing``; with the problems found."""
    return _build(raw, existing, "data use", _USE_FLAGS, _data_use)


def raise_problems(errors: list[DataMapError]) -> None:
    """Raise the one problem, or all of them together; do nothing when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataMapErrors(errors)


def _build(
    raw: Sequence[Any],
    existing: Mapping[str, Entry],
    kind: str,
    flag_names: tuple[str, ...],
    make: Callable[[_Raw, Entry | None, _Problems], Entry | None],
) -> tuple[dict[str, Entry], list[DataMapError]]:
    problems = _Problems(kind)
    entries = _parse(raw, existing, flag_names, problems)
    declared = {entry.key for entry in entries}
    built: dict[str, Entry] = {}
    # Parents have fewer segments than their children: building by depth lets an
    # extension list a child before its parent.
    for entry in sorted(entries, key=lambda e: e.key.count(".")):
        parent: Entry | None = None
        if entry.parent is not None:
            parent = built.get(entry.parent) or existing.get(entry.parent)
            if parent is None:
                if entry.parent not in declared:  # an invalid declared parent is reported already
                    hint = nearest(entry.parent, [*existing, *built])
                    problems.add(
                        entry.key,
                        f"parent {entry.parent!r} is not defined"
                        + (f" (did you mean {hint!r}?)" if hint else "")
                        + "; declare it too, or use a top-level key",
                    )
                continue
        made = make(entry, parent, problems)
        if made is not None:
            built[entry.key] = made
    for key, made in built.items():
        if made.replaced_by is not None and made.replaced_by not in built and made.replaced_by not in existing:
            problems.add(key, f"replaced_by {made.replaced_by!r} is not defined")
    return built, problems.errors


def _parse(
    raw: Sequence[Any], existing: Mapping[str, object], flag_names: tuple[str, ...], problems: _Problems
) -> list[_Raw]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        problems.add(None, f"entries must be a list, not {type(raw).__name__}")
        return []
    allowed = (*_COMMON_FIELDS, *flag_names)
    seen: set[str] = set()
    entries: list[_Raw] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            problems.add(None, f"entry #{index + 1} must be a mapping with key and name")
            continue
        fields = dict(item)
        clashes = [alias for alias, field in _ALIASES.items() if alias in fields and field in fields]
        if clashes:
            for alias in clashes:
                problems.add(str(fields[_ALIASES[alias]]), f"give {_ALIASES[alias]!r} or {alias!r}, not both")
            continue
        for alias, field in _ALIASES.items():
            if alias in fields:
                fields[field] = fields.pop(alias)
        key = fields.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            problems.add(
                None,
                f"entry #{index + 1} needs a dotted key such as 'user.custom.loyalty_id', got {key!r}",
            )
            continue
        unknown = sorted(set(fields) - set(allowed))
        if unknown:
            problems.add(key, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(allowed)}")
            continue
        if key in seen or key in existing:
            problems.add(key, "already exists in the taxonomy")
            continue
        seen.add(key)
        parsed = _common(key, fields, problems)
        if parsed is not None:
            entries.append(parsed)
    return entries


def _common(key: str, fields: dict[str, Any], problems: _Problems) -> _Raw | None:
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(key, "needs a name (a non-empty string)")
        return None
    description = fields.get("description", "")
    if not isinstance(description, str):
        problems.add(key, "description must be a string")
        return None
    derived = key.rpartition(".")[0] or None
    parent = fields.get("parent", derived)
    if parent != derived:
        problems.add(key, f"parent must be {derived!r} (the key without its last segment), not {parent!r}")
        return None
    replaced_by = fields.get("replaced_by")
    if replaced_by is not None and not isinstance(replaced_by, str):
        problems.add(key, "replaced_by must be a key")
        return None
    flags = {name: value for name, value in fields.items() if name not in _COMMON_FIELDS}
    return _Raw(key, name.strip(), description.strip(), derived, replaced_by, flags)


def _category(entry: _Raw, parent: Category | None, problems: _Problems) -> Category | None:
    try:
        ccpa = _letter(entry.flags["ccpa"]) if "ccpa" in entry.flags else (parent.ccpa if parent else None)
        also = (
            _letters(entry.flags["ccpa_also"]) if "ccpa_also" in entry.flags
            else (parent.ccpa_also if parent else ())
        )
        sensitive = _flag(entry.flags, "ccpa_sensitive", parent.ccpa_sensitive if parent else False)
        special = _flag(entry.flags, "gdpr_special", parent.gdpr_special if parent else False)
        criminal = _flag(entry.flags, "gdpr_criminal", parent.gdpr_criminal if parent else False)
    except ValueError as exc:
        problems.add(entry.key, str(exc))
        return None
    return Category(
        key=entry.key,
        name=entry.name,
        description=entry.description,
        parent=entry.parent,
        ccpa=ccpa,
        ccpa_sensitive=sensitive,
        gdpr_special=special,
        gdpr_criminal=criminal,
        ccpa_also=tuple(letter for letter in also if letter != ccpa),
        replaced_by=entry.replaced_by,
    )


def _data_use(entry: _Raw, parent: DataUse | None, problems: _Problems) -> DataUse | None:
    try:
        sale = _flag(entry.flags, "sale", parent.sale if parent else False)
        sharing = _flag(entry.flags, "sharing", parent.sharing if parent else False)
    except ValueError as exc:
        problems.add(entry.key, str(exc))
        return None
    return DataUse(
        key=entry.key,
        name=entry.name,
        description=entry.description,
        parent=entry.parent,
        sale=sale,
        sharing=sharing,
        replaced_by=entry.replaced_by,
    )


def _letter(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().upper() in CCPA_LETTERS:
        return value.strip().upper()
    raise ValueError(f"ccpa must be one of the letters A-L or null, not {value!r}")


def _letters(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"ccpa_also must be a list of letters A-L, not {value!r}")
    if not all(isinstance(item, str) and item.strip().upper() in CCPA_LETTERS for item in value):
        raise ValueError(f"ccpa_also must be a list of letters A-L, not {value!r}")
    return tuple(dict.fromkeys(item.strip().upper() for item in value))


def _flag(flags: Mapping[str, Any], name: str, inherited: bool) -> bool:
    value = flags.get(name, inherited)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value
