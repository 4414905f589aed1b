"""Load the jurisdiction rule sets: the built-in table, then a company's own files on top.

A file holds ``jurisdictions:``, a mapping from key to rule set. An entry may start from
another with ``extends: <key>`` and give only what differs; an entry with the key of an
earlier one replaces it (``gdpr: {extends: gdpr, holiday_calendar: BE}`` adjusts the
built-in GDPR rule set). ``request_defaults`` is merged into every request type that
applies, so a law whose clock is the same for all requests says it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from custos.rules.errors import RuleSetError, UnknownJurisdictionError
from custos.rules.models import RuleSet

BUILT_IN_FILE = "custos/rules/data/jurisdictions.yaml"
_DISCRIMINATOR_TAGS = ("rule", "not_covered")


@dataclass(frozen=True)
class _Entry:
    raw: dict[str, Any]
    file: str


def load_rule_sets(*extra: str | Path) -> Mapping[str, RuleSet]:
    """Every rule set by key: the built-in ones, then those of the ``extra`` YAML files.

    Files are read in order; results are cached until a file changes. Raises
    ``RuleSetError`` naming the file and key of the first problem.
    """
    return _load(tuple(_stamp(Path(path)) for path in extra))


def rule_set(key: str, *extra: str | Path) -> RuleSet:
    """The rule set ``key``; ``UnknownJurisdictionError`` names it and lists the valid ones."""
    sets = load_rule_sets(*extra)
    try:
        return sets[key]
    except KeyError:
        raise UnknownJurisdictionError(key, sorted(sets)) from None


def _stamp(path: Path) -> tuple[str, int]:
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError as error:
        raise RuleSetError(f"cannot read rule set file: {error.strerror}", file=str(path)) from None


@lru_cache(maxsize=16)
def _load(stamps: tuple[tuple[str, int], ...]) -> Mapping[str, RuleSet]:
    entries: dict[str, _Entry] = {}
    built_in = files("custos.rules") / "data" / "jurisdictions.yaml"
    _read_into(entries, built_in.read_text(encoding="utf-8"), BUILT_IN_FILE)
    for path, _ in stamps:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RuleSetError(f"cannot read rule set file: {error}", file=path) from None
        _read_into(entries, text, path)
    return MappingProxyType({key: _build(key, entry) for key, entry in entries.items()})


def _read_into(entries: dict[str, _Entry], text: str, file: str) -> None:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise RuleSetError(f"not valid YAML{line}: {error}", file=file) from None
    if not isinstance(document, dict) or set(document) != {"jurisdictions"}:
        raise RuleSetError(
            "expected one top-level key, `jurisdictions`, mapping each key to a rule set",
            file=file,
        )
    table = document["jurisdictions"]
    if not isinstance(table, dict):
        raise RuleSetError("must map each key to a rule set", file=file, key="jurisdictions")
    for key, raw in table.items():
        where = f"jurisdictions.{key}"
        if not isinstance(raw, dict):
            raise RuleSetError("a rule set must be a mapping", file=file, key=where)
        if "key" in raw:
            raise RuleSetError("the entry's name is its key; remove `key`", file=file, key=where)
        body = {name: value for name, value in raw.items() if name != "extends"}
        if "extends" in raw:
            parent = entries.get(str(raw["extends"]))
            if parent is None:
                raise RuleSetError(
                    f"extends {raw['extends']!r}, which is not defined before it; "
                    f"defined: {', '.join(sorted(entries))}",
                    file=file,
                    key=f"{where}.extends",
                )
            body = _merge(parent.raw, body)
        entries[str(key)] = _Entry(body, file)


def _merge(base: Any, override: Any) -> Any:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    if override.get("applicable", base.get("applicable", True)) is not base.get("applicable", True):
        # A request type that turns from not covered to covered (or back) shares no fields.
        return override
    merged = dict(base)
    for name, value in override.items():
        merged[name] = _merge(base[name], value) if name in base else value
    return merged


def _build(key: str, entry: _Entry) -> RuleSet:
    raw = dict(entry.raw)
    defaults = raw.pop("request_defaults", None) or {}
    if not isinstance(defaults, dict):
        raise RuleSetError(
            "must be a mapping of request fields",
            file=entry.file,
            key=f"jurisdictions.{key}.request_defaults",
        )
    written = raw.get("requests")
    if isinstance(written, dict):
        raw["requests"] = {kind: _with_defaults(defaults, rule) for kind, rule in written.items()}
    try:
        return RuleSet.model_validate({**raw, "key": key})
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            path, text = _path(item["loc"], written), item["msg"].removeprefix("Value error, ")
            if path.endswith(".[key]"):
                path, text = path.removesuffix(".[key]"), f"not a known key: {text}"
            problems.setdefault(path, text)
        first = next(iter(problems))
        if len(problems) == 1:
            message = problems[first]
        else:
            message = "; ".join(f"{path or 'entry'}: {text}" for path, text in problems.items())
        raise RuleSetError(
            message,
            file=entry.file,
            key=f"jurisdictions.{key}" + (f".{first}" if first else ""),
        ) from None


def _with_defaults(defaults: dict[str, Any], rule: Any) -> Any:
    rule = {} if rule is None else rule
    if not isinstance(rule, dict) or rule.get("applicable", True) is False:
        return rule
    return _merge(defaults, rule)


def _path(location: tuple[int | str, ...], written: Any) -> str:
    """The key a problem was written under: a request field, or the default it came from."""
    parts = [str(part) for part in location]
    if len(parts) > 2 and parts[0] == "requests" and parts[2] in _DISCRIMINATOR_TAGS:
        del parts[2]
    if (
        len(parts) > 2
        and parts[0] == "requests"
        and parts[2] != "[key]"
        and isinstance(written, dict)
    ):
        row = written.get(parts[1])
        if not _written(row, parts[2:]):
            return ".".join(["request_defaults", *parts[2:]])
    return ".".join(parts)


def _written(row: Any, path: list[str]) -> bool:
    """Whether ``path`` (or a mapping above it that replaced the default) is in ``row``."""
    for name in path:
        if not isinstance(row, dict):
            return True
        if name not in row:
            return False
        row = row[name]
    return True
