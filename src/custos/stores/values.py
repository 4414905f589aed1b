"""Values as a store compares them: a key found in one store, converted to the type of the
column it is matched against in another (``customers.id`` 7 and ``contacts.customer_ref``
"7" are the same person)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
import uuid
from typing import Any

from custos.stores.base import ColumnKind


def coerce(kind: ColumnKind, value: Any) -> Any:
    """Convert a key found in one store to the type of the column it is matched against.

    Returns ``None`` when the value cannot possibly match (an email against an integer key).
    """
    if value is None:
        return None
    if (kind is ColumnKind.INTEGER and type(value) is int) or (kind is ColumnKind.STRING and type(value) is str):
        return value
    try:
        if kind is ColumnKind.STRING:
            return value if isinstance(value, str) else str(value)
        if kind is ColumnKind.INTEGER:
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int):
                return value
            if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
                return int(value)
            if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
                return int(value)
            return None
        if kind is ColumnKind.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if kind is ColumnKind.DECIMAL:
            return decimal.Decimal(str(value))
    except (ValueError, decimal.InvalidOperation):
        return None
    return value


def json_value(value: Any) -> Any:
    """A value as a JSON type: dates and datetimes as ISO-8601 text, decimals as numbers."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value
