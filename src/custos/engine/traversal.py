"""Finding every row that belongs to a subject: a fixpoint over the data map's edges.

Each round asks each collection, in one statement per batch of keys, for the rows whose
lookup fields hold values not yet asked for. New rows yield new values along the edges
(parent → child, and child → parent where the edge says ``both`` or ``reverse``), until no
collection has anything left to ask. Cycles and self-references end because a value is
never asked for twice.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from custos.datamap import CollectionInfo, DataMap
from custos.engine.subject import Subject
from custos.matching import MatchRule
from custos.stores import Selector, Store


@dataclass
class Found:
    """The rows of one collection that belong to the subject."""

    info: CollectionInfo
    rows: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    asked: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    statements: int = 0
    match: dict[str, MatchRule] = field(default_factory=dict)  # identity fields and their rules

    def row_key(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        columns = self.info.primary_key or [f.name for f in self.info.fields]
        return tuple(_hashable(row.get(c)) for c in columns)

    def selector(self) -> Selector:
        """Selects exactly these rows again: by primary key, else by the values that found them."""
        if self.info.primary_key:
            return Selector.by_keys(self.info.primary_key, list(self.rows))
        return Selector.by_values(self.asked, self.match)


@dataclass
class Mention:
    """Rows of ``info`` whose ``field`` names the subject without the rows being theirs."""

    info: CollectionInfo
    field: str
    parent_values: frozenset[Any]
    rows: dict[tuple[Any, ...], dict[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def unit(self) -> str:
        return mention_unit(self.info.qualified, self.field)


def mention_unit(qualified: str, field_name: str) -> str:
    return f"{qualified}#{field_name}"


@dataclass
class Reach:
    """Everything one traversal found, per qualified collection name."""

    found: dict[str, Found]
    mentions: dict[str, Mention] = field(default_factory=dict)  # by unit, collection#field

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.found.values())

    def rows(self, qualified: str) -> list[dict[str, Any]]:
        found = self.found.get(qualified)
        return list(found.rows.values()) if found else []

    def values_of(self, qualified: str, field_name: str) -> frozenset[Any]:
        """Every non-null value of ``field_name`` in the rows found in ``qualified``."""
        return frozenset(
            _hashable(row[field_name]) for row in self.rows(qualified) if row.get(field_name) is not None
        )


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def traverse(
    datamap: DataMap,
    stores: Mapping[str, Store],
    subject: Subject,
    rules: Mapping[tuple[str, str], str] | None = None,
) -> Reach:
    """All rows reachable from ``subject``'s identities, reading only declared fields.

    Each identity field is compared through its match rule (``rules`` may replace the rule
    of some entry points, for a looser second look). A value that reaches an identity field
    along an edge is compared through the same rule, so a stored spelling found in one table
    finds the same person's rows in another.
    """
    match: dict[tuple[str, str], MatchRule] = {}
    for entry in datamap.entry_points:
        name = (rules or {}).get((entry.collection, entry.field), entry.rule)
        match[(entry.collection, entry.field)] = datamap.rules.get(name)
    found = {q: Found(info) for q, info in datamap.collections.items()}
    for (qualified, field_name), rule in match.items():
        found[qualified].match[field_name] = rule
    wanted = _Wanted(match, datamap.rules.region)
    for entry in datamap.entry_points:
        wanted.add_all((entry.collection, entry.field), subject.values(entry.identity))

    outgoing: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for edge in datamap.edges:
        if edge.mention:
            continue  # a row that names the person is not theirs: the traversal stops there
        if edge.forward:
            outgoing[edge.parent].append((edge.parent_field, edge.child, edge.child_field))
        if edge.backward:
            outgoing[edge.child].append((edge.child_field, edge.parent, edge.parent_field))

    order = list(datamap.collections)
    with ExitStack() as held:
        for system in {info.system for info in datamap.collections.values()}:
            held.enter_context(stores[system].reading())
        reach = _fixpoint(order, found, wanted, outgoing, stores)
        for edge in datamap.edges:
            if edge.mention:
                _mentions(reach, edge.child, edge.child_field, reach.values_of(edge.parent, edge.parent_field),
                          stores[reach.found[edge.child].info.system])
        return reach


def _mentions(reach: Reach, child: str, field_name: str, values: frozenset[Any], store: Store) -> None:
    """The rows of ``child`` naming the subject in ``field_name``: one statement per batch,
    reading the keys and that field only."""
    state = reach.found[child]
    mention = Mention(state.info, field_name, values)
    reach.mentions[mention.unit] = mention
    if not values:
        return
    columns = list(dict.fromkeys([*(state.info.primary_key or [f.name for f in state.info.fields]), field_name]))
    rows = store.fetch(state.info.name, Selector.by_values({field_name: set(values)}), columns)
    state.statements += 1
    for row in rows:
        key = state.row_key(row)
        if key not in state.rows:  # the subject's own rows are already theirs
            mention.rows[key] = row


class _Wanted(defaultdict[tuple[str, str], set[Any]]):
    """Values to ask each field for; a field under a match rule gets the rule's candidates."""

    def __init__(self, match: dict[tuple[str, str], MatchRule], region: str | None) -> None:
        super().__init__(set)
        self.match = match
        self.region = region

    def add_all(self, where: tuple[str, str], values: Any) -> None:
        rule = self.match.get(where)
        if rule is None or rule.exact:
            self[where] |= set(values)
            return
        for value in values:
            self[where] |= rule.candidates(str(value), self.region)


def _fixpoint(
    order: list[str],
    found: dict[str, Found],
    wanted: _Wanted,
    outgoing: dict[str, list[tuple[str, str, str]]],
    stores: Mapping[str, Store],
) -> Reach:
    while True:
        progressed = False
        for qualified in order:
            state = found[qualified]
            pending = {
                f.name: wanted[(qualified, f.name)] - state.asked[f.name]
                for f in state.info.fields
                if wanted.get((qualified, f.name))
            }
            pending = {k: v for k, v in pending.items() if v}
            if not pending:
                continue
            progressed = True
            selector = Selector.by_values(pending, state.match)
            rows = stores[state.info.system].fetch(
                state.info.name, selector, [f.name for f in state.info.fields]
            )
            state.statements += 1
            for name, values in pending.items():
                state.asked[name] |= values
            for row in rows:
                key = state.row_key(row)
                if key in state.rows:
                    continue
                state.rows[key] = row
                for source_field, target, target_field in outgoing[qualified]:
                    value = row.get(source_field)
                    if value is not None:
                        wanted.add_all((target, target_field), (_hashable(value),))
        if not progressed:
            return Reach(found)
