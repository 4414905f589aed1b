"""Load a data map: read YAML (file or folder), check its shape, then its meaning."""

from __future__ import annotations

import os
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


def load_datamap(path: str | Path | None = None) -> DataMap:
    """Read, check and resolve the data map at ``path`` (a file or a folder of ``*.yaml``)."""
    location = Path(path) if path is not None else default_map_path()
    sources = read_sources(location)
    return _build(merge_sources(sources), str(location))


def parse_datamap(text: str, *, file: str = "<datamap>") -> DataMap:
    """Check and resolve a data map given as YAML text."""
    return _build(read_yaml(text, file=file), file)


def merge_sources(sources: list[SourceMap]) -> SourceMap:
    """Merge several files: lists are joined, ``organization`` may appear in one file only."""
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
    return merged


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
