"""The meaning of a data map: names resolve, identities exist, strategies make sense.

Shape errors are caught by the models; this pass checks everything that needs the whole
map at once, and collects every problem before reporting, so one run shows them all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from custos.datamap.datamap import CollectionInfo, DataMap, Edge, EntryPoint
from custos.datamap.models import Collection, DataMapDocument, Strategy
from custos.datamap.source import SourceMap, where
from custos.errors import CustosError, DataMapError, DataMapErrors
from custos.matching import BUILTIN, default_rule
from custos.taxonomy import Taxonomy, default_taxonomy


class _Problems:
    def __init__(self, raw: SourceMap) -> None:
        self.raw = raw
        self.errors: list[DataMapError] = []
        self.warnings: list[str] = []

    def add(self, message: str, loc: tuple[int | str, ...], key: str) -> None:
        file, line = where(self.raw, loc)
        self.errors.append(DataMapError(message, file=file, line=line, key=key))

    def warn(self, message: str, loc: tuple[int | str, ...]) -> None:
        file, line = where(self.raw, loc)
        self.warnings.append(f"{file}:{line}: {message}" if line else message)


def _unique(problems: _Problems, items: list[Any], attr: str, section: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            problems.add(f"{attr} {value!r} is used twice in {section}", (section, index, attr), section)
        seen.add(value)


def _check_category(
    problems: _Problems, taxonomy: Taxonomy, key: str, loc: tuple[int | str, ...], label: str
) -> None:
    if not taxonomy.has_category(key):
        hint = taxonomy.suggest(key)
        problems.add(
            f"unknown category {key!r}" + (f"; did you mean {hint!r}?" if hint else "")
            + " (see `custos taxonomy`)",
            loc,
            label,
        )


def resolve(document: DataMapDocument, raw: SourceMap, location: str) -> DataMap:
    """Check the whole map and build the traversal graph; raise every problem at once."""
    problems = _Problems(raw)
    taxonomy = default_taxonomy()
    if document.taxonomy is not None:
        try:
            taxonomy = taxonomy.extend(document.taxonomy.categories, document.taxonomy.data_uses)
        except CustosError as exc:
            problems.add(exc.message, ("taxonomy",), "taxonomy")

    _unique(problems, document.systems, "key", "systems")
    _unique(problems, document.datasets, "key", "datasets")
    _unique(problems, document.purposes, "key", "purposes")
    _unique(problems, document.recipients, "key", "recipients")
    _unique(problems, document.exceptions, "key", "exceptions")

    _check_jurisdictions(problems, document)
    system_of = _assign_systems(problems, document)
    collections = _collections(problems, document, system_of)
    exceptions = {e.key for e in document.exceptions}
    _unique(problems, document.match_rules, "key", "match_rules")
    own_rules = {r.key for r in document.match_rules}
    for r_index, spec in enumerate(document.match_rules):
        if spec.key in BUILTIN:
            problems.add(f"match rule {spec.key!r} is built in; give your own rule another name",
                         ("match_rules", r_index, "key"), "match_rules")
    rule_names = set(BUILTIN) | own_rules
    edges: list[Edge] = []
    entries: list[EntryPoint] = []

    for d_index, dataset in enumerate(document.datasets):
        for c_index, collection in enumerate(dataset.collections):
            qualified = f"{dataset.key}.{collection.name}"
            loc_c: tuple[int | str, ...] = ("datasets", d_index, "collections", c_index)
            _unique(problems, collection.fields, "name", f"{qualified} fields")
            for f_index, data_field in enumerate(collection.fields):
                loc_f = (*loc_c, "fields", f_index)
                label = f"{qualified}.{data_field.name}"
                for k_index, category in enumerate(data_field.categories):
                    _check_category(problems, taxonomy, category, (*loc_f, "categories", k_index), label)
                if data_field.keep_for and data_field.keep_for not in exceptions:
                    problems.add(
                        f"keep_for names unknown exception {data_field.keep_for!r}; "
                        f"declared: {sorted(exceptions) or 'none'}",
                        (*loc_f, "keep_for"),
                        label,
                    )
                if collection.erase_rows and data_field.keep_for:
                    problems.add(
                        "keep_for cannot be honoured in a collection with erase_rows: true "
                        "(erasure deletes the whole row)",
                        (*loc_f, "keep_for"),
                        label,
                    )
                if data_field.primary_key and data_field.erase not in (None, Strategy.KEEP):
                    problems.add(
                        "a primary key cannot be masked; erase the row (erase_rows: true) instead",
                        (*loc_f, "erase"),
                        label,
                    )
                if data_field.identity:
                    rule = data_field.match or default_rule(data_field.identity)
                    if rule not in rule_names:
                        problems.add(
                            f"unknown match rule {rule!r}; built in: {', '.join(BUILTIN)}"
                            + (f"; the map's own: {', '.join(sorted(own_rules))}" if own_rules else ""),
                            (*loc_f, "match"),
                            label,
                        )
                    entries.append(EntryPoint(data_field.identity, qualified, data_field.name, rule))
                if data_field.references is not None:
                    edge = _edge(problems, dataset.key, qualified, data_field.name,
                                 data_field.references.field, data_field.references.direction,
                                 collections, (*loc_f, "references"), label)
                    if edge is not None:
                        kind = data_field.references.kind
                        edge = replace(edge, mention=kind == "mention", declared=kind is not None)
                        edges.append(edge)
                        _warn_undeclared(problems, edge, collections, (*loc_f, "references"))
            if collection.minors is not None:
                _check_minors(problems, collection, qualified, (*loc_c, "minors"))
            if not any(f.is_personal or f.references for f in collection.fields):
                problems.warn(f"{qualified} declares no personal field, identity or reference", loc_c)

    asked = [f for d in document.datasets for c in d.collections for f in c.fields
             if f.is_personal and not f.primary_key and f.references is None and f.identity != "email"]
    if asked and not any(f.verify for f in asked):
        problems.warn(f"no field is marked verify: true, so the privacy center asks a person for all {len(asked)} "
                      "personal fields to confirm who they are; mark the two or three a person knows "
                      "(name, phone, date of birth) and give them a label:", ("datasets",))
    _check_purposes(problems, document, taxonomy)
    _check_recipients(problems, document)
    if not entries:
        problems.add(
            "no field is marked as an identity (identity: email, phone, ...), so no request "
            "can find anyone", ("datasets",), "datasets"
        )
    if problems.errors:
        raise DataMapErrors(problems.errors)

    datamap = DataMap(
        document=document,
        location=location,
        taxonomy=taxonomy,
        collections=collections,
        edges=edges,
        entry_points=entries,
        warnings=problems.warnings,
        raw=raw,
    )
    for qualified in sorted(set(collections) - reachable(datamap)):
        problems.warn(
            f"{qualified} cannot be reached from any identity; requests will never touch it",
            _collection_loc(document, qualified),
        )
    datamap.warnings = problems.warnings
    return datamap


def _check_minors(problems: _Problems, collection: Collection, qualified: str, loc: tuple[int | str, ...]) -> None:
    """A collection that looks for minors needs one age field, an identity and its consent field."""
    minors = collection.minors
    assert minors is not None
    ages = [f.name for f in collection.fields if f.age]
    if len(ages) != 1:
        problems.add(f"minors: needs exactly one field of {qualified} marked age: birth_date or age: years"
                     + (f" (found {', '.join(ages)})" if ages else ""), loc, qualified)
    if not any(f.identity for f in collection.fields):
        problems.add(f"minors: in {qualified} needs an identity field there, to know whom the rows are about",
                     loc, qualified)
    if minors.consent and collection.field(minors.consent) is None:
        problems.add(f"minors: consent names {minors.consent!r}, which is not a field of {qualified}",
                     (*loc, "consent"), qualified)


def _warn_undeclared(
    problems: _Problems, edge: Edge, collections: dict[str, CollectionInfo], loc: tuple[int | str, ...]
) -> None:
    """A self-reference, or a reference into a table of people, must say what it means: an
    undeclared one is read as "the row is theirs", which for a referral or a reviewer hands
    other people's rows to the person named."""
    if edge.declared:
        return
    parent = collections[edge.parent]
    into_people = any(f.identity for f in parent.fields)
    if edge.parent != edge.child and not into_people:
        return
    what = "refers to its own table" if edge.parent == edge.child else f"points into {edge.parent}, a table of people"
    problems.warn(
        f"{edge.child}.{edge.child_field} {what} without saying what it means; it is read as kind: owner "
        "(the row is the referenced person's). Declare kind: owner, same_person (a merged account) or "
        "mention (the row names the person without being theirs, such as referred_by)",
        loc,
    )


