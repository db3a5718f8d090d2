"""Predicted completion date per enrollment, with an optimistic/pessimistic range.

velocity so far = topics completed (completed/mastered) ÷ weeks since the enrollment date (at
least one week). The remaining topics (active, non-deleted topics of the subject not yet done) at
that pace give the predicted date. The range uses the spread of the weekly counts since
enrollment (population standard deviation σ): optimistic at velocity + σ, pessimistic at
velocity − σ (no pessimistic date when that pace is 0 or less). Nothing completed yet gives no
prediction. "Behind schedule" = the predicted date is after expected_completion_date; with no
prediction, an expected date already past with topics left is behind too.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from institute_core.analytics.period import Db, StudentIds, among, as_date
from institute_core.analytics.velocity import (
    completion_counts,
    completion_dates,
    std_dev,
    weekly_counts,
)
from institute_core.enums import ActiveStatus
from institute_core.schema import Enrollment, Subject, Topic


@dataclass(frozen=True)
class CompletionPrediction:
    """When an enrollment is expected to finish at the pace so far."""

    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    subject_id: uuid.UUID
    subject_name: str
    status: str
    topics_total: int
    topics_done: int
    velocity: float  # topics per week since enrollment
    predicted: date | None
    earliest: date | None
    latest: date | None
    expected: date | None

    @property
    def remaining(self) -> int:
        return max(0, self.topics_total - self.topics_done)

    # Whether the reference date is already past the expected date (for "no prediction yet").
    expected_passed: bool = False

    @property
    def behind_schedule(self) -> bool:
        if self.expected is None:
            return False
        if self.predicted is None:
            return self.remaining > 0 and self.expected_passed
        return self.predicted > self.expected


def _finish(today: date, remaining: int, pace: float) -> date | None:
    if pace <= 0:
        return None
    return today + timedelta(days=math.ceil(remaining / pace * 7))


def predict_completion(db: Db, today: date | None = None, *,
                       student_ids: StudentIds | None = None, ranges: bool = True
                       ) -> list[CompletionPrediction]:
    """A prediction for every non-deleted enrollment (optionally of some students).

    `ranges=False` leaves `earliest`/`latest` of an unfinished enrollment None: the database
    then counts the completions instead of handing every date over (what "behind schedule"
    needs, at a fraction of the cost)."""
    today = today or date.today()
    e, s = Enrollment, Subject
    query = (select(e.id, e.student_id, e.subject_id, s.name, e.status, e.enrollment_date,
                    e.expected_completion_date, e.actual_completion_date)
             .join(s, s.id == e.subject_id).where(e.deleted_at.is_(None)))
    if student_ids is not None:
        query = query.where(among(e.student_id, student_ids))
    enrollments = db.execute(query).all()
    totals = dict(db.execute(
        select(Topic.subject_id, func.count())
        .where(Topic.deleted_at.is_(None), Topic.status == ActiveStatus.ACTIVE.value)
        .group_by(Topic.subject_id)).tuples().all())
    done = completion_dates(db, today, student_ids=student_ids) if ranges else {}
    progress = ({key: (len(dates), dates[-1]) for key, dates in done.items()} if ranges
                else completion_counts(db, today, student_ids=student_ids))
    result = []
    for eid, student, subject, name, status, enrolled, expected, actual in enrollments:
        enrolled = as_date(enrolled)
        completed, last = progress.get((student, subject), (0, None))
        total = int(totals.get(subject, 0))
        count = min(completed, total) if total else completed
        weeks = max(1.0, (today - enrolled).days / 7)
        pace = round(count / weeks, 3)
        remaining = max(0, total - count)
        predicted: date | None
        earliest: date | None
        latest: date | None
        if remaining == 0 and count:
            finished = as_date(actual) if actual else last
            predicted = earliest = latest = finished
        elif count == 0:
            predicted = earliest = latest = None
        else:
            predicted = _finish(today, remaining, pace)
            earliest = latest = None
            if ranges:
                spread = std_dev([w.topics for w in weekly_counts(
                    done[(student, subject)], today,
                    max(1, math.ceil((today - enrolled).days / 7)))])
                earliest = _finish(today, remaining, pace + spread)
                latest = _finish(today, remaining, pace - spread)
        expected_date = as_date(expected) if expected else None
        result.append(CompletionPrediction(
            enrollment_id=eid, student_id=student, subject_id=subject, subject_name=name,
            status=status, topics_total=total, topics_done=count, velocity=pace,
            predicted=predicted, earliest=earliest, latest=latest, expected=expected_date,
            expected_passed=bool(expected_date and today > expected_date)))
    result.sort(key=lambda p: (p.student_id.hex, p.subject_name))
    return result


def by_student(predictions: list[CompletionPrediction]
               ) -> dict[uuid.UUID, list[CompletionPrediction]]:
    """Group predictions per student, keeping their order."""
    grouped: dict[uuid.UUID, list[CompletionPrediction]] = defaultdict(list)
    for p in predictions:
        grouped[p.student_id].append(p)
    return grouped
