"""Reading a flexible batch's `schedule` JSON: when does the batch meet.

The schema's documented shape is
`{"weekly": [{"day": "monday", "start": "10:00", "end": "12:00"}], "location": "Lab 2"}`.
Scheduling adds two optional keys of our own (the schema has no batch-session table):
`"extra": [{"date": "2025-03-04", "start": "14:00", "end": "15:00"}]` for one-off meetings and
`"cancelled": ["2025-03-11"]` for cancelled ones.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from institute_core.services.common import parse_hhmm

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _slot(entry: dict[str, Any]) -> tuple[time | None, time | None]:
    return parse_hhmm(entry.get("start")), parse_hhmm(entry.get("end"))


def batch_slot(schedule: dict[str, Any] | None, on: date) -> tuple[time | None, time | None]:
    """Start and end of the batch's meeting on `on` ((None, None) when unknown)."""
    schedule = schedule or {}
    for entry in schedule.get("extra") or []:
        if entry.get("date") == on.isoformat():
            return _slot(entry)
    day = WEEKDAYS[on.weekday()]
    for entry in schedule.get("weekly") or []:
        if str(entry.get("day", "")).lower() == day:
            return _slot(entry)
    return None, None


def meets_on(schedule: dict[str, Any] | None, on: date) -> bool:
    """Whether the batch's schedule has a (not cancelled) meeting on `on`."""
    schedule = schedule or {}
    if on.isoformat() in (schedule.get("cancelled") or []):
        return False
    if any(e.get("date") == on.isoformat() for e in schedule.get("extra") or []):
        return True
    day = WEEKDAYS[on.weekday()]
    return any(str(e.get("day", "")).lower() == day for e in schedule.get("weekly") or [])


def location_of(schedule: dict[str, Any] | None) -> str | None:
    return (schedule or {}).get("location")