def reachable(datamap: DataMap) -> set[str]:
    """Collections that some identity can reach by following the map's edges."""
    seen = {e.collection for e in datamap.entry_points}
    frontier = list(seen)
    while frontier:
        current = frontier.pop()
        for edge in datamap.edges:
            targets = [edge.child] if edge.forward and edge.parent == current else []
            if edge.backward and edge.child == current:
                targets.append(edge.parent)
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    return seen


def _collection_loc(document: DataMapDocument, qualified: str) -> tuple[int | str, ...]:
    for d_index, dataset in enumerate(document.datasets):
        for c_index, collection in enumerate(dataset.collections):
            if f"{dataset.key}.{collection.name}" == qualified:
                return ("datasets", d_index, "collections", c_index)
    return ("datasets",)


def _check_jurisdictions(problems: _Problems, document: DataMapDocument) -> None:
    try:
        from custos.rules import load_rule_sets
    except ImportError:  # pragma: no cover - rules ship with the package
        return
    known = load_rule_sets()
    for index, key in enumerate(document.organization.jurisdictions):
        if key not in known:
            problems.add(
                f"unknown jurisdiction {key!r}; known: {', '.join(sorted(known))}",
                ("organization", "jurisdictions", index),
                "organization.jurisdictions",
            )


def _assign_systems(problems: _Problems, document: DataMapDocument) -> dict[str, str]:
    dataset_keys = {d.key for d in document.datasets}
    system_of: dict[str, str] = {}
    for s_index, system in enumerate(document.systems):
        for k_index, listed in enumerate(system.datasets):
            if listed not in dataset_keys:
                problems.add(
                    f"system {system.key!r} lists unknown dataset {listed!r}; "
                    f"declared: {sorted(dataset_keys)}",
                    ("systems", s_index, "datasets", k_index),
                    f"systems[{system.key}].datasets",
                )
            elif listed in system_of:
                problems.add(
                    f"dataset {listed!r} is already stored in system {system_of[listed]!r}; "
                    "a dataset lives in one system",
                    ("systems", s_index, "datasets", k_index),
                    f"systems[{system.key}].datasets",
                )
            else:
                system_of[listed] = system.key
    for d_index, dataset in enumerate(document.datasets):
        if dataset.key not in system_of:
            problems.add(
                f"dataset {dataset.key!r} is not stored in any system (list it under a system's datasets)",
                ("datasets", d_index, "key"),
                f"datasets[{dataset.key}]",
            )
    return system_of


