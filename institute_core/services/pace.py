"""When an enrollment should be finished: the expected completion date set on enrolling.

expected = enrollment date + the weeks the subject's teaching time takes at the student's pace,
with `SLACK` for review sessions (a topic is rarely done in its nominal time):
- teaching time: the estimated minutes of the subject's active topics (the subject's
  `duration_hours` when it has no topics yet);
- pace: the weekly minutes of the batch of this subject the student belongs to, otherwise
  `INDIVIDUAL_MINUTES_A_WEEK` (one 90-minute session a week, how the institute plans
  individual students).
The date stays editable (the enrollment screen); nothing here overwrites a date already set.
When the last topic is completed the enrollment records `actual_completion_date`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.enums import ActiveStatus, BatchStatus
from institute_core.ids import natural_id
from institute_core.schema import BatchMember, Enrollment, FlexibleBatch, Subject, Topic
from institute_core.services.common import minutes_between, parse_hhmm

INDIVIDUAL_MINUTES_A_WEEK = 90
SLACK = 1.4  # institutes quote a course length with room for review and missed weeks


def weekly_minutes(schedule: Mapping[str, Any] | None) -> int:
    """Teaching minutes a week of a batch schedule (its `weekly` entries)."""
    total = 0
    for entry in (schedule or {}).get("weekly") or []:
        start, end = parse_hhmm(entry.get("start")), parse_hhmm(entry.get("end"))
        if start is not None and end is not None and start < end:
            total += minutes_between(start, end)
    return total


def course_weeks(teaching_minutes: int, minutes_a_week: int) -> int:
    """Weeks a course of `teaching_minutes` takes at `minutes_a_week`, with slack (at least 1)."""
    pace = max(1, minutes_a_week)
    return max(1, math.ceil(teaching_minutes * SLACK / pace))


def expected_completion(enrolled: date, teaching_minutes: int, minutes_a_week: int) -> date:
    return enrolled + timedelta(weeks=course_weeks(teaching_minutes, minutes_a_week))


def teaching_minutes(session: Session, subject_id: uuid.UUID) -> int:
    minutes = session.scalar(select(func.sum(Topic.estimated_duration_minutes)).where(
        Topic.subject_id == subject_id, Topic.deleted_at.is_(None),
        Topic.status == ActiveStatus.ACTIVE.value))
    if minutes:
        return int(minutes)
    hours = session.scalar(select(Subject.duration_hours).where(Subject.id == subject_id))
    return int(hours or 0) * 60


def student_pace(session: Session, student_id: uuid.UUID, subject_id: uuid.UUID) -> int:
    """Minutes a week the student is taught this subject (their batch's, or the individual)."""
    schedules: Iterable[Any] = session.scalars(
        select(FlexibleBatch.schedule).join(BatchMember, BatchMember.batch_id == FlexibleBatch.id)
        .where(BatchMember.student_id == student_id, BatchMember.deleted_at.is_(None),
               BatchMember.left_on.is_(None), FlexibleBatch.subject_id == subject_id,
               FlexibleBatch.deleted_at.is_(None),
               FlexibleBatch.status == BatchStatus.ACTIVE.value))
    paces = [m for m in (weekly_minutes(s) for s in schedules) if m]
    return max(paces) if paces else INDIVIDUAL_MINUTES_A_WEEK


def expected_for(session: Session, student_id: uuid.UUID, subject_id: uuid.UUID,
                 enrolled: date) -> date:
    """The expected completion date of a student enrolling in a subject on `enrolled`."""
    return expected_completion(enrolled, teaching_minutes(session, subject_id),
                               student_pace(session, student_id, subject_id))


def follow_batch(session: Session, student_id: uuid.UUID, subject_id: uuid.UUID) -> None:
    """A student joined a batch: an automatic expected date (none, or the individual pace's)
    moves to the batch's pace; a date someone typed stays."""
    enrollment = session.get(Enrollment, natural_id("student_subject_enrollments", student_id,
                                                    subject_id))
    if enrollment is None or enrollment.deleted_at is not None:
        return
    session.flush()
    minutes = teaching_minutes(session, subject_id)
    automatic = expected_completion(enrollment.enrollment_date, minutes,
                                    INDIVIDUAL_MINUTES_A_WEEK)
    if enrollment.expected_completion_date in (None, automatic):
        enrollment.expected_completion_date = expected_completion(
            enrollment.enrollment_date, minutes, student_pace(session, student_id, subject_id))
