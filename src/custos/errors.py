"""One exception hierarchy for everything a user can get wrong or a store can refuse.

Every error carries what was wrong and where; the command line prints ``str(error)`` on
one line and exits non-zero, the HTTP service turns ``code`` into a JSON error.
"""

from __future__ import annotations


class CustosError(Exception):
    """Root of every error Custos raises on purpose."""

    code = "custos_error"
    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class DataMapError(CustosError):
    """The data map is malformed or asks for something impossible."""

    code = "invalid_datamap"
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        parts = [p for p in (file, str(line) if line else None) if p]
        where = ":".join(parts) if parts else None
        if key:
            where = f"{where} ({key})" if where else key
        super().__init__(message, where=where)


class DataMapErrors(DataMapError):
    """Several data-map problems found in one pass; the message lists them all."""

    def __init__(self, errors: list[DataMapError]) -> None:
        self.errors = errors
        first = errors[0]
        CustosError.__init__(
            self,
            "\n".join(str(e) for e in errors) if len(errors) > 1 else first.message,
            where=None if len(errors) > 1 else first.where,
        )
        self.file, self.line, self.key = first.file, first.line, first.key


class IdentityError(CustosError):
    """An identity value that cannot be used (empty, malformed, unknown type)."""

    code = "invalid_identity"
    exit_code = 2


class StoreError(CustosError):
    """A data store failed or refused; names the system key, never its credentials."""

    code = "store_error"
    exit_code = 3

    def __init__(self, message: str, *, system: str) -> None:
        self.system = system
        super().__init__(message, where=f"system {system!r}")


class ConfigError(CustosError):
    """A setting is missing or insecure."""

    code = "invalid_config"
    exit_code = 2
