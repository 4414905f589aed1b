"""Load the laws: one file per law, the built-in ones, then a company's own on top.

A law file (``custos/rules/laws/<key>.yaml``, or ``<key>.yaml`` in the folder that
``CUSTOS_RULES_DIR`` names) holds everything Custos knows of one law: ``label`` (the words
a notice uses for it), ``rights`` (the provision that grants each right a notice explains),
``policy_cues`` (patterns that place a policy's text under it) and ``rules`` (its rule set:
deadlines, limits, verification levels, exceptions). ``extends: <key>`` starts the rule set
from another law and gives only what differs; a file with the key of an earlier law
replaces it and keeps what it does not say (``gdpr.yaml`` with ``extends: gdpr`` and
``rules: {holiday_calendar: BE}`` adjusts the built-in GDPR). ``request_defaults`` is merged
into every request type that applies, so a law whose clock is the same for all requests
says it once. Files of the older shape, ``jurisdictions:`` mapping keys to rule sets, are
read too (``load_rule_sets(path)``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from custos.rules.errors import RuleSetError, UnknownJurisdictionError
from custos.rules.models import RuleSet

BUILT_IN_DIR = "custos/rules/laws"
#: the setting that names the folder of a company's own law files
RULES_DIR_VARIABLE = "CUSTOS_RULES_DIR"
LAW_KEYS = ("label", "rights", "policy_cues", "rules", "extends")
_DISCRIMINATOR_TAGS = ("rule", "not_covered")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class LawRight:
    """The provision of a law that grants one right of the notice's catalogue."""

    citation: str
    part_of: str | None = None  # the right a policy may describe it under, in this law
    policy_optional: bool = False  # this law does not ask a policy to describe it
    #: the provision that asks a policy to describe the right (GDPR Art. 13(2)(b)), where it is
    #: not the one that grants it
    disclosure: str | None = None


@dataclass(frozen=True)
class Law:
    """One law as its file gives it."""

    key: str
    label: str
    rights: Mapping[str, LawRight]
    policy_cues: tuple[str, ...]
    rules: RuleSet
    file: str


@dataclass
class _Entry:
    raw: dict[str, Any]
    file: str
    label: str | None = None
    rights: dict[str, LawRight] = field(default_factory=dict)
    cues: tuple[str, ...] = ()
    prefix: str = "rules"  # where the rule set sits in its file, for error messages


@dataclass(frozen=True)
class _Loaded:
    laws: Mapping[str, Law]
    rule_sets: Mapping[str, RuleSet]


_configured: Path | None = None


def configure(directory: str | Path | None) -> None:
    """Read a company's own law files from ``directory`` (the ``CUSTOS_RULES_DIR`` setting;
    ``None``: the environment variable decides)."""
    global _configured
    _configured = Path(directory) if directory else None


def company_dir() -> Path | None:
    """The folder of the company's own law files, if one is set."""
    if _configured is not None:
        return _configured
    value = os.environ.get(RULES_DIR_VARIABLE, "").strip()
    return Path(value) if value else None


def load_laws(*extra: str | Path) -> Mapping[str, Law]:
    """Every law by key: the built-in ones, the company's folder, then the ``extra`` files."""
    return _load(_stamps(extra)).laws


def load_rule_sets(*extra: str | Path) -> Mapping[str, RuleSet]:
    """Every rule set by key: the built-in laws, the company's folder, then the ``extra`` files.

    Files are read in order; results are cached until a file changes. Raises
    ``RuleSetError`` naming the file and key of the first problem.
    """
    return _load(_stamps(extra)).rule_sets


def rule_set(key: str, *extra: str | Path) -> RuleSet:
    """The rule set ``key``; ``UnknownJurisdictionError`` names it and lists the valid ones."""
    return law(key, *extra).rules


def law(key: str, *extra: str | Path) -> Law:
    """The law ``key`` with its label, rights and policy cues."""
    laws = load_laws(*extra)
    try:
        return laws[key]
    except KeyError:
        raise UnknownJurisdictionError(key, sorted(laws)) from None


def _stamps(extra: tuple[str | Path, ...]) -> tuple[tuple[str, int], ...]:
    folder = company_dir()
    own: tuple[Path, ...] = ()
    if folder is not None:
        try:
            listed = folder.stat().st_mtime_ns  # a file added or removed changes it
        except OSError:
            listed = None
        if listed is None or not folder.is_dir():
            raise RuleSetError(f"{RULES_DIR_VARIABLE} names no folder", file=str(folder))
        own = _law_files(str(folder), listed)
    return tuple(_stamp(path) for path in (*own, *(Path(p) for p in extra)))


@lru_cache(maxsize=8)
def _law_files(folder: str, _listed: int) -> tuple[Path, ...]:
    """The law files of ``folder``, listed once per change of the folder (every rule set asked
    for checks the laws are current; it need not read the folder each time)."""
    return tuple(sorted(Path(folder).glob("*.yaml")))


def _stamp(path: Path) -> tuple[str, int]:
    try:
        return str(path), path.stat().st_mtime_ns
    except OSError as error:
        raise RuleSetError(f"cannot read rule set file: {error.strerror}", file=str(path)) from None


