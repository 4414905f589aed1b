from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from custos.datamap import DataMap, load_datamap
from custos.engine import Engine
from tests import shop
from tests.conftest import Databases

SECRET = b"engine-test-secret"


@dataclass
class Shop:
    shop_url: str
    crm_url: str
    map_path: Path
    datamap: DataMap
    journal: Path
    engines: list[Engine] = field(default_factory=list)

    def engine(self, **kwargs: object) -> Engine:
        engine = Engine(self.datamap, secret_key=SECRET, journal=self.journal, **kwargs)  # type: ignore[arg-type]
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.close()


@pytest.fixture
def built_shop(databases: Databases, tmp_path: Path) -> Iterator[Shop]:
    """The test shop on the store under test, its CRM on SQLite (an edge across systems)."""
    shop_url = databases.new()
    crm_url = f"sqlite:///{tmp_path / 'crm.db'}"
    shop.build(shop_url, crm_url)
    path = shop.write_map(tmp_path, shop_url, crm_url)
    built = Shop(shop_url, crm_url, path, load_datamap(path), tmp_path / "journal.db")
    yield built
    built.close()
