"""Column values to and from JSON, the same way on both sides of the wire."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Numeric,
    Table,
    Time,
    Uuid,
)

from institute_core.schema.types import UTCDateTime


def encode_value(value: Any) -> Any:
    """A JSON-safe form of a column value (ISO text for dates and times, text for Decimal)."""
    if value is None or isinstance(value, bool | int | str | float):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} for sync")


def decode_value(column: Column[Any], raw: Any) -> Any:
    """The Python value of `raw` for `column`; raises ValueError naming the column if it is not."""
    if raw is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, Uuid):
            return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        if isinstance(kind, UTCDateTime | DateTime):
            value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
            if value.tzinfo is None:
                raise ValueError("timestamp without a timezone")
            return value
        if isinstance(kind, Date):
            return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        if isinstance(kind, Time):
            return raw if isinstance(raw, time) else time.fromisoformat(str(raw))
        if isinstance(kind, Numeric) and not isinstance(kind, Integer | BigInteger):
            if isinstance(raw, bool):
                raise ValueError("not a number")
            return Decimal(str(raw))
        if isinstance(kind, Boolean):
            if not isinstance(raw, bool):
                raise ValueError("not true or false")
            return raw
        if isinstance(kind, Integer | BigInteger):
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError("not a whole number")
            return int(raw)
        if isinstance(kind, JSON):
            return raw
        if not isinstance(raw, str):
            raise ValueError("not text")
        return raw
    except (ValueError, ArithmeticError, TypeError) as exc:
        raise ValueError(f"{column.table.name}.{column.name}: {exc}") from exc


def decode_fields(table: Table, fields: dict[str, Any]) -> dict[str, Any]:
    """Decode a change's fields; unknown field names are refused by name."""
    out: dict[str, Any] = {}
    for name, raw in fields.items():
        if name not in table.c:
            raise ValueError(f"{table.name}: no field named {name!r}")
        out[name] = decode_value(table.c[name], raw)
    return out