def _collections(
    problems: _Problems, document: DataMapDocument, system_of: dict[str, str]
) -> dict[str, CollectionInfo]:
    result: dict[str, CollectionInfo] = {}
    for d_index, dataset in enumerate(document.datasets):
        for c_index, collection in enumerate(dataset.collections):
            qualified = f"{dataset.key}.{collection.name}"
            if qualified in result:
                problems.add(
                    f"collection {collection.name!r} appears twice in dataset {dataset.key!r}",
                    ("datasets", d_index, "collections", c_index, "name"),
                    qualified,
                )
                continue
            result[qualified] = CollectionInfo(
                qualified, dataset.key, system_of.get(dataset.key, "?"), collection
            )
    return result


def _edge(
    problems: _Problems,
    dataset: str,
    child: str,
    child_field: str,
    target: str,
    direction: str,
    collections: dict[str, CollectionInfo],
    loc: tuple[int | str, ...],
    label: str,
) -> Edge | None:
    parts = target.split(".")
    parent_field = parts[-1]
    table = parts[:-1]
    # the collection may be schema-qualified (clinic.owners): read the reference every way it
    # can be meant, and take the one that names a declared collection
    readings = {f"{dataset}.{'.'.join(table)}"}
    if len(table) >= 2:
        readings.add(f"{table[0]}.{'.'.join(table[1:])}")
    known = sorted(r for r in readings if r in collections)
    if len(known) > 1:
        problems.add(f"reference {target!r} is ambiguous: it can name {' or '.join(known)}; "
                     "write dataset.collection.field", loc, label)
        return None
    parent = known[0] if known else sorted(readings)[0]
    info = collections.get(parent)
    if info is None:
        problems.add(f"references unknown collection {parent!r} (in {target!r}); "
                     f"declared: {', '.join(sorted(collections))}", loc, label)
        return None
    if info.collection.field(parent_field) is None:
        problems.add(
            f"references {target!r}, but {parent} declares no field {parent_field!r}; "
            f"its fields: {[f.name for f in info.fields]}",
            loc,
            label,
        )
        return None
    return Edge(child=child, child_field=child_field, parent=parent, parent_field=parent_field,
                forward=direction != "reverse", backward=direction in ("both", "reverse"))


