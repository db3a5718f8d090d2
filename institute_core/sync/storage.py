"""Pulled wire values straight to the values SQLite stores, one converter per column.

A pull applies tens of thousands of rows. Going wire text -> Python object (UUID, datetime)
-> SQLite text through SQLAlchemy's bind processors costs several microseconds a value; the
common column types here go from wire text to stored text in one step, checked on the way (a
malformed value raises ValueError naming the column, and the row is parked). Every other type
takes the general path, so the stored form is always the one the ORM itself would write
(tests/core/test_sync_storage.py compares both paths for every column type).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Dialect,
    Integer,
    String,
    Table,
    Text,
    Time,
    Uuid,
)

from institute_core.schema.types import UTCDateTime
from institute_core.sync.codec import decode_value

Converter = Callable[[Any], Any]
# A whole column of one table's rows at once (None stays None); raises on any bad value, and
# the caller then converts row by row to find it.
ColumnConverter = Callable[[Sequence[Any]], Sequence[Any]]


# The canonical text the server sends, and the timestamps PostgreSQL writes in UTC; any
# other spelling takes the slower general parse.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UTC_TIMESTAMP = re.compile(
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))T((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)"
    r"(?:\.(\d{1,6}))?(?:\+00:00|Z)")


@functools.lru_cache(maxsize=1 << 16)
def _uuid_hex(raw: Any) -> str:
    # SQLAlchemy stores a Uuid on SQLite as 32 hex digits. Cached: a page names the same
    # sessions, students and authors over and over.
    if isinstance(raw, str) and _CANONICAL_UUID.fullmatch(raw):
        return raw.replace("-", "")
    return uuid.UUID(raw).hex


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("not text")
    return raw


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        raise ValueError("not a whole number")
    return raw


@functools.lru_cache(maxsize=1 << 14)
def _utc_timestamp(raw: Any) -> str:
    # The text SQLAlchemy's SQLite DATETIME writes: naive UTC, always with microseconds.
    match = _UTC_TIMESTAMP.fullmatch(raw) if isinstance(raw, str) else None
    if match is not None:
        day, clock, fraction = match.groups()
        _date(day)  # the pattern lets 30 February through
        return f"{day} {clock}.{(fraction or '').ljust(6, '0')}"
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError("timestamp without a timezone")
    if value.utcoffset():
        value = value.astimezone(UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


@functools.lru_cache(maxsize=1 << 12)
def _date(raw: Any) -> str:
    return date.fromisoformat(raw).isoformat()


@functools.lru_cache(maxsize=1 << 12)
def _time(raw: Any) -> str:
    # The text SQLAlchemy's SQLite TIME writes (always with microseconds).
    value = time.fromisoformat(raw)
    return (f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}."
            f"{value.microsecond:06d}")


def _boolean(raw: Any) -> int:
    # What SQLAlchemy's Boolean writes on SQLite, which has no boolean type of its own.
    if raw is True:
        return 1
    if raw is False:
        return 0
    raise ValueError("not true or false")


def _json_encoder() -> Callable[[Any], str]:
    """json.dumps with its default settings, without building an encoder on every call (a
    pull encodes tens of thousands of small documents); the same text either way."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.dumps
    # markers None: no check for cycles, which a document parsed from JSON cannot have;
    # the rest as json.dumps sets them (NaN allowed, keys unsorted).
    encode = make(None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ",
                  False, False, True)

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))
    return dumps


_dumps = _json_encoder()


def _json_text(raw: Any) -> str:
    # What SQLAlchemy's JSON type writes on SQLite (the engine sets no serializer of its own).
    return _dumps(raw)


