from tests.engine.conftest import built_shop

__all__ = ["built_shop"]
