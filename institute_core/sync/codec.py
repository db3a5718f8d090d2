"""Column values to and from JSON, the same way on both sides of the wire."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
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
from institute_core.validation import unstorable


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


def _uuid(raw: Any) -> uuid.UUID:
    if isinstance(raw, str):
        return uuid.UUID(raw)
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


def _timestamp(raw: Any) -> datetime:
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    if value.tzinfo is None:
        raise ValueError("timestamp without a timezone")
    return value


def _date(raw: Any) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw))


def _time(raw: Any) -> time:
    return raw if isinstance(raw, time) else time.fromisoformat(str(raw))


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError("not a number")
    return Decimal(str(raw))


def _boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("not true or false")
    return raw


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError("not a whole number")
    return int(raw)


def _document(raw: Any) -> Any:
    # Refused as it is decoded, naming its field, rather than failing in the database.
    if (why := unstorable(raw)) is not None:
        raise ValueError(why)
    return raw


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("not text")
    if (why := unstorable(raw)) is not None:
        raise ValueError(why)
    return raw


@functools.cache
def _converter(column: Column[Any]) -> Callable[[Any], Any]:
    """The decoder for one column, chosen once: pulls decode every value of every row."""
    kind = column.type
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, UTCDateTime | DateTime):
        return _timestamp
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Time):
        return _time
    if isinstance(kind, Numeric) and not isinstance(kind, Integer | BigInteger):
        return _decimal
    if isinstance(kind, Boolean):
        return _boolean
    if isinstance(kind, Integer | BigInteger):
        return _integer
    if isinstance(kind, JSON):
        return _document
    return _text


def decode_value(column: Column[Any], raw: Any) -> Any:
    """The Python value of `raw` for `column`; raises ValueError naming the column if it is not."""
    if raw is None:
        return None
    return _decoded(column, _converter(column), raw)


_UNDECODABLE = (ValueError, ArithmeticError, TypeError)


def _decoded(column: Column[Any], decode: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return decode(raw)
    except _UNDECODABLE as exc:
        raise _named(column, exc) from exc


def _named(column: Column[Any], exc: Exception) -> ValueError:
    return ValueError(f"{column.table.name}.{column.name}: {exc}")


@functools.cache
def _decoders(table: Table) -> dict[str, tuple[Column[Any], Callable[[Any], Any]]]:
    """Each column's decoder by field name, looked up once per table: a push decodes every
    field of every change."""
    return {key: (column, _converter(column)) for key, column in table.c.items()}


def decode_fields(table: Table, fields: dict[str, Any], *,
                  skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Decode a change's fields (leaving out `skip`); unknown field names are refused by name."""
    decoders = _decoders(table)
    out: dict[str, Any] = {}
    for name, raw in fields.items():
        if name in skip:
            continue
        found = decoders.get(name)
        if found is None:
            raise ValueError(f"{table.name}: no field named {name!r}")
        if raw is None:
            out[name] = None
            continue
        # `_decoded` written out: a push decodes every field of every change, and the call
        # per value was a fifth of decoding.
        try:
            out[name] = found[1](raw)
        except _UNDECODABLE as exc:
            raise _named(found[0], exc) from exc
    return out
