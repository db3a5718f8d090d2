"""Pulled values go straight to SQLite's stored form: the same form the ORM itself writes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import JSON, BigInteger, Boolean, Date, Integer, Numeric, String, Text, Time, Uuid
from sqlalchemy.dialects import sqlite

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.schema.types import UTCDateTime
from institute_core.sync.storage import (
    columns_to_storage,
    converters,
    general_converter,
    to_storage,
)

DIALECT = sqlite.dialect()

SAMPLES: list[tuple[type, list[Any]]] = [
    (Uuid, [str(uuid.uuid4()), "6F9619FF-8B86-D011-B42D-00C04FC964FF"]),
    (UTCDateTime, ["2026-11-23T14:17:03.004560+00:00", "2026-11-23T19:47:03+05:30",
                   "2026-01-01T00:00:00-08:00", "2026-11-23T14:17:03Z",
                   "2026-11-23T14:17:03.5+00:00", "2026-11-23T14:17:03.123+00:00",
                   "2028-02-29T23:59:59.000001Z", "2026-11-23T14:17:03+00:00"]),
    (Date, ["2026-11-23", "1999-02-28"]),
    (Time, ["17:00:00", "09:05:30.250000"]),
    (Numeric, ["12.50", "0", 7]),
    (Boolean, [True, False]),
    (JSON, [{"new_topics": ["a"], "n": 1}, [1, 2], "text"]),
    (BigInteger, [0, 12345678901]),
    (Integer, [3, -1]),
    (Text, ["notes with ünïcode"]),
    (String, ["present", ""]),
]


def _kind(column: Any) -> type | None:
    for kind, _values in SAMPLES:
        if isinstance(column.type, kind):
            return kind
    return None


def _columns() -> list[Any]:
    return [c for name in SYNCED_TABLES for c in table_of(name).columns]


def test_every_synced_column_type_has_samples_here() -> None:
    unknown = sorted({type(c.type).__name__ for c in _columns() if _kind(c) is None})
    assert not unknown, f"add samples for {unknown}"


@pytest.mark.parametrize("kind,values", SAMPLES, ids=[k.__name__ for k, _ in SAMPLES])
def test_fast_path_stores_what_the_orm_would(kind: type, values: list[Any]) -> None:
    checked = 0
    for column in _columns():
        if _kind(column) is not kind:
            continue
        fast = converters(column.table, DIALECT)[column.name]
        general = general_converter(column, DIALECT)
        for raw in values:
            assert fast(raw) == general(raw), (column, raw)
            checked += 1
    assert checked


def test_a_timestamp_in_another_zone_is_stored_as_utc() -> None:
    stored = to_storage(table_of("session_attendance"), DIALECT,
                        {"updated_at": "2026-11-23T19:47:03+05:30"})
    assert stored == {"updated_at": "2026-11-23 14:17:03.000000"}


@pytest.mark.parametrize("field,raw,says", [
    ("id", "not-a-uuid", "session_attendance.id"),
    ("updated_at", "2026-11-23T14:17:03", "timezone"),
    ("updated_at", "yesterday", "session_attendance.updated_at"),
    ("updated_at", "2026-02-30T10:00:00+00:00", "session_attendance.updated_at"),
    ("updated_at", "2026-11-23T24:00:00+00:00", "session_attendance.updated_at"),
    ("faculty_notes", 12, "not text"),
    ("version", "7", "not a whole number"),
    ("colour", "red", "no field named 'colour'"),
])
def test_a_malformed_value_is_refused_naming_the_column(field: str, raw: Any,
                                                         says: str) -> None:
    with pytest.raises(ValueError, match=says):
        to_storage(table_of("session_attendance"), DIALECT, {field: raw})


@pytest.mark.parametrize("name", SYNCED_TABLES)
def test_a_column_at_a_time_stores_what_row_by_row_does(name: str) -> None:
    """Every column of every synced table, converted in bulk (a pull page) and row by row."""
    table = table_of(name)
    columns = [c for c in table.columns if _kind(c) is not None]
    samples = {c.name: dict(SAMPLES)[_kind(c)] for c in columns}
    height = max(len(v) for v in samples.values()) + 1
    # Each column cycles through its samples with a None among them.
    rows = [{c: ([*values, None])[i % (len(values) + 1)] for c, values in samples.items()}
            for i in range(height)]
    names = [c.name for c in columns]
    bulk = columns_to_storage(table, DIALECT, names, [[r[n] for r in rows] for n in names])
    assert [dict(zip(names, values, strict=True)) for values in zip(*bulk, strict=True)] == [
        to_storage(table, DIALECT, row) for row in rows]


@pytest.mark.parametrize("field,raw", [("updated_at", "yesterday"), ("faculty_notes", 12),
                                       ("version", 7.0), ("colour", "red")])
def test_a_column_at_a_time_refuses_what_it_cannot_take_as_it_is(field: str, raw: Any) -> None:
    """The caller then goes row by row (a float 7.0 for a whole number is taken there)."""
    with pytest.raises(ValueError):
        columns_to_storage(table_of("session_attendance"), DIALECT, [field], [[None, raw]])
