"""Attendance rates and absenteeism streaks over individual and batch sessions.

How a mark counts (the one rule used by every figure, dashboard and report):
- present and late are *attended*: late counts as attended;
- absent counts against the rate;
- excused is left out of the denominator entirely (an announced absence is not truancy), and it
  neither extends nor breaks an absence streak;
- rate = (present + late) / (present + late + absent) × 100, None when that denominator is 0.
Individual sessions come from session_attendance joined to learning_sessions (by the session's
date; cancelled sessions are ignored), batch sessions from batch_session_attendance (by its
session_date). Soft-deleted rows (deleted_at set) never count.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, union_all

from institute_core.analytics.period import (
    Db,
    Period,
    StudentIds,
    among,
    as_date,
    percent,
    shared_date,
    shared_uuid,
)
from institute_core.enums import AttendanceStatus, SessionStatus
from institute_core.schema import (
    BatchSessionAttendance,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
)

K = TypeVar("K")
ATTENDED = frozenset({AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value})


@dataclass(frozen=True)
class AttendanceMark:
    """One student's mark for one individual or batch session."""

    student_id: uuid.UUID
    day: date
    status: str
    source: str  # "session" or "batch"
    session_id: uuid.UUID | None  # learning_sessions.id for individual sessions
    batch_id: uuid.UUID | None  # flexible_batches.id for batch sessions
    subject_id: uuid.UUID
    faculty_id: uuid.UUID

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED

    @property
    def sort_key(self) -> tuple[date, str, str]:
        return (self.day, self.source, str(self.session_id or self.batch_id))


@dataclass(frozen=True)
class AttendanceSummary:
    """Counts of each mark and the attendance rate they give (see the module rule)."""

    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0

    @property
    def total(self) -> int:
        return self.present + self.late + self.absent + self.excused

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def counted(self) -> int:
        return self.present + self.late + self.absent

    @property
    def rate(self) -> float | None:
        """Attendance in percent, 2 places; None when no mark counts."""
        return percent(self.attended, self.counted)


@dataclass(frozen=True)
class AbsenceStreak:
    """Consecutive absences of one student, in session order."""

    student_id: uuid.UUID
    longest: int
    current: int
    longest_from: date | None
    longest_to: date | None


def attendance_marks(db: Db, period: Period, *,
                     student_ids: StudentIds | None = None,
                     batch_id: uuid.UUID | None = None,
                     faculty_id: uuid.UUID | None = None,
                     subject_id: uuid.UUID | None = None,
                     include_individual: bool = True,
                     include_batches: bool = True) -> list[AttendanceMark]:
    """Every mark in the period matching the filters, sorted by date."""
    marks: list[AttendanceMark] = []
    if include_individual and batch_id is None:
        query = _individual_query(period, student_ids, faculty_id, subject_id)
        marks.extend(AttendanceMark(student, as_date(day), status, "session", session, None,
                                    subject, faculty)
                     for student, day, status, session, subject, faculty in db.execute(query))
    if include_batches:
        query = _batch_query(period, student_ids, batch_id, faculty_id, subject_id)
        marks.extend(AttendanceMark(student, as_date(day), status, "batch", None, batch,
                                    subject, faculty)
                     for student, day, status, batch, subject, faculty in db.execute(query))
    marks.sort(key=lambda m: (m.student_id.hex, *m.sort_key))
    return marks


def daily_counts(db: Db, period: Period, *, faculty_id: uuid.UUID | None = None,
                 student_ids: StudentIds | None = None) -> dict[date, AttendanceSummary]:
    """Marks per status per day (individual and batch sessions, the same rule as
    `attendance_marks`), counted by the database: a dashboard over thousands of students needs
    the totals, not the marks."""
    marks = union_all(_individual_query(period, student_ids, faculty_id, None),
                      _batch_query(period, student_ids, None, faculty_id, None)
                      ).subquery("marks")
    day, status = marks.c.session_date, marks.c.attendance_status
    counts: dict[date, dict[str, int]] = defaultdict(dict)
    for on, mark, n in db.execute(select(day, status, func.count()).group_by(day, status)):
        counts[as_date(on)][mark] = int(n)
    return {on: AttendanceSummary(**{s.value: c.get(s.value, 0) for s in AttendanceStatus})
            for on, c in counts.items()}


