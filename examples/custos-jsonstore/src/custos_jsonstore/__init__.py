"""A Custos store over a folder of JSON files: ``jsondir:///path/to/folder``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from custos.errors import StoreError
from custos.hooks import hookimpl
from custos.stores import memory
from custos.stores.base import ColumnKind

SCHEME = "jsondir"


class JSONDirStore(memory.MemoryStore):
    """The reference store's semantics over files: read at open, written at each commit."""

    def __init__(self, system: str, url: str) -> None:
        folder = url.partition("://")[2]
        if not folder:
            raise StoreError("a jsondir URL names a folder: jsondir:///path/to/folder", system=system)
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise StoreError(f"no such folder: {self.folder}", system=system)
        self.held_url = f"{memory.SCHEME}://{SCHEME}{self.folder.resolve()}"
        memory.load(self.held_url, {path.stem: _read(path, system) for path in sorted(self.folder.glob("*.json"))})
        super().__init__(system, self.held_url)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with super().transaction() as tx:
            yield tx
        for name, collection in tx.collections.items():
            _write(self.folder / f"{name}.json", collection)


def _read(path: Path, system: str) -> memory.Collection:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return memory.Collection(columns={k: ColumnKind(v) for k, v in raw["columns"].items()},
                                 key=tuple(raw.get("key", ())), rows=list(raw["rows"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path.name} is not a collection file: {exc}", system=system) from None


def _write(path: Path, collection: memory.Collection) -> None:
    text = json.dumps({"key": list(collection.key), "columns": {k: v.value for k, v in collection.columns.items()},
                       "rows": collection.rows}, indent=1, default=str)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)  # a reader never sees half a file


def write_collection(folder: Path, name: str, collection: memory.Collection) -> None:
    """Create ``name.json`` in ``folder`` (for setting a store up)."""
    _write(folder / f"{name}.json", collection)


@hookimpl
def custos_store_factories() -> dict[str, Any]:
    return {SCHEME: JSONDirStore}
