"""A third party's store plug-in, installed as a package: found through its entry point,
proven by the conformance suite, and used by the engine through the data map.

The example package (``examples/custos-jsonstore``) is built and installed into a folder
of its own with pip, offline, as a user would install it; the folder then joins the import
path, which is all an installed package is to Python.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from custos import plugins
from custos.datamap import load_datamap
from custos.engine import Engine, Subject
from custos.stores import Store, factories, open_store
from custos.stores.base import ColumnKind
from custos.stores.memory import Collection
from custos.stores.testing import MakeStore, StoreConformance
from tests import shop

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custos-jsonstore"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(site), str(EXAMPLE)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    plugins.reset()
    try:
        yield importlib.import_module("custos_jsonstore")
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("custos_jsonstore", None)
        importlib.invalidate_caches()
        plugins.reset()


def test_the_package_is_found_through_its_entry_point(installed: Any, tmp_path: Path) -> None:
    assert "jsondir" in factories()
    assert plugins.manager().has_plugin("jsonstore")  # the entry point's name
    store = open_store("crm", f"jsondir://{tmp_path}")
    assert type(store).__module__ == "custos_jsonstore"


def test_without_plugins_only_the_built_in_stores_load(installed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOS_PLUGINS", "false")
    plugins.reset()
    try:
        assert "jsondir" not in factories() and "sqlite" in factories()
    finally:
        monkeypatch.delenv("CUSTOS_PLUGINS")
        plugins.reset()


class TestJSONDirStore(StoreConformance):
    @pytest.fixture
    def make_store(self, installed: Any, tmp_path: Path) -> MakeStore:
        folder = tmp_path / f"json-{uuid.uuid4().hex[:6]}"
        folder.mkdir()

        def make(collections: Mapping[str, Collection]) -> Store:
            for name, collection in collections.items():
                installed.write_collection(folder, name, collection)
            return open_store("crm", f"jsondir://{folder}")

        return make


def test_the_engine_answers_requests_across_a_sql_system_and_the_plugin_store(installed: Any,
                                                                             tmp_path: Path) -> None:
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop.build(shop_url, f"sqlite:///{tmp_path / 'unused-crm.db'}")
    folder = tmp_path / "crm"
    folder.mkdir()
    installed.write_collection(folder, "contacts", Collection(
        columns={"id": ColumnKind.INTEGER, "customer_ref": ColumnKind.STRING, "notes": ColumnKind.STRING},
        key=("id",), rows=[dict(row) for row in shop.CRM_ROWS["contacts"]]))
    datamap = load_datamap(shop.write_map(tmp_path, shop_url, f"jsondir://{folder}"))
    engine = Engine(datamap, secret_key=b"k" * 40, journal=tmp_path / "journal.db")
    try:
        found = engine.access(Subject.of(email=shop.ALICE)).to_dict()
        # contacts keyed by customers.id held as text, in the other system
        assert sorted(r["id"] for r in found["datasets"]["crm"]["contacts"]) == [1, 3]
        erased = engine.erase(Subject.of(email=shop.ALICE), run_key="plugin-store")
        assert erased.status == "completed" and erased.residual is not None and erased.residual.ok
    finally:
        engine.close()
    on_disk = {row["id"]: row["notes"] for row in json.loads((folder / "contacts.json").read_text())["rows"]}
    assert on_disk[2] == "Bob's note"  # not hers: untouched
    assert on_disk[1] != "VIP" and on_disk[3] != "old account"  # hers: redacted in the file itself
