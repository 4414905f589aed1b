"""Maps, policies and helpers shared by the notice tests.

The real policies are read from ``$CUSTOS_POLICIES_DIR``, else from ``../shared/policies``
next to the repository (where the project keeps them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from custos.datamap import DataMap, load_datamap, parse_datamap

MAPS = Path(__file__).parent / "maps"
GOLDEN = Path(__file__).parent / "golden"
POLICIES = Path(os.environ.get("CUSTOS_POLICIES_DIR") or Path(__file__).resolve().parents[3] / "shared" / "policies")

# Each real policy and the map that describes the company's practice as the policy does.
POLICY_MAPS = {
    "000_766bdad7f9d1e296.txt": "imicro.yaml",
    "002_627230b60b2268ff.txt": "icmanage.yaml",
    "003_4b4c2bde9410e7d9.txt": "maicro.yaml",
}


def policy_text(name: str) -> str:
    """The text of a real policy; the test is skipped, with the reason, when it is absent."""
    path = POLICIES / name
    if not path.exists():
        pytest.skip(f"policy {name} not found in {POLICIES} (set CUSTOS_POLICIES_DIR)")
    return path.read_text(encoding="utf-8")


def map_document(name: str) -> dict[str, Any]:
    """A test map as plain YAML data, to change before parsing."""
    data = yaml.safe_load((MAPS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def variant(name: str, change: Callable[[dict[str, Any]], None]) -> DataMap:
    """The map ``name`` after ``change`` edits its data."""
    data = map_document(name)
    change(data)
    return parse_datamap(yaml.safe_dump(data, sort_keys=False), file=f"{name} (variant)")


def collection(data: dict[str, Any], qualified: str) -> dict[str, Any]:
    """The collection ``dataset.collection`` of a map's data."""
    dataset, _, name = qualified.partition(".")
    for entry in data["datasets"]:
        if entry["key"] == dataset:
            for found in entry["collections"]:
                if found["name"] == name:
                    return cast(dict[str, Any], found)
    raise KeyError(qualified)


def by_key(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The entry of a list of purposes or recipients with ``key``."""
    return next(item for item in items if item["key"] == key)


@pytest.fixture
def demo_map() -> DataMap:
    return load_datamap(MAPS / "demo.yaml")


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state folder for commands that record notice versions."""
    folder = tmp_path / "state"
    monkeypatch.setenv("CUSTOS_STATE_DIR", str(folder))
    return folder
