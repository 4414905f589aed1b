"""YAML reading that remembers where every value came from.

Data-map errors must name the file and line, so the raw tree keeps, for each mapping and
sequence, the line of each key or item. ``${VAR}`` and ``${VAR:-default}`` are expanded
from the environment while reading, so secrets never have to live in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from custos.errors import DataMapError

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class SourceMap(dict[str, Any]):
    """A YAML mapping with the file and the line of each key."""

    file: str
    line: int
    key_lines: dict[str, int]


class SourceList(list[Any]):
    """A YAML sequence with the file and the line of each item."""

    file: str
    line: int
    item_lines: list[int]


def expand_env(text: str, *, file: str, line: int, environ: Mapping[str, str] | None = None) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error."""
    env = os.environ if environ is None else environ

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise DataMapError(
                    f"environment variable {name} is not set and has no default "
                    f"(write ${{{name}:-default}} to give one)",
                    file=file,
                    line=line,
                )
            return default
        return value

    return _ENV.sub(repl, text)


def _make_loader(file: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> SourceMap:
        result = SourceMap()
        result.file = file
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise DataMapError(
                    f"keys must be text, found {key!r}", file=file, line=key_node.start_mark.line + 1
                )
            if key in result:
                raise DataMapError(
                    f"key {key!r} appears twice in the same mapping",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    key=key,
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> SourceList:
        result = SourceList(loader.construct_object(child, deep=True) for child in node.value)
        result.file = file
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        value = loader.construct_scalar(node)
        assert isinstance(value, str)
        return expand_env(value, file=file, line=node.start_mark.line + 1)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, construct_str)
    return Loader


MAX_DATAMAP_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
#: longer than any name, URL or description; also below Python's 4,300-digit integer limit
MAX_SCALAR = 4000


def read_yaml(text: str, *, file: str) -> SourceMap:
    """Parse one YAML document into a :class:`SourceMap`; anything else is a clear error."""
    if len(text) > MAX_DATAMAP_BYTES:
        raise DataMapError("file is larger than 16 MiB; a data map is never that large", file=file)
    try:
        # Aliases are refused outright: a data map never needs them and they allow
        # exponential "billion laughs" expansion.
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            mark = event.start_mark
            line = mark.line + 1 if mark else None
            if isinstance(event, yaml.AliasEvent):
                raise DataMapError("YAML aliases (*name) are not allowed in a data map", file=file, line=line)
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DataMapError(f"nested more than {MAX_DEPTH} levels deep; a data map never is",
                                       file=file, line=line)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR:
                raise DataMapError(f"a value of {len(event.value):,} characters; at most {MAX_SCALAR:,} are taken",
                                   file=file, line=line)
        data = yaml.load(text, Loader=_make_loader(file))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DataMapError(
            f"not valid YAML: {exc.problem or exc.context}",
            file=file,
            line=mark.line + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise DataMapError(f"not valid YAML: {exc}", file=file) from None
    except (ValueError, RecursionError) as exc:  # a number too long to convert, and the like
        raise DataMapError(f"not a value a data map can hold: {str(exc)[:200]}", file=file) from None
    if data is None:
        raise DataMapError("the file is empty; expected a mapping with organization, systems, datasets", file=file)
    if not isinstance(data, SourceMap):
        raise DataMapError(
            f"expected a mapping at the top level, found {type(data).__name__}", file=file, line=1
        )
    return data


def read_sources(path: Path) -> list[SourceMap]:
    """Read a data-map file, or every ``*.yaml``/``*.yml`` file of a folder in name order."""
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise DataMapError("folder holds no *.yaml file", file=str(path))
    elif path.exists():
        files = [path]
    else:
        raise DataMapError("no such file or folder (the data map is set by CUSTOS_DATAMAP)", file=str(path),
                           option="map")
    sources = []
    for file in files:
        try:
            if not file.is_file():
                raise DataMapError("not a regular file", file=str(file))
            with file.open("rb") as handle:  # bounded: /dev/zero or a huge file never hangs the read
                raw = handle.read(MAX_DATAMAP_BYTES + 1)
            if len(raw) > MAX_DATAMAP_BYTES:
                raise DataMapError("file is larger than 16 MiB; a data map is never that large", file=str(file))
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataMapError(f"not UTF-8 text ({exc.reason})", file=str(file)) from None
        except OSError as exc:
            raise DataMapError(f"cannot be read: {exc.strerror}", file=str(file)) from None
        sources.append(read_yaml(text, file=str(file)))
    return sources


def where(node: Any, loc: tuple[int | str, ...]) -> tuple[str | None, int | None]:
    """The file and the line of the value found by walking ``loc`` down ``node``."""
    file: str | None = getattr(node, "file", None)
    line: int | None = getattr(node, "line", None)
    current: Any = node
    for step in loc:
        if isinstance(current, SourceMap) and isinstance(step, str) and step in current:
            line = current.key_lines.get(step, line)
            current = current[step]
        elif isinstance(current, SourceList) and isinstance(step, int) and 0 <= step < len(current):
            line = current.item_lines[step]
            current = current[step]
        else:
            break
        file = getattr(current, "file", file)
    return file, line
