"""The counselor's day: "today" and "overdue" follow the desk's local calendar, while every
timestamp is stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def local_now() -> datetime:
    return datetime.now().astimezone()


def day_start(day: date) -> datetime:
    """The first instant of a local calendar day, in UTC."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def day_end(day: date) -> datetime:
    """The first instant after a local calendar day, in UTC."""
    return day_start(day + timedelta(days=1))


def local_day(moment: datetime) -> date:
    return moment.astimezone().date()