@lru_cache(maxsize=16)
def _load(stamps: tuple[tuple[str, int], ...]) -> _Loaded:
    entries: dict[str, _Entry] = {}
    for law_file in sorted(files("custos.rules").joinpath("laws").iterdir(), key=lambda f: f.name):
        if law_file.name.endswith(".yaml"):
            key = law_file.name.removesuffix(".yaml")
            _read_law(entries, key, _parse(law_file.read_text(encoding="utf-8"), f"{BUILT_IN_DIR}/{law_file.name}"),
                      f"{BUILT_IN_DIR}/{law_file.name}")
    laws_of_folder: dict[str, tuple[Any, str]] = {}
    for path, _ in stamps:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RuleSetError(f"cannot read rule set file: {error}", file=path) from None
        document = _parse(text, path)
        if isinstance(document, dict) and set(document) == {"jurisdictions"}:
            _read_table(entries, document, path)
        else:
            laws_of_folder[Path(path).stem] = (document, path)
    _read_folder(entries, laws_of_folder)
    laws = {key: _law(key, entry) for key, entry in entries.items()}
    return _Loaded(MappingProxyType(laws), MappingProxyType({key: found.rules for key, found in laws.items()}))


def _parse(text: str, file: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise RuleSetError(f"not valid YAML{line}: {error}", file=file) from None


def _read_folder(entries: dict[str, _Entry], documents: dict[str, tuple[Any, str]]) -> None:
    """The company's law files, each after the law it extends (which may be another of them)."""
    reading: list[str] = []

    def read(key: str) -> None:
        document, file = documents.pop(key)
        reading.append(key)
        parent = document.get("extends") if isinstance(document, dict) else None
        if isinstance(parent, str) and parent in documents:
            read(parent)
        elif isinstance(parent, str) and parent in reading and parent != key:
            raise RuleSetError(f"extends {parent!r}, which extends this law again", file=file, key="extends")
        _read_law(entries, key, document, file)

    for key in sorted(documents):
        if key in documents:
            read(key)


def _read_law(entries: dict[str, _Entry], key: str, document: Any, file: str) -> None:
    if not _KEY.match(key):
        raise RuleSetError(f"a law file is named by its key: lower-case letters, digits and _, not {key!r}",
                           file=file)
    if not isinstance(document, dict):
        raise RuleSetError(f"a law file is a mapping of {', '.join(LAW_KEYS)}", file=file)
    unknown = sorted(set(document) - set(LAW_KEYS))
    if unknown:
        raise RuleSetError(f"not a key of a law file; its keys: {', '.join(LAW_KEYS)}", file=file, key=unknown[0])
    rules = document.get("rules") or {}
    if not isinstance(rules, dict):
        raise RuleSetError("must be a mapping: the law's rule set", file=file, key="rules")
    if "key" in rules:
        raise RuleSetError("the law's key is its file name; remove `key`", file=file, key="rules.key")
    label = document.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise RuleSetError("must be the words a notice uses for the law", file=file, key="label")
    entry = _extended(entries, key, rules, document.get("extends"), file, "extends")
    entry.prefix = "rules"
    entry.label = label.strip() if isinstance(label, str) else entry.label
    entry.rights = {**entry.rights, **_rights(document.get("rights"), file)}
    if "policy_cues" in document:
        entry.cues = _cues(document["policy_cues"], file)
    entries[key] = entry


def _read_table(entries: dict[str, _Entry], document: dict[str, Any], file: str) -> None:
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
        entry = _extended(entries, str(key), body, raw.get("extends"), file, f"{where}.extends")
        entry.prefix = where
        entries[str(key)] = entry


def _extended(entries: dict[str, _Entry], key: str, body: dict[str, Any], parent_key: Any, file: str,
              where: str) -> _Entry:
    """The entry for ``key``: ``body`` over the law it extends. A law that replaces one of the
    same key keeps its label, rights and cues; a new law takes only the parent's rules."""
    if parent_key is None:
        return _Entry(body, file)
    parent = entries.get(str(parent_key))
    if parent is None:
        raise RuleSetError(
            f"extends {parent_key!r}, which is not defined before it; defined: {', '.join(sorted(entries))}",
            file=file,
            key=where,
        )
    merged = _merge(parent.raw, body)
    if str(parent_key) == key:
        return _Entry(merged, file, parent.label, dict(parent.rights), parent.cues)
    return _Entry(merged, file)


def _rights(raw: Any, file: str) -> dict[str, LawRight]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleSetError("must map each right to the provision that grants it", file=file, key="rights")
    found: dict[str, LawRight] = {}
    for right, value in raw.items():
        where = f"rights.{right}"
        if isinstance(value, str) and value.strip():
            found[str(right)] = LawRight(value.strip())
            continue
        if not isinstance(value, dict) or not isinstance(value.get("citation"), str) \
                or set(value) - {"citation", "part_of", "policy_optional", "disclosure"}:
            raise RuleSetError("a citation, or {citation, part_of, policy_optional, disclosure}", file=file, key=where)
        disclosure = value.get("disclosure")
        found[str(right)] = LawRight(value["citation"].strip(), value.get("part_of"),
                                     bool(value.get("policy_optional", False)),
                                     str(disclosure).strip() if disclosure else None)
    return found


def _cues(raw: Any, file: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(cue, str) and cue for cue in raw):
        raise RuleSetError("must be a list of patterns", file=file, key="policy_cues")
    for cue in raw:
        try:
            re.compile(cue)
        except re.error as error:
            raise RuleSetError(f"{cue!r} is not a valid pattern: {error}", file=file, key="policy_cues") from None
    return tuple(raw)


def _law(key: str, entry: _Entry) -> Law:
    rules = _build(key, entry)
    return Law(key=key, label=entry.label or key.upper(), rights=MappingProxyType(entry.rights),
               policy_cues=entry.cues, rules=rules, file=entry.file)


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
            key=f"{entry.prefix}.request_defaults",
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
            key=entry.prefix + (f".{first}" if first else ""),
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
