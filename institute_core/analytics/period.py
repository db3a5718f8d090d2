"""Date ranges, the reference date and the small helpers every analytics query shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

# Analytics read through either an ORM session (the replica's `read()`) or a Core connection
# (the server, tests); both have `.execute()` for Core statements.
Db = Session | Connection


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
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

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
