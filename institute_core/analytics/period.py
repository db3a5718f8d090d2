"""Date ranges, the reference date and the small helpers every analytics query shares."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect, Select, String, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from institute_core.display import period_text

# Analytics read through either an ORM session (the replica's `read()`) or a Core connection
# (the server, tests); both have `.execute()` for Core statements.
Db = Session | Connection

# Students to look at: a list of ids, or a select of ids (the whole institute, a faculty member's
# students) that the database filters by itself instead of binding thousands of parameters.
StudentIds = Collection[uuid.UUID] | Select[tuple[uuid.UUID]]


@functools.lru_cache(maxsize=1 << 16)
def _uuid_from_text(text: str) -> uuid.UUID:
    return uuid.UUID(text)


class _SharedUuid(TypeDecorator[uuid.UUID]):
    """A UUID read through a cache: analytics read the same few thousand student, subject and
    faculty ids tens of thousands of times, and parsing each costs more than the query."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None or isinstance(value, uuid.UUID):  # PostgreSQL's driver parses them
            return value
        return _uuid_from_text(str(value))


def shared_uuid(column: Any) -> ColumnElement[uuid.UUID]:
    """`column` (a UUID column) for a select whose result repeats the same ids many times."""
    return type_coerce(column, _SharedUuid())


@functools.lru_cache(maxsize=1 << 14)
def _date_from_text(text: str) -> date:
    return date.fromisoformat(text[:10])


class _SharedDate(TypeDecorator[date]):
    """A date read through a cache (SQLite hands dates back as text; a few hundred distinct
    days repeat across tens of thousands of rows)."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or isinstance(value, date):
            return as_date(value) if value is not None else None
        return _date_from_text(str(value))


def shared_date(column: Any) -> ColumnElement[date]:
    """`column` (a Date column) for a select whose result repeats the same days many times."""
    return type_coerce(column, _SharedDate())


def among(column: Any, ids: StudentIds) -> ColumnElement[bool]:
    """`column IN ids` for either form of `StudentIds`."""
    result: ColumnElement[bool] = column.in_(ids if isinstance(ids, Select) else list(ids))
    return result


@dataclass(frozen=True)
class Period:
    """An inclusive date range [start, end]."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"the period starts {self.start} after it ends {self.end}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def start_utc(self) -> datetime:
        """The first instant of the period, for filtering timestamp columns (UTC days)."""
        return datetime.combine(self.start, time(), tzinfo=UTC)

    def end_utc_exclusive(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def label(self) -> str:
        return period_text(self.start, self.end)

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        """The `days` days ending on `today` (inclusive)."""
        end = today or date.today()
        return cls(end - timedelta(days=days - 1), end)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def minutes_between(start: str, end: str) -> int:
    """Minutes from "HH:MM" to "HH:MM"; a malformed or reversed slot counts as 0."""
    try:
        sh, sm = (int(p) for p in str(start).split(":")[:2])
        eh, em = (int(p) for p in str(end).split(":")[:2])
    except (TypeError, ValueError):
        return 0
    return max(0, (eh * 60 + em) - (sh * 60 + sm))


def percent(part: float, whole: float) -> float | None:
    """part/whole as a percentage rounded to 2 places; None when there is no whole."""
    if not whole:
        return None
    return round(part * 100.0 / whole, 2)


def as_date(value: Any) -> date:
    """A date from what a driver returns (SQLite may hand back ISO text in raw queries)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
