"""A weekly availability: time slots per weekday, as the week-grid editor shows them.

Stored in `faculties.available_time_slots` as
{"days": [{"day": "monday", "slots": [{"start": "09:00", "end": "12:00"}]}]}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from institute_core.services.common import parse_hhmm
from institute_core.services.schedule import WEEKDAYS
from institute_core.validation import InvalidInput

Slot = tuple[time, time]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@dataclass
class Week:
    """Slots per weekday, each sorted and not overlapping (adjacent slots are merged)."""

    days: dict[str, list[Slot]] = field(default_factory=dict)

    def slots(self, day: str) -> list[Slot]:
        return list(self.days.get(day, []))

    def set_slots(self, day: str, slots: list[Slot]) -> None:
        if day not in WEEKDAYS:
            raise InvalidInput("faculties", "available_time_slots", "is not a weekday", day)
        for start, end in slots:
            if start >= end:
                raise InvalidInput("faculties", "available_time_slots",
                                   f"{day}: a slot must end after it starts",
                                   f"{_hhmm(start)}–{_hhmm(end)}")
        merged: list[Slot] = []
        for start, end in sorted(slots):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        if merged:
            self.days[day] = merged
        else:
            self.days.pop(day, None)

    def is_free(self, day: str, at: time) -> bool:
        return any(start <= at < end for start, end in self.days.get(day, []))

    def total_minutes(self) -> int:
        return sum((e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)
                   for slots in self.days.values() for s, e in slots)

    def to_json(self) -> dict[str, Any]:
        return {"days": [{"day": day, "slots": [{"start": _hhmm(s), "end": _hhmm(e)}
                                                for s, e in self.days[day]]}
                         for day in WEEKDAYS if self.days.get(day)]}

    def to_weekly(self) -> list[dict[str, str]]:
        """The form a batch schedule keeps: [{"day": "monday", "start": "10:00", "end": ...}]."""
        return [{"day": day, "start": _hhmm(s), "end": _hhmm(e)}
                for day in WEEKDAYS for s, e in self.days.get(day, [])]

    @classmethod
    def from_weekly(cls, weekly: list[dict[str, Any]] | None) -> Week:
        """Read a batch schedule's `weekly` list (the inverse of `to_weekly`); unreadable
        entries are skipped."""
        return cls.from_json({"days": [{"day": e.get("day"), "slots": [e]}
                                       for e in weekly or [] if isinstance(e, dict)]})

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> Week:
        """Read the stored form; unreadable slots are skipped (older or hand-edited data)."""
        week = cls()
        for entry in (doc or {}).get("days") or []:
            day = str(entry.get("day", "")).lower()
            if day not in WEEKDAYS:
                continue
            slots = []
            for slot in entry.get("slots") or []:
                start, end = parse_hhmm(slot.get("start")), parse_hhmm(slot.get("end"))
                if start is not None and end is not None and start < end:
                    slots.append((start, end))
            week.set_slots(day, week.slots(day) + slots)
        return week
