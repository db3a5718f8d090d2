"""Faculty utilization: hours taught against hours available, sessions and students.

- Hours taught = duration_minutes of the faculty's *completed* individual sessions in the period
  + for each of their batches, each date in the period on which batch attendance was taken, the
  length of that weekday's slots in flexible_batches.schedule (a date with attendance but no slot
  that weekday is a make-up class and counts the length of the schedule's first slot).
- Hours available = for each date of the period, the weekday's slots in
  faculties.available_time_slots, capped at max_hours_per_day.
- Utilization = taught / available × 100; None ("n/a") when the faculty has no availability.
- Unique students = the students who attended (present or late) at least once: an individual
  session of theirs that was not cancelled, or a batch class of theirs. Exactly the students
  with an attended mark in `analytics.attendance` (the faculty report lists those marks).
Soft-deleted rows never count.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, union

from institute_core.analytics.attendance import ATTENDED
from institute_core.analytics.period import (
    Db,
    Period,
    as_date,
    minutes_between,
    percent,
    weekday_name,
)
from institute_core.enums import SessionStatus
from institute_core.schema import (
    BatchSessionAttendance,
    Faculty,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    User,
)


@dataclass(frozen=True)
class FacultyUtilization:
    """One faculty member's teaching load over a period."""

    faculty_id: uuid.UUID
    employee_id: str
    name: str
    period: Period
    individual_hours: float
    batch_hours: float
    hours_available: float | None
    sessions_completed: int
    sessions_cancelled: int
    sessions_no_show: int
    batch_days: int
    unique_students: int

    @property
    def hours_taught(self) -> float:
        return round(self.individual_hours + self.batch_hours, 2)

    @property
    def utilization(self) -> float | None:
        """Percent of available hours taught; None when no availability is set."""
        if self.hours_available is None:
            return None
        return percent(self.hours_taught, self.hours_available)


def weekly_slot_minutes(slots: Mapping[str, Any] | None) -> dict[str, int]:
    """Minutes available per weekday from an available_time_slots document.

    Accepts the schema's form {"days": [{"day": "monday", "slots": [{"start", "end"}]}]} and the
    flat {"monday": [{"start", "end"}]} some imports produce. Empty when nothing is set.
    """
    per_day: dict[str, int] = defaultdict(int)
    if not slots:
        return {}
    if isinstance(slots.get("days"), list):
        entries = [(str(d.get("day", "")).lower(), d.get("slots") or [])
                   for d in slots["days"] if isinstance(d, Mapping)]
    else:
        entries = [(str(k).lower(), v) for k, v in slots.items() if isinstance(v, list)]
    for day, day_slots in entries:
        for slot in day_slots:
            if isinstance(slot, Mapping):
                per_day[day] += minutes_between(slot.get("start", ""), slot.get("end", ""))
    return {day: minutes for day, minutes in per_day.items() if minutes > 0}


def available_minutes(slots: Mapping[str, Any] | None, max_hours_per_day: int | None,
                      period: Period) -> int | None:
    """Minutes available over the period; None when the faculty has no availability set."""
    per_day = weekly_slot_minutes(slots)
    if not per_day:
        return None
    cap = max_hours_per_day * 60 if max_hours_per_day else None
    total = 0
    for day in period.dates():
        minutes = per_day.get(weekday_name(day), 0)
        total += min(minutes, cap) if cap is not None else minutes
    return total


def batch_slot_minutes(schedule: Mapping[str, Any] | None, day: date) -> int:
    """Length of a batch's class on `day` from its weekly schedule (see the module rule)."""
    weekly = (schedule or {}).get("weekly") or []
    slots = [s for s in weekly if isinstance(s, Mapping)]
    today = [s for s in slots if str(s.get("day", "")).lower() == weekday_name(day)]
    chosen = today or slots[:1]
    return sum(minutes_between(s.get("start", ""), s.get("end", "")) for s in chosen)


def faculty_utilization(db: Db, period: Period,
                        faculty_ids: Collection[uuid.UUID] | None = None
                        ) -> list[FacultyUtilization]:
    """Utilization of every (or the given) non-deleted faculty member, ordered by name."""
    faculty_q = (select(Faculty.id, Faculty.employee_id, User.first_name, User.last_name,
                        Faculty.available_time_slots, Faculty.max_hours_per_day)
                 .join(User, User.id == Faculty.user_id)
                 .where(Faculty.deleted_at.is_(None)))
    if faculty_ids is not None:
        faculty_q = faculty_q.where(Faculty.id.in_(list(faculty_ids)))
    faculties = db.execute(faculty_q).all()
    ids = [row[0] for row in faculties]
    sessions = _session_figures(db, period, ids)
    batches = _batch_figures(db, period, ids)
    students = _unique_students(db, period, ids)
    result = []
    for fid, employee_id, first, last, slots, max_hours in faculties:
        s = sessions.get(fid, _SessionFigures())
        b = batches.get(fid, _BatchFigures())
        available = available_minutes(slots, max_hours, period)
        result.append(FacultyUtilization(
            faculty_id=fid, employee_id=employee_id, name=f"{first} {last}".strip(),
            period=period,
            individual_hours=round(s.minutes / 60, 2),
            batch_hours=round(b.minutes / 60, 2),
            hours_available=None if available is None else round(available / 60, 2),
            sessions_completed=s.completed, sessions_cancelled=s.cancelled,
            sessions_no_show=s.no_show, batch_days=b.days,
            unique_students=students.get(fid, 0)))
    result.sort(key=lambda u: (u.name.lower(), u.employee_id))
    return result


