"""Load a data map: read YAML (file or folder), check its shape, then its meaning."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from custos.datamap.datamap import DataMap
from custos.datamap.models import DataMapDocument
from custos.datamap.source import SourceList, SourceMap, read_sources, read_yaml, where
from custos.datamap.validation import resolve
from custos.errors import DataMapError, DataMapErrors

_LIST_KEYS = ("systems", "datasets", "purposes", "recipients", "exceptions")


def default_map_path() -> Path:
    """``$CUSTOS_DATAMAP``, else ``./custos.yaml``."""
    return Path(os.environ.get("CUSTOS_DATAMAP") or "custos.yaml")


def load_datamap(path: str | Path | Sequence[str | Path] | None = None) -> DataMap:
    """Read, check and resolve the data map at ``path`` (a file or a folder of ``*.yaml``, or
    several of them, merged as the files of one folder are)."""
    if path is None:
        paths = [default_map_path()]
    elif isinstance(path, str | Path):
        paths = [Path(path)]
    else:
        paths = [Path(p) for p in path]
    sources = [source for location in paths for source in read_sources(location)]
    return _build(merge_sources(sources), str(paths[0]))


def parse_datamap(text: str, *, file: str = "<datamap>") -> DataMap:
    """Check and resolve a data map given as YAML text."""
    return _build(read_yaml(text, file=file), file)


def merge_sources(sources: list[SourceMap]) -> SourceMap:
    """Merge several files: lists are joined, ``organization`` may appear in one file only.

    A dataset whose key appears in several files is one dataset: its collections are joined,
    and a collection named in several of them gets the fields of each (a field named twice is
    an error naming both places). So a file may add fields to a collection another declares.
    """
    if len(sources) == 1:
        return sources[0]
    merged = SourceMap()
    merged.file, merged.line, merged.key_lines = sources[0].file, 1, {}
    for source in sources:
        for key, value in source.items():
            if key in _LIST_KEYS and isinstance(value, SourceList):
                target = merged.get(key)
                if target is None:
                    target = SourceList()
                    target.file, target.line, target.item_lines = value.file, value.line, []
                    merged[key] = target
                    merged.key_lines[key] = source.key_lines[key]
                target.extend(value)
                target.item_lines.extend(value.item_lines)
            elif key in merged:
                raise DataMapError(
                    f"{key!r} is already given in {getattr(merged[key], 'file', merged.file)}; "
                    "it may appear in one file only",
                    file=source.file,
                    line=source.key_lines.get(key),
                    key=key,
                )
            else:
                merged[key] = value
                merged.key_lines[key] = source.key_lines[key]
                if not hasattr(value, "file"):
                    merged.file = source.file
    if isinstance(merged.get("datasets"), SourceList):
        merged["datasets"] = _joined(merged["datasets"], "key", "collections", _join_collections)
    return merged


def _joined(items: SourceList, name: str, children: str, inner: Any = None) -> SourceList:
    """Items with the same ``name`` made one: their ``children`` lists joined (then ``inner``)."""
    out = SourceList()
    out.file, out.line, out.item_lines = items.file, items.line, []
    first: dict[Any, SourceMap] = {}
    for item, line in zip(items, items.item_lines, strict=False):
        key = item.get(name) if isinstance(item, SourceMap) else None
        if key is None or not isinstance(item.get(children), SourceList) or key not in first:
            if key is not None and isinstance(item, SourceMap) and isinstance(item.get(children), SourceList):
                first[key] = item
            out.append(item)
            out.item_lines.append(line)
            continue
        held = first[key]
        for extra in item:
            if extra in (name, children):
                continue
            if extra in held:
                raise DataMapError(f"{extra!r} of {key!r} is already given in {held.file}; give it in one file",
                                   file=item.file, line=item.key_lines.get(extra), key=extra)
            held[extra] = item[extra]
            held.key_lines[extra] = item.key_lines[extra]
        target: SourceList = held[children]
        target.extend(item[children])
        target.item_lines.extend(item[children].item_lines)
    if inner is not None:
        for item in out:
            if isinstance(item, SourceMap) and isinstance(item.get(children), SourceList):
                item[children] = inner(item[children])
    return out


def _join_collections(collections: SourceList) -> SourceList:
    joined = _joined(collections, "name", "fields")
    for collection in joined:
        if not isinstance(collection, SourceMap) or not isinstance(collection.get("fields"), SourceList):
            continue
        seen: dict[Any, SourceMap] = {}
        for data_field in collection["fields"]:
            if not isinstance(data_field, SourceMap):
                continue
            known = seen.get(data_field.get("name"))
            if known is not None and known.file != data_field.file:
                raise DataMapError(
                    f"field {data_field.get('name')!r} of collection {collection.get('name')!r} is already "
                    f"declared in {known.file} line {known.line}", file=data_field.file, line=data_field.line)
            seen.setdefault(data_field.get("name"), data_field)
    return joined


def _build(raw: SourceMap, location: str) -> DataMap:
    try:
        document = DataMapDocument.model_validate(_plain(raw))
    except ValidationError as exc:
        raise DataMapErrors([_shape_error(raw, error) for error in exc.errors()]) from None
    return resolve(document, raw, location)


def _plain(value: Any) -> Any:
    """Drop the line bookkeeping so pydantic sees ordinary dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _shape_error(raw: SourceMap, error: Any) -> DataMapError:
    loc = tuple(step for step in error["loc"] if not (isinstance(step, str) and "[" in step))
    # pydantic puts the name of a union branch or a validator in the path; keep real keys only
    file, line = where(raw, loc)
    path = _dotted(raw, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r} (not part of the data-map format)"
    elif kind == "missing":
        message = f"missing required key {loc[-1]!r}"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind.endswith("_type") or kind in ("enum", "literal_error"):
            message = f"{message} (found {error.get('input')!r})"
    return DataMapError(message, file=file, line=line, key=path)


def _dotted(raw: Any, loc: tuple[Any, ...]) -> str:
    """A readable path such as ``datasets[shop].collections[customers].fields[email].erase``."""
    parts: list[str] = []
    current = raw
    for step in loc:
        if isinstance(step, int):
            label = str(step)
            if isinstance(current, list) and 0 <= step < len(current):
                current = current[step]
                if isinstance(current, dict):
                    label = str(current.get("key") or current.get("name") or step)
            parts[-1:] = [f"{parts[-1]}[{label}]"] if parts else [f"[{label}]"]
        else:
            parts.append(str(step))
            current = current.get(step) if isinstance(current, dict) else None
    return ".".join(parts)
