"""Faculty calendars of the demo: every session and batch meeting is booked within the limits
the app checks when a person schedules (`services.sessions`): the faculty member's available
hours, no overlapping sessions, at most `max_hours_per_day` of teaching and at most
`max_students_per_day` students a day (a batch counts all its members, as the app does)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

OPEN_FROM = 9 * 60  # the demo faculty's availability: 09:00-18:00
OPEN_UNTIL = 18 * 60
WORKING_DAYS = frozenset(range(6))  # Monday to Saturday


@dataclass(frozen=True)
class Limits:
    """What one faculty member may be given, from their `faculties` row."""

    max_minutes: int
    max_students: int
    days: frozenset[int] = WORKING_DAYS


@dataclass
class _Day:
    spans: list[tuple[int, int]] = field(default_factory=list)
    minutes: int = 0
    students: set[uuid.UUID] = field(default_factory=set)


@dataclass(frozen=True)
class BatchSlot:
    """Weekdays and start hour a batch meets at, from its first to (at the latest) its last day."""

    days: tuple[int, ...]
    hour: int
    first: date
    last: date

    def clashes(self, other: BatchSlot, minutes: int) -> bool:
        return (self.first <= other.last and other.first <= self.last
                and bool(set(self.days) & set(other.days))
                and abs(self.hour - other.hour) * 60 < minutes)


class Calendar:
    """Bookings per (faculty member, day), in minutes from midnight."""

    def __init__(self) -> None:
        self.limits: dict[uuid.UUID, Limits] = {}
        self._days: dict[tuple[uuid.UUID, date], _Day] = defaultdict(_Day)
        # Each faculty member's batch slots while the batch runs (batches never overlap).
        self.batch_slots: dict[uuid.UUID, list[BatchSlot]] = defaultdict(list)

    def batch_slot_free(self, faculty: uuid.UUID, slot: BatchSlot, minutes: int) -> bool:
        return not any(slot.clashes(taken, minutes) for taken in self.batch_slots[faculty])

    def days_with_batches(self, faculty: uuid.UUID, slot: BatchSlot) -> int:
        """How many of the slot's weekdays already hold one of the member's batches then."""
        return sum(any(day in taken.days and taken.first <= slot.last
                       and slot.first <= taken.last for taken in self.batch_slots[faculty])
                   for day in slot.days)

    def fits(self, faculty: uuid.UUID, day: date, start: int, end: int,
             students: Iterable[uuid.UUID]) -> bool:
        limits = self.limits[faculty]
        if day.weekday() not in limits.days or start < OPEN_FROM or end > OPEN_UNTIL:
            return False
        booked = self._days.get((faculty, day))
        if booked is None:
            return end - start <= limits.max_minutes and \
                len(set(students)) <= limits.max_students
        if any(s < end and start < e for s, e in booked.spans):
            return False
        if booked.minutes + end - start > limits.max_minutes:
            return False
        return len(booked.students.union(students)) <= limits.max_students

    def book(self, faculty: uuid.UUID, day: date, start: int, end: int,
             students: Iterable[uuid.UUID]) -> None:
        booked = self._days[(faculty, day)]
        booked.spans.append((start, end))
        booked.minutes += end - start
        booked.students.update(students)

    def place(self, faculty: uuid.UUID, around: date, hour: int, minutes: int,
              student: uuid.UUID, *, after: date, until: date) -> tuple[date, int] | None:
        """The (day, start hour) nearest `around` (same day first, then up to three days either
        way, strictly after `after` and not after `until`) where an individual session of
        `minutes` fits; booked when found, None when that week is full."""
        hours = [hour] + [h for h in range(OPEN_FROM // 60, OPEN_UNTIL // 60) if h != hour]
        for shift in (0, 1, -1, 2, -2, 3, -3):
            day = around + timedelta(days=shift)
            if day <= after or day > until:
                continue
            for h in hours:
                start = h * 60
                if self.fits(faculty, day, start, start + minutes, (student,)):
                    self.book(faculty, day, start, start + minutes, (student,))
                    return day, h
        return None