@dataclass
class _SessionFigures:
    minutes: int = 0
    completed: int = 0
    cancelled: int = 0
    no_show: int = 0


@dataclass
class _BatchFigures:
    minutes: int = 0
    days: int = 0


def _session_figures(db: Db, period: Period,
                     faculty_ids: list[uuid.UUID]) -> dict[uuid.UUID, _SessionFigures]:
    # Counted and summed by the database: one row per faculty member and status.
    ls = LearningSession
    rows = db.execute(
        select(ls.faculty_id, ls.status, func.count(), func.sum(ls.duration_minutes))
        .where(*_sessions_in(period, faculty_ids)).group_by(ls.faculty_id, ls.status))
    figures: dict[uuid.UUID, _SessionFigures] = defaultdict(_SessionFigures)
    for fid, status, count, minutes in rows:
        f = figures[fid]
        if status == SessionStatus.COMPLETED:
            f.completed += count
            f.minutes += int(minutes or 0)
        elif status == SessionStatus.CANCELLED:
            f.cancelled += count
        elif status == SessionStatus.NO_SHOW:
            f.no_show += count
    return figures


def _sessions_in(period: Period, faculty_ids: list[uuid.UUID]) -> tuple[Any, ...]:
    ls = LearningSession
    return (ls.deleted_at.is_(None), ls.faculty_id.in_(faculty_ids),
            ls.session_date >= period.start, ls.session_date <= period.end)


def _batch_marks_in(period: Period, faculty_ids: list[uuid.UUID]) -> tuple[Any, ...]:
    bsa, fb = BatchSessionAttendance, FlexibleBatch
    return (bsa.deleted_at.is_(None), fb.deleted_at.is_(None), fb.faculty_id.in_(faculty_ids),
            bsa.session_date >= period.start, bsa.session_date <= period.end)


def _batch_figures(db: Db, period: Period,
                   faculty_ids: list[uuid.UUID]) -> dict[uuid.UUID, _BatchFigures]:
    bsa, fb = BatchSessionAttendance, FlexibleBatch
    # Schedules are read apart: grouping by a JSON column is not portable.
    schedules: dict[uuid.UUID, dict[str, Any] | None] = dict(db.execute(
        select(fb.id, fb.schedule).where(fb.deleted_at.is_(None),
                                         fb.faculty_id.in_(faculty_ids))).tuples().all())
    days = db.execute(
        select(fb.faculty_id, fb.id, bsa.session_date).distinct()
        .join(fb, fb.id == bsa.batch_id).where(*_batch_marks_in(period, faculty_ids)))
    figures: dict[uuid.UUID, _BatchFigures] = defaultdict(_BatchFigures)
    for fid, batch, day in days:
        figures[fid].days += 1
        figures[fid].minutes += batch_slot_minutes(schedules.get(batch), as_date(day))
    return figures


def _unique_students(db: Db, period: Period,
                     faculty_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Distinct students who attended a faculty member's sessions or batch classes, counted by
    the database (`union` drops the pairs seen in both). Both halves count attended marks only:
    batch marks of absent students used to count and individual no-shows did not, so the figure
    matched neither the students listed nor those who came."""
    ls, sa, bsa, fb = LearningSession, SessionAttendance, BatchSessionAttendance, FlexibleBatch
    attended = list(ATTENDED)
    taught = union(
        select(ls.faculty_id.label("faculty_id"), sa.student_id.label("student_id"))
        .join(sa, sa.session_id == ls.id)
        .where(*_sessions_in(period, faculty_ids), sa.deleted_at.is_(None),
               ls.status != SessionStatus.CANCELLED.value,
               sa.attendance_status.in_(attended)),
        select(fb.faculty_id, bsa.student_id).join(fb, fb.id == bsa.batch_id)
        .where(*_batch_marks_in(period, faculty_ids),
               bsa.attendance_status.in_(attended))).subquery("taught")
    return {fid: int(n) for fid, n in db.execute(
        select(taught.c.faculty_id, func.count()).group_by(taught.c.faculty_id))}