def _individual_query(period: Period, student_ids: StudentIds | None,
                      faculty_id: uuid.UUID | None, subject_id: uuid.UUID | None) -> Select[Any]:
    sa, ls = SessionAttendance, LearningSession
    query = (
        select(shared_uuid(sa.student_id), shared_date(ls.session_date).label("session_date"),
               sa.attendance_status, ls.id,
               shared_uuid(ls.subject_id), shared_uuid(ls.faculty_id))
        .join(ls, ls.id == sa.session_id)
        .where(sa.deleted_at.is_(None), ls.deleted_at.is_(None),
               ls.status != SessionStatus.CANCELLED.value,
               ls.session_date >= period.start, ls.session_date <= period.end)
    )
    if student_ids is not None:
        query = query.where(among(sa.student_id, student_ids))
    if faculty_id is not None:
        query = query.where(ls.faculty_id == faculty_id)
    if subject_id is not None:
        query = query.where(ls.subject_id == subject_id)
    return query


def _batch_query(period: Period, student_ids: StudentIds | None, batch_id: uuid.UUID | None,
                 faculty_id: uuid.UUID | None, subject_id: uuid.UUID | None) -> Select[Any]:
    bsa, fb = BatchSessionAttendance, FlexibleBatch
    query = (
        select(shared_uuid(bsa.student_id), shared_date(bsa.session_date), bsa.attendance_status,
               shared_uuid(fb.id), shared_uuid(fb.subject_id), shared_uuid(fb.faculty_id))
        .join(fb, fb.id == bsa.batch_id)
        .where(bsa.deleted_at.is_(None), fb.deleted_at.is_(None),
               bsa.session_date >= period.start, bsa.session_date <= period.end)
    )
    if student_ids is not None:
        query = query.where(among(bsa.student_id, student_ids))
    if batch_id is not None:
        query = query.where(bsa.batch_id == batch_id)
    if faculty_id is not None:
        query = query.where(fb.faculty_id == faculty_id)
    if subject_id is not None:
        query = query.where(fb.subject_id == subject_id)
    return query


def summarize(marks: Iterable[AttendanceMark]) -> AttendanceSummary:
    """Count marks by status (unknown statuses are ignored rather than guessed)."""
    counts = {s.value: 0 for s in AttendanceStatus}
    for mark in marks:
        if mark.status in counts:
            counts[mark.status] += 1
    return AttendanceSummary(present=counts["present"], late=counts["late"],
                             absent=counts["absent"], excused=counts["excused"])


def summarize_by(marks: Iterable[AttendanceMark],
                 key: Callable[[AttendanceMark], K | None]) -> dict[K, AttendanceSummary]:
    """One summary per key value; marks whose key is None are skipped."""
    groups: dict[K, list[AttendanceMark]] = defaultdict(list)
    for mark in marks:
        value = key(mark)
        if value is not None:
            groups[value].append(mark)
    return {k: summarize(v) for k, v in groups.items()}


def by_student(marks: Iterable[AttendanceMark]) -> dict[uuid.UUID, AttendanceSummary]:
    """Attendance per student (`marks` from `attendance_marks`, one query for every grouping)."""
    return summarize_by(marks, lambda m: m.student_id)


def by_batch(marks: Iterable[AttendanceMark]) -> dict[uuid.UUID, AttendanceSummary]:
    """Attendance per flexible batch; individual sessions have no batch and are skipped."""
    return summarize_by(marks, lambda m: m.batch_id)


def by_subject(marks: Iterable[AttendanceMark]) -> dict[uuid.UUID, AttendanceSummary]:
    """Attendance per subject, individual and batch sessions together."""
    return summarize_by(marks, lambda m: m.subject_id)


def by_faculty(marks: Iterable[AttendanceMark]) -> dict[uuid.UUID, AttendanceSummary]:
    """Attendance of the sessions each faculty member took."""
    return summarize_by(marks, lambda m: m.faculty_id)


def absence_streaks(marks: Iterable[AttendanceMark]) -> dict[uuid.UUID, AbsenceStreak]:
    """Longest and current runs of consecutive absences per student, in session order."""
    per_student: dict[uuid.UUID, list[AttendanceMark]] = defaultdict(list)
    for mark in marks:
        per_student[mark.student_id].append(mark)
    result: dict[uuid.UUID, AbsenceStreak] = {}
    for student, own in per_student.items():
        own.sort(key=lambda m: m.sort_key)
        longest = run = 0
        run_from: date | None = None
        best: tuple[date | None, date | None] = (None, None)
        for mark in own:
            if mark.status == AttendanceStatus.EXCUSED:
                continue
            if mark.status == AttendanceStatus.ABSENT:
                run += 1
                run_from = run_from if run > 1 else mark.day
                if run > longest:
                    longest, best = run, (run_from, mark.day)
            else:
                run, run_from = 0, None
        result[student] = AbsenceStreak(student, longest, run, best[0], best[1])
    return result
