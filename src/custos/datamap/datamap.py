"""The resolved data map: collections by qualified name, traversal edges, identities."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from custos.datamap.models import (
    Collection,
    DataField,
    DataMapDocument,
    Dataset,
    ErasureException,
    Organization,
    Purpose,
    Recipient,
    System,
)
from custos.datamap.source import where
from custos.matching import MatchRule, Rules

if TYPE_CHECKING:
    from custos.taxonomy import Taxonomy


@dataclass(frozen=True)
class CollectionInfo:
    """A collection with where it lives: ``qualified`` is ``dataset.collection``."""

    qualified: str
    dataset: str
    system: str
    collection: Collection

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def fields(self) -> list[DataField]:
        return self.collection.fields

    @property
    def primary_key(self) -> list[str]:
        return self.collection.primary_key

    def field(self, name: str) -> DataField:
        found = self.collection.field(name)
        if found is None:
            raise KeyError(f"{self.qualified} has no field {name!r}")
        return found


@dataclass(frozen=True)
class Edge:
    """``child.child_field`` holds values of ``parent.parent_field``.

    ``forward``: known parent values find child rows; ``backward``: known child values
    find parent rows.
    """

    child: str
    child_field: str
    parent: str
    parent_field: str
    forward: bool = True
    backward: bool = False
    mention: bool = False  # the child row names the parent's person; it is not theirs
    declared: bool = True  # whether the map said what the reference means (kind:)

    def __str__(self) -> str:
        arrow = {(True, True): "<->", (True, False): "->", (False, True): "<-"}[(self.forward, self.backward)]
        return f"{self.parent}.{self.parent_field} {arrow} {self.child}.{self.child_field}"


@dataclass(frozen=True)
class EntryPoint:
    """Where an identity of a given type enters the graph."""

    identity: str
    collection: str
    field: str
    rule: str = "exact"  # how stored values are compared (custos.matching)


@dataclass
class DataMap:
    """A checked data map, ready for the engine and the notice."""

    document: DataMapDocument
    location: str
    taxonomy: Taxonomy
    collections: dict[str, CollectionInfo]
    edges: list[Edge]
    entry_points: list[EntryPoint]
    warnings: list[str] = field(default_factory=list)
    raw: Any = None  # the YAML tree with its lines, for errors found later

    @property
    def organization(self) -> Organization:
        return self.document.organization

    def locate(self, qualified: str, field_name: str | None = None) -> tuple[str | None, int | None]:
        """The file and line where a collection (or one of its fields) is declared."""
        if self.raw is None:
            return self.location, None
        dataset, _, collection = qualified.partition(".")
        for d_index, d in enumerate(self.document.datasets):
            if d.key != dataset:
                continue
            for c_index, c in enumerate(d.collections):
                if c.name != collection:
                    continue
                loc: tuple[int | str, ...] = ("datasets", d_index, "collections", c_index)
                if field_name is not None:
                    f_index = next((i for i, f in enumerate(c.fields) if f.name == field_name), None)
                    if f_index is not None:
                        loc = (*loc, "fields", f_index)
                return where(self.raw, loc)
        return self.location, None

    @property
    def systems(self) -> dict[str, System]:
        return {s.key: s for s in self.document.systems}

    @property
    def datasets(self) -> dict[str, Dataset]:
        return {d.key: d for d in self.document.datasets}

    @property
    def purposes(self) -> dict[str, Purpose]:
        return {p.key: p for p in self.document.purposes}

    @property
    def recipients(self) -> dict[str, Recipient]:
        return {r.key: r for r in self.document.recipients}

    @property
    def exceptions(self) -> dict[str, ErasureException]:
        return {e.key: e for e in self.document.exceptions}

    @cached_property
    def rules(self) -> Rules:
        """The identity match rules: built in, and the map's own."""
        own = {r.key: MatchRule(r.key, trim=r.trim, casefold=r.casefold, remove=r.remove)
               for r in self.document.match_rules}
        return Rules(own, region=self.document.organization.phone_region)

    @property
    def identity_types(self) -> list[str]:
        return sorted({e.identity for e in self.entry_points})

    def collections_of_system(self, system: str) -> list[CollectionInfo]:
        return [c for c in self.collections.values() if c.system == system]

    def system_of(self, qualified: str) -> str:
        return self.collections[qualified].system

    def personal_fields(self) -> Iterator[tuple[CollectionInfo, DataField]]:
        for info in self.collections.values():
            for data_field in info.fields:
                if data_field.is_personal:
                    yield info, data_field

    def verification_fields(self) -> list[tuple[CollectionInfo, DataField]]:
        """The fields a person may be asked for as data points to prove who they are.

        Those the map marks ``verify: true``; a map that marks none offers every personal field
        that is not a key, a reference or the email (``custos validate --connect`` measures
        whether each is specific enough to a person to count).
        """
        candidates = [(info, f) for info, f in self.personal_fields()
                      if not (f.primary_key or f.references is not None or f.identity == "email")]
        marked = [(info, f) for info, f in candidates if f.verify]
        return marked or candidates

    @cached_property
    def digest(self) -> str:
        """A content hash of the map: a journal only resumes under the map it started with."""
        text = json.dumps(self.document.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
