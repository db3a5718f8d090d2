"""The counselor's day: "today" and "overdue" follow the desk's local calendar, while every
timestamp is stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache


def local_now() -> datetime:
    return datetime.now().astimezone()


def day_start(day: date) -> datetime:
    """The first instant of a local calendar day, in UTC."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def day_end(day: date) -> datetime:
    """The first instant after a local calendar day, in UTC."""
    return day_start(day + timedelta(days=1))


@cache
def _local_zone() -> tzinfo | None:
    return datetime.now().astimezone().tzinfo


def local_day(moment: datetime) -> date:
    """The desk's calendar day of a moment. Uses today's UTC offset: converting through a
    fixed zone is ten times faster than asking the OS per row, and a daylight-saving shift
    moves only moments within an hour of midnight."""
    return moment.astimezone(_local_zone()).date()