def general_converter(column: Column[Any], dialect: Dialect) -> Converter:
    """Wire value -> Python value (the codec) -> stored value (the column's bind processor)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)

    def convert(raw: Any) -> Any:
        value = decode_value(column, raw)
        return value if process is None else process(value)
    return convert


def _fast_converter(column: Column[Any], dialect: Dialect) -> Converter | None:
    kind = column.type
    if isinstance(kind, Uuid):
        return _uuid_hex
    if isinstance(kind, UTCDateTime):
        return _utc_timestamp
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Time):
        return _time
    if isinstance(kind, JSON) and getattr(dialect, "_json_serializer", None) is None:
        return _json_text
    if isinstance(kind, Boolean) and not dialect.supports_native_boolean:
        return _boolean
    if kind.dialect_impl(dialect).bind_processor(dialect) is not None:
        return None  # a type with its own conversion (an Enum, say): the general path
    if isinstance(kind, String | Text):
        return _text
    if isinstance(kind, Integer | BigInteger):
        return _integer
    return None


@functools.cache
def converters(table: Table, dialect: Dialect) -> dict[str, Converter]:
    """Column name -> converter from its wire value to the value SQLite stores."""
    return {c.name: _fast_converter(c, dialect) or general_converter(c, dialect)
            for c in table.columns}


def to_storage(table: Table, dialect: Dialect, values: dict[str, Any], *,
               skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Stored values of one pulled row without the fields in `skip`; ValueError names the
    column of a malformed value."""
    convert = converters(table, dialect)
    out: dict[str, Any] = {}
    for name, raw in values.items():
        if name in skip:
            continue
        if raw is None:
            out[name] = None
            continue
        converter = convert.get(name)
        if converter is None:
            raise ValueError(f"{table.name}: no field named {name!r}")
        try:
            out[name] = converter(raw)
        except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
            raise ValueError(f"{table.name}.{name}: {exc}") from exc
    return out


class IrregularColumn(ValueError):
    """A column of a batch holds a value its bulk conversion does not take as it is."""


def _typed(*allowed: type) -> ColumnConverter:
    """Values stored as they arrive, once every one is of an `allowed` type (or None)."""
    kinds = frozenset((*allowed, type(None)))

    def check(values: Sequence[Any]) -> Sequence[Any]:
        # One pass in C over the column's types: most columns are text and need nothing else.
        if set(map(type, values)) <= kinds:
            return values
        raise IrregularColumn("a value of another type")
    return check


def _each(convert: Converter) -> ColumnConverter:
    def run(values: Sequence[Any]) -> Sequence[Any]:
        if None in values:
            return [None if v is None else convert(v) for v in values]
        return list(map(convert, values))
    return run


@functools.cache
def column_converters(table: Table, dialect: Dialect) -> dict[str, ColumnConverter]:
    """Column name -> converter of a whole column of pulled values (see `columns_to_storage`).

    Text and whole numbers arrive as they are stored: a type check suffices (a float such as
    7.0 for an integer column fails it, and the row-by-row path then takes it as `to_storage`
    does); every other column maps its row converter over the column.
    """
    out: dict[str, ColumnConverter] = {}
    for name, convert in converters(table, dialect).items():
        if convert is _text:
            out[name] = _typed(str)
        elif convert is _integer:
            out[name] = _typed(int)
        else:
            out[name] = _each(convert)
    return out


def columns_to_storage(table: Table, dialect: Dialect, names: Sequence[str],
                       columns: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """Stored values of many pulled rows of `table`, column by column: `columns[i]` holds the
    wire values of field `names[i]`, one per row.

    Raises ValueError (not naming a row) if any value is malformed or irregular: the caller
    then converts those rows one by one with `to_storage`, which names the column and sorts
    the good rows from the bad. The result equals `to_storage` row by row.
    """
    convert = column_converters(table, dialect)
    out: list[Sequence[Any]] = []
    for name, values in zip(names, columns, strict=True):
        bulk = convert.get(name)
        if bulk is None:
            raise ValueError(f"{table.name}: no field named {name!r}")
        try:
            out.append(bulk(values))
        except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
            raise IrregularColumn(f"{table.name}.{name}: {exc}") from exc
    return out
