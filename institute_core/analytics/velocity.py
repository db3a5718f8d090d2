"""Learning velocity: topics completed per week per student and subject, and its trend.

A topic counts as completed on student_topic_progress.completion_date when its status is
completed or mastered (a topic sent back to needs_review no longer counts). Weeks are the 7-day
windows ending on the reference date `today` (so the current week is never a partial one):
window 0 is [today-6, today], window 1 the 7 days before it, and so on.
Trend: the least-squares slope of the weekly counts over the window (topics/week per week), and
the plain comparison of the last 4 weeks against the 4 before them (rising / steady / falling).
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from institute_core.analytics.period import (
    Db,
    Period,
    StudentIds,
    among,
    as_date,
    shared_date,
    shared_uuid,
)
from institute_core.enums import ProgressStatus
from institute_core.schema import Enrollment, StudentTopicProgress, Topic

DONE = (ProgressStatus.COMPLETED.value, ProgressStatus.MASTERED.value)


@dataclass(frozen=True)
class WeeklyCount:
    """Topics completed in the 7 days starting `start`."""

    start: date
    topics: int


@dataclass(frozen=True)
class LearningVelocity:
    """Weekly completions of one student in one subject, oldest week first."""

    student_id: uuid.UUID
    subject_id: uuid.UUID
    weeks: tuple[WeeklyCount, ...]
    slope: float | None
    last_4: int
    previous_4: int

    @property
    def per_week(self) -> float:
        """Mean topics per week over the window."""
        if not self.weeks:
            return 0.0
        return round(sum(w.topics for w in self.weeks) / len(self.weeks), 2)

    @property
    def trend(self) -> str:
        if self.last_4 > self.previous_4:
            return "rising"
        if self.last_4 < self.previous_4:
            return "falling"
        return "steady"


def _completed(*columns: Any, first: date | None, last: date,
               student_ids: StudentIds | None) -> Select[Any]:
    """`columns` of the topics completed (the module's rule) from `first` (if given) to `last`."""
    stp, t = StudentTopicProgress, Topic
    query = (select(*columns).join(t, t.id == stp.topic_id)
             .where(stp.deleted_at.is_(None), t.deleted_at.is_(None),
                    stp.status.in_(DONE), stp.completion_date.is_not(None),
                    stp.completion_date <= last))
    if first is not None:
        query = query.where(stp.completion_date >= first)
    if student_ids is not None:
        query = query.where(among(stp.student_id, student_ids))
    return query


def completion_dates(db: Db, today: date, *,
                     student_ids: StudentIds | None = None, since: date | None = None
                     ) -> dict[tuple[uuid.UUID, uuid.UUID], list[date]]:
    """(student, subject) -> sorted completion dates up to `today` (from `since` if given)."""
    stp = StudentTopicProgress
    query = _completed(shared_uuid(stp.student_id), shared_uuid(Topic.subject_id),
                       shared_date(stp.completion_date),
                       first=since, last=today, student_ids=student_ids)
    result: dict[tuple[uuid.UUID, uuid.UUID], list[date]] = defaultdict(list)
    for student, subject, done in db.execute(query):
        result[(student, subject)].append(as_date(done))
    for dates in result.values():
        dates.sort()
    return result


def completion_counts(db: Db, today: date, *, student_ids: StudentIds | None = None
                      ) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, date]]:
    """(student, subject) -> (topics completed up to `today`, the last completion date):
    `completion_dates` counted by the database, for callers that need no other date."""
    stp = StudentTopicProgress
    query = _completed(shared_uuid(stp.student_id), shared_uuid(Topic.subject_id), func.count(),
                       func.max(stp.completion_date),
                       first=None, last=today, student_ids=student_ids
                       ).group_by(stp.student_id, Topic.subject_id)
    return {(student, subject): (int(n), as_date(last))
            for student, subject, n, last in db.execute(query)}


def completions_per_day(db: Db, period: Period, *,
                        student_ids: StudentIds | None = None) -> dict[date, int]:
    """Topics completed on each day of `period`: `completion_dates` counted by the database."""
    stp = StudentTopicProgress
    query = _completed(stp.completion_date, func.count(), first=period.start, last=period.end,
                       student_ids=student_ids).group_by(stp.completion_date)
    return {as_date(day): int(n) for day, n in db.execute(query)}


def weekly_counts(dates: Sequence[date], today: date, weeks: int) -> tuple[WeeklyCount, ...]:
    """Completions per 7-day window ending `today`, `weeks` windows, oldest first."""
    counts = [0] * weeks
    for day in dates:
        back = (today - day).days // 7  # 0 = the window ending today
        if 0 <= back < weeks and day <= today:
            counts[weeks - 1 - back] += 1
    return tuple(WeeklyCount(today - timedelta(days=7 * (weeks - 1 - i) + 6), n)
                 for i, n in enumerate(counts))


def slope(values: Sequence[float]) -> float | None:
    """Least-squares slope of values against 0..n-1; None for fewer than 2 values."""
    n = len(values)
    if n < 2:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return round(num / den, 3)


def std_dev(values: Sequence[float]) -> float:
    """Population standard deviation (0 for fewer than 2 values)."""
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def learning_velocity(db: Db, today: date | None = None, *, weeks: int = 8,
                      student_ids: StudentIds | None = None
                      ) -> list[LearningVelocity]:
    """Velocity of every non-deleted enrollment (a student with no completions shows zeros)."""
    today = today or date.today()
    query = select(Enrollment.student_id, Enrollment.subject_id).where(
        Enrollment.deleted_at.is_(None))
    if student_ids is not None:
        query = query.where(among(Enrollment.student_id, student_ids))
    pairs = sorted(set(db.execute(query).tuples()), key=lambda p: (p[0].hex, p[1].hex))
    done = completion_dates(db, today, student_ids=student_ids)
    result = []
    for student, subject in pairs:
        counts = weekly_counts(done.get((student, subject), []), today, weeks)
        values = [w.topics for w in counts]
        result.append(LearningVelocity(
            student_id=student, subject_id=subject, weeks=counts, slope=slope(values),
            last_4=sum(values[-4:]), previous_4=sum(values[-8:-4])))
    return result