def _check_recipients(problems: _Problems, document: DataMapDocument) -> None:
    """A recipient that receives personal data says how it hears of an erasure, a correction,
    a restriction or an opt-out, or why it does not (GDPR Art. 19; CCPA §7022(b)(3))."""
    from custos.rules import request_types

    receiving: dict[str, list[str]] = {}
    for purpose in document.purposes:
        if purpose.categories:
            for key in purpose.recipients:
                receiving.setdefault(key, []).append(purpose.key)
    known = request_types()
    for r_index, recipient in enumerate(document.recipients):
        label = f"recipients[{recipient.key}]"
        if recipient.notify is None and recipient.key in receiving:
            problems.add(
                f"recipient {recipient.key!r} receives personal data (purposes {', '.join(receiving[recipient.key])}) "
                "but says neither how it is told of an erasure, a correction or an opt-out "
                "(notify: {webhook: URL, secret: ...} or {email: ADDRESS}) nor why not (notify: {none: REASON}); "
                "GDPR Art. 19, CCPA §7022(b)(3)",
                ("recipients", r_index),
                label,
            )
        for q_index, kind in enumerate(recipient.requests or []):
            if kind not in known:
                problems.add(f"unknown request type {kind!r}; valid: {', '.join(known)}",
                             ("recipients", r_index, "requests", q_index), label)


def _check_purposes(problems: _Problems, document: DataMapDocument, taxonomy: Taxonomy) -> None:
    recipients = {r.key for r in document.recipients}
    for p_index, purpose in enumerate(document.purposes):
        label = f"purposes[{purpose.key}]"
        for u_index, use in enumerate(purpose.uses):
            if use not in taxonomy.data_uses:
                hint = taxonomy.suggest(use, "data_use")
                problems.add(
                    f"unknown data use {use!r}" + (f"; did you mean {hint!r}?" if hint else ""),
                    ("purposes", p_index, "uses", u_index),
                    label,
                )
        for k_index, category in enumerate(purpose.categories):
            _check_category(problems, taxonomy, category, ("purposes", p_index, "categories", k_index), label)
        for r_index, recipient in enumerate(purpose.recipients):
            if recipient not in recipients:
                problems.add(
                    f"unknown recipient {recipient!r}; declared: {sorted(recipients) or 'none'}",
                    ("purposes", p_index, "recipients", r_index),
                    label,
                )
        if purpose.lawful_basis == "legitimate_interests" and not purpose.legitimate_interest:
            problems.warn(
                f"purpose {purpose.key!r} relies on legitimate interests without saying which "
                "(legitimate_interest: ...); GDPR Art. 13(1)(d) requires it in the notice",
                ("purposes", p_index),
            )
