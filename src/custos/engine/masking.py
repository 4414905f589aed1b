"""Erasure strategies: what each does to a value, and which columns it can be applied to."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from custos.datamap import Strategy
from custos.stores import ColumnInfo, ColumnKind

REDACTED = "[REDACTED]"
HASH_LENGTH = 64

#: Strategies whose new value depends on the old one (they need the old value read first).
VALUE_DEPENDENT = frozenset({Strategy.MASK_HASH, Strategy.MASK_RANDOM, Strategy.MASK_DATE_YEAR})

_RANDOM_KINDS = {
    ColumnKind.STRING, ColumnKind.INTEGER, ColumnKind.DECIMAL, ColumnKind.FLOAT, ColumnKind.DATE,
    ColumnKind.DATETIME, ColumnKind.BOOLEAN, ColumnKind.UUID,
}


def fit_problem(strategy: Strategy, column: ColumnInfo) -> str | None:
    """Why ``strategy`` cannot be applied to ``column``, or ``None`` when it fits."""
    kind, length = column.kind, column.length
    if strategy is Strategy.KEEP:
        return None
    if column.primary_key:
        return f"{strategy} would change a primary key; erase the row (erase_rows: true) instead"
    if strategy is Strategy.MASK_NULL:
        if not column.nullable:
            return (f"mask_null on NOT NULL column {column.name} ({column.type_name}); "
                    "choose mask_redact, mask_hash, mask_random or keep_for")
        return None
    if strategy is Strategy.MASK_REDACT:
        if kind is not ColumnKind.STRING:
            return f"mask_redact writes text, but {column.name} is {column.type_name}; use mask_null or mask_random"
        if length is not None and length < len(REDACTED):
            return f"mask_redact writes {len(REDACTED)} characters, but {column.name} holds at most {length}"
        if column.unique:
            return f"mask_redact writes the same placeholder into every row, but {column.name} is UNIQUE; use mask_hash"
        return None
    if strategy is Strategy.MASK_HASH:
        if kind is not ColumnKind.STRING:
            return f"mask_hash writes {HASH_LENGTH} hex characters, but {column.name} is {column.type_name}"
        if length is not None and length < HASH_LENGTH:
            return (f"mask_hash writes {HASH_LENGTH} characters, but {column.name} is {column.type_name} "
                    f"(at most {length}); widen the column or choose another strategy")
        return None
    if strategy is Strategy.MASK_RANDOM:
        if kind not in _RANDOM_KINDS:
            return f"mask_random cannot make a value of type {column.type_name} for {column.name}"
        return None
    if strategy is Strategy.MASK_DATE_YEAR:
        if kind not in (ColumnKind.DATE, ColumnKind.DATETIME):
            return f"mask_date_year needs a DATE or DATETIME column, but {column.name} is {column.type_name}"
        return None
    return f"unknown strategy {strategy}"  # pragma: no cover


class Masker:
    """Computes masked values; ``mask_hash`` is a keyed HMAC-SHA-256."""

    def __init__(self, secret_key: bytes) -> None:
        self._key = secret_key

    def constant(self, strategy: Strategy) -> tuple[bool, Any]:
        """``(True, value)`` for strategies that write one value into every row."""
        if strategy is Strategy.MASK_NULL:
            return True, None
        if strategy is Strategy.MASK_REDACT:
            return True, REDACTED
        return False, None

    def masked(self, strategy: Strategy, column: ColumnInfo, value: Any) -> Any:
        """The new value for ``value`` under a value-dependent strategy."""
        if strategy is Strategy.MASK_HASH:
            text = value if isinstance(value, str) else str(value)
            return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        if strategy is Strategy.MASK_DATE_YEAR:
            if isinstance(value, dt.datetime):
                return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
            if isinstance(value, dt.date):
                return value.replace(month=1, day=1)
            if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
                return f"{value[:4]}-01-01" + (" 00:00:00" if len(value) > 10 else "")
            return None
        if strategy is Strategy.MASK_RANDOM:
            for _ in range(64):  # a draw equal to the original would leave it in place
                new = random_value(column)
                if new != value:
                    return new
            return new
        raise ValueError(f"{strategy} does not depend on the value")


def random_value(column: ColumnInfo) -> Any:
    """A type-correct random value that fits the column."""
    kind = column.kind
    if kind is ColumnKind.STRING:
        size = min(column.length or 16, 16)
        return secrets.token_hex(8)[:size]
    if kind is ColumnKind.INTEGER:
        return secrets.randbelow(2**31 - 2) + 1
    if kind is ColumnKind.DECIMAL:
        return decimal.Decimal(secrets.randbelow(100000)) / 100
    if kind is ColumnKind.FLOAT:
        return secrets.randbelow(100000) / 100
    if kind is ColumnKind.DATE:
        return dt.date(1970, 1, 1) + dt.timedelta(days=secrets.randbelow(365 * 30))
    if kind is ColumnKind.DATETIME:
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secrets.randbelow(86400 * 365 * 30))
    if kind is ColumnKind.BOOLEAN:
        return bool(secrets.randbelow(2))
    if kind is ColumnKind.UUID:
        return uuid.uuid4()
    raise ValueError(f"no random value for {column.type_name}")
