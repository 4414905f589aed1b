"""The sample company, Acme Shop, Inc.: its database and its data map, for ``custos demo``.

``build_shop(url)`` creates and fills the shop's tables; ``demo_map_text()`` is the data
map that describes them, with ``${SHOP_DB_URL:-sqlite:///shop.db}`` as the store's URL.
"""

from importlib.resources import files

from custos.demo.rows import DEMO_EMAIL
from custos.demo.shop import ShopSummary, build_shop

MAP_FILE = "shop.yaml"


def demo_map_text() -> str:
    """The shop's data map (docs/datamap.md), as YAML text."""
    return files(__name__).joinpath(MAP_FILE).read_text(encoding="utf-8")


__all__ = ["DEMO_EMAIL", "MAP_FILE", "ShopSummary", "build_shop", "demo_map_text"]
