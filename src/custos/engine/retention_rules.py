"""From the map's retention periods to what a sweep does to each collection.

Each personal field is kept as long as the longest period of the purposes that use it
(a purpose uses a field when one of its categories contains the field's category or lies
within it); a field that some purpose keeps without a period is never swept. A
collection's own ``retention:`` replaces its purposes' periods. Fields governed by the
same purpose form one rule on the collection: ``anonymize`` masks them (each by its
``erase`` strategy); ``delete`` deletes the rows only when nothing in them is kept
longer, and otherwise masks its fields and says which fields keep the rows.

The clock starts from a field of the collection, from the collection's ``anchor:``, or
from the person's last activity: the newest ``activity: true`` field of the row the
collection belongs to (up its chain of owner references, within one system) and of that
row's other collections.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from custos.datamap import CollectionInfo, DataMap, Strategy
from custos.datamap.duration import Duration
from custos.datamap.models import DataField, Purpose, Retention
from custos.datamap.source import where
from custos.engine.masking import REDACTED, VALUE_DEPENDENT
from custos.engine.work import FieldMask
from custos.errors import DataMapError
from custos.stores.due import Due, Fresh, Link, Route
from custos.taxonomy import Taxonomy

OWN = "collection"  # the purpose key of a collection's own retention
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def longer(a: Duration, b: Duration) -> bool:
    return a.add_to(_EPOCH) > b.add_to(_EPOCH)


@dataclass(frozen=True)
class Kept:
    """A field a rule leaves in place, and why."""

    field: str
    reason: str


@dataclass(frozen=True)
class RetentionRule:
    """One sweep step on one collection."""

    collection: str  # qualified
    system: str
    table: str
    purpose: str  # the governing purpose's key, or "collection"
    period: Duration
    then: str  # delete | anonymize | review
    start: str  # the map's ``from``
    anchors: tuple[str, ...]  # on the collection itself
    routes: tuple[Route, ...] = ()  # to the rows the collection's rows belong to
    fresh: tuple[Fresh, ...] = ()
    #: every date/time field the rule reads, as (qualified collection, field): checked live
    dated: tuple[tuple[str, str], ...] = ()
    masks: tuple[FieldMask, ...] = ()
    delete: bool = False
    kept: tuple[Kept, ...] = ()
    zone: str = "UTC"

    @property
    def key(self) -> str:
        return f"{self.collection}:{self.purpose}"

    def cutoff(self, now: datetime) -> datetime:
        return self.period.subtract_from(now)

    def due(self, now: datetime) -> Due:
        holding: tuple[tuple[str, str], ...] = ()
        if not self.delete:
            holding = tuple((m.field, REDACTED if m.strategy is Strategy.MASK_REDACT else "set")
                            for m in self.masks)
        return Due(self.anchors, self.cutoff(now), self.routes, self.fresh, holding, self.zone)

    def describe(self) -> str:
        action = "delete rows" if self.delete else (
            "review" if self.then == "review" else f"mask {', '.join(m.field for m in self.masks) or 'nothing'}")
        return f"{self.period.text} from {self.start} ({self.purpose}): {action}"


@dataclass(frozen=True)
class Anchor:
    """Where a rule's clock is read: the collection's own fields, and the rows it belongs to."""

    own: tuple[str, ...]
    routes: tuple[Route, ...]
    fresh: tuple[Fresh, ...]  # without routes: rows elsewhere that keep the collection's own rows alive
    dated: tuple[tuple[str, str], ...]  # every date/time field read, as (qualified collection, field)


@dataclass
class Resolution:
    rules: list[RetentionRule] = field(default_factory=list)
    problems: list[DataMapError] = field(default_factory=list)
    unlimited: list[Kept] = field(default_factory=list)  # qualified.field kept with no period


def _covers(purpose: Purpose, category: str) -> bool:
    if not purpose.categories:
        return True
    return any(Taxonomy.is_within(category, named) or Taxonomy.is_within(named, category)
               for named in purpose.categories)


class _Resolver:
    def __init__(self, datamap: DataMap) -> None:
        self.datamap = datamap
        self.out = Resolution()
        self.owner_edges = [e for e in datamap.edges if not e.mention and e.forward
                            and e.child != e.parent]

    def problem(self, message: str, loc: tuple[int | str, ...] | None, qualified: str,
                field_name: str | None = None) -> None:
        if loc is not None and self.datamap.raw is not None:
            file, line = where(self.datamap.raw, loc)
        else:
            file, line = self.datamap.locate(qualified, field_name)
        key = f"{qualified}.{field_name}" if field_name else qualified
        self.out.problems.append(DataMapError(message, file=file, line=line, key=key))

    def purpose_loc(self, purpose: Purpose) -> tuple[int | str, ...]:
        index = next(i for i, p in enumerate(self.datamap.document.purposes) if p.key == purpose.key)
        return ("purposes", index, "retention", "from")

    def collection_loc(self, info: CollectionInfo) -> tuple[int | str, ...]:
        for d_index, dataset in enumerate(self.datamap.document.datasets):
            for c_index, collection in enumerate(dataset.collections):
                if f"{dataset.key}.{collection.name}" == info.qualified:
                    return ("datasets", d_index, "collections", c_index, "retention", "from")
        return ("datasets",)

    # -- anchors ----------------------------------------------------------------------
    def owners(self, qualified: str) -> list[tuple[str, Link]]:
        """The collections ``qualified`` belongs to, one reference up, in the same system."""
        system = self.datamap.system_of(qualified)
        found = []
        for edge in self.owner_edges:
            if edge.child == qualified and self.datamap.system_of(edge.parent) == system:
                parent = self.datamap.collections[edge.parent]
                found.append((edge.parent, Link(edge.child_field, parent.name, edge.parent_field)))
        return found

    def ancestors(self, start: str, path: tuple[Link, ...] = (),
                  below: str | None = None) -> Iterator[tuple[str, tuple[Link, ...]]]:
        """``start`` and the collections above it, breadth first up the owner references, each
        with the chain of references that leads there (after ``path``, the way to ``start``
        from ``below``, which is never climbed back into)."""
        queue: deque[tuple[str, tuple[Link, ...]]] = deque([(start, path)])
        seen = {start} | ({below} if below else set())
        while queue:
            current, chain = queue.popleft()
            yield current, chain
            for parent, link in self.owners(current):
                if parent not in seen:
                    seen.add(parent)
                    queue.append((parent, (*chain, link)))

    def climb(self, qualified: str, has: Callable[[CollectionInfo], bool]) -> tuple[str, tuple[Link, ...]] | None:
        """The nearest of ``qualified`` and the collections above it for which ``has`` holds."""
        return next(((c, chain) for c, chain in self.ancestors(qualified)
                     if has(self.datamap.collections[c])), None)

    def person(self, qualified: str, parent: str, link: Link) -> tuple[str, tuple[Link, ...]] | None:
        """The farthest collection above ``qualified``, from its owner ``parent`` (reached through
        ``link``) up, that dates its person: by ``activity: true`` fields of its own or of its
        rows' children."""
        dated = [(c, chain) for c, chain in self.ancestors(parent, (link,), qualified)
                 if self.activity(c) or self.children(c)]
        return dated[-1] if dated else None

    def activity(self, qualified: str) -> tuple[str, ...]:
        return tuple(f.name for f in self.datamap.collections[qualified].fields if f.activity)

    def children(self, root: str) -> list[tuple[str, Fresh]]:
        """The collections ``root`` owns directly (same system) whose activity keeps its person active."""
        system = self.datamap.system_of(root)
        found = []
        for edge in self.owner_edges:
            activity = self.activity(edge.child)
            if edge.parent == root and self.datamap.system_of(edge.child) == system and activity:
                child = self.datamap.collections[edge.child]
                found.append((edge.child, Fresh(child.name, edge.child_field, edge.parent_field, activity)))
        return found

    def anchor(self, info: CollectionInfo, retention: Retention, loc: tuple[int | str, ...],
               whose: str) -> Anchor | None:
        start = retention.from_
        if start == "last_activity":
            own = self.activity(info.qualified)
            dated = [(info.qualified, name) for name in own]
            routes = []
            for parent, link in self.owners(info.qualified):
                # each person the row belongs to (a task's creator and its assignee) must be inactive
                found = self.person(info.qualified, parent, link)
                if found is not None:
                    root, path = found
                    children = self.children(root)
                    routes.append(Route(path, self.activity(root), tuple(f for _, f in children)))
                    dated += [(root, name) for name in self.activity(root)]
                    dated += [(q, name) for q, f in children for name in f.activity]
            children = [] if routes else self.children(info.qualified)
            dated += [(q, name) for q, f in children for name in f.activity]
            if not routes and not own and not children:
                self.problem(f"{whose} counts from last_activity, but neither {info.qualified} nor a collection "
                             "it belongs to (through owner references in the same system) has a field marked "
                             "activity: true", loc, info.qualified)
                return None
            return Anchor(own, tuple(routes), tuple(f for _, f in children), tuple(dict.fromkeys(dated)))
        if start == "collection":
            found = self.climb(info.qualified, lambda c: c.collection.anchor is not None)
            if found is None:
                self.problem(f"{whose} counts from collection, but {info.qualified} has no anchor: (the date/time "
                             "field its rows' clock starts from), nor does a collection it belongs to", loc,
                             info.qualified)
                return None
            root, path = found
            anchor = self.datamap.collections[root].collection.anchor
            assert anchor is not None
            return self.single(root, path, anchor)
        found = self.climb(info.qualified, lambda c: c.collection.field(start) is not None)
        if found is None:
            self.problem(f"{whose} counts from {start!r}, a field that neither {info.qualified} nor a "
                         "collection it belongs to has; give the collection its own retention:", loc,
                         info.qualified)
            return None
        root, path = found
        return self.single(root, path, start)

    def single(self, root: str, path: tuple[Link, ...], anchor: str) -> Anchor:
        """A clock read from one field, of the collection itself or of the row it belongs to."""
        if not path:
            return Anchor((anchor,), (), (), ((root, anchor),))
        return Anchor((), (Route(path, (anchor,)),), (), ((root, anchor),))

    def why_kept(self, data_field: DataField) -> str:
        """Why a field anonymizing leaves in place: its exception with the legal basis, or the map's keep."""
        if data_field.keep_for:
            exception = self.datamap.exceptions[data_field.keep_for]
            return f"kept by the exception {exception.key}: {exception.citation()}"
        return "erase: keep in the data map"

    def basis(self, purpose: str) -> str:
        found = self.datamap.purposes.get(purpose)
        return f", {found.lawful_basis}" if found is not None else ""

    # -- rules ------------------------------------------------------------------------
    def governing(self, data_field: DataField) -> Purpose | str | None:
        """The purpose keeping ``data_field`` longest; a string when a purpose keeps it without limit."""
        purposes = [p for p in self.datamap.document.purposes
                    if any(_covers(p, c) for c in data_field.categories)]
        if not purposes:
            return None
        unlimited = [p.key for p in purposes if p.retention is None]
        if unlimited:
            return unlimited[0]
        best = purposes[0]
        for purpose in purposes[1:]:
            assert purpose.retention is not None and best.retention is not None
            if longer(purpose.retention.duration, best.retention.duration):
                best = purpose
        return best

    def collection(self, info: CollectionInfo) -> None:
        personal = [f for f in info.fields if f.is_personal and not f.primary_key]
        if not personal:
            return
        zone = str(self.datamap.systems[info.system].options.get("timezone", "UTC"))
        own = info.collection.retention
        groups: dict[str, tuple[Retention, list[DataField], tuple[int | str, ...]]] = {}
        unlimited: list[Kept] = []
        if own is not None:
            groups[OWN] = (own, personal, self.collection_loc(info))
        else:
            for data_field in personal:
                governing = self.governing(data_field)
                if governing is None:
                    continue
                if isinstance(governing, str):
                    unlimited.append(Kept(data_field.name, f"purpose {governing} sets no retention period"))
                    continue
                assert governing.retention is not None
                entry = groups.setdefault(governing.key, (governing.retention, [], self.purpose_loc(governing)))
                entry[1].append(data_field)
        self.out.unlimited += [Kept(f"{info.qualified}.{k.field}", k.reason) for k in unlimited]
        if not groups:
            return
        longest = max((g[0].duration for g in groups.values()), key=lambda d: d.add_to(_EPOCH))
        for purpose, (retention, fields, loc) in groups.items():
            whose = "the collection's retention" if purpose == OWN else f"purpose {purpose}'s retention"
            anchored = self.anchor(info, retention, loc, whose)
            if anchored is None:
                continue
            names = {f.name for f in fields}
            kept = [Kept(f.name, f"kept for purpose {p} ({g[0].period}{self.basis(p)})") for p, g in groups.items()
                    if p != purpose for f in g[1] if longer(g[0].duration, retention.duration)
                    or (not longer(retention.duration, g[0].duration) and g[0].then != "delete")]
            kept += unlimited
            delete = (retention.then == "delete" and not kept
                      and not longer(longest, retention.duration))
            masks = tuple(FieldMask(f.name, f.strategy) for f in fields if f.strategy is not Strategy.KEEP)
            kept += [Kept(f.name, self.why_kept(f)) for f in fields
                     if f.strategy is Strategy.KEEP and f.name in names and not delete]
            if not delete and retention.then != "review" and not info.primary_key and any(
                    m.strategy in VALUE_DEPENDENT for m in masks):
                self.problem(f"{whose} anonymizes {info.qualified}, which has no primary key, with a strategy "
                             "that depends on each value (mask_hash, mask_random, mask_date_year); use mask_null "
                             "or mask_redact there, or delete the rows", loc, info.qualified)
                continue
            self.out.rules.append(RetentionRule(
                collection=info.qualified, system=info.system, table=info.name, purpose=purpose,
                period=retention.duration, then=retention.then, start=retention.from_,
                anchors=anchored.own, routes=anchored.routes, fresh=anchored.fresh, dated=anchored.dated,
                masks=() if delete else masks, delete=delete,
                kept=tuple(kept), zone=zone,
            ))


def owner_chains(datamap: DataMap, qualified: str) -> Iterator[tuple[str, tuple[Link, ...]]]:
    """``qualified`` and the collections above it up its owner references (same system), breadth
    first, each with the chain of references that leads there."""
    return _Resolver(datamap).ancestors(qualified)


def resolve_retention(datamap: DataMap) -> Resolution:
    """Every retention rule of the map, and every reason one cannot be built."""
    resolver = _Resolver(datamap)
    for info in datamap.collections.values():
        resolver.collection(info)
    resolver.out.rules.sort(key=lambda r: (r.collection, r.period.add_to(_EPOCH), r.purpose))
    return resolver.out
