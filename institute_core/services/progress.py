"""Topic progress, derived from attendance in the same transaction as the attendance edit.

Rules (one student, one topic). A *coverage* is a topic tagged on an attendance of that student
whose status is present or late (individual `attendance_topics` or batch
`batch_attendance_topics`), not deleted. Coverages are taken in time order (date, start time):

1. `first_introduced_date` is the date of the first coverage.
2. `session_count` is the number of coverages (each tagged session adds 1).
3. `time_spent_minutes` adds, per coverage, the session's minutes divided by the number of
   topics tagged on that attendance (integer minutes).
4. `competency_level` is the latest understanding level given (0 while none was given).
5. Status walks the ratings in order: any coverage makes it `in_progress`; a rating of 5 makes
   it `mastered`; 3 or 4 makes it `completed`; a rating <= 2 after it was completed or
   mastered makes it `needs_review` (<= 2 before that keeps `in_progress`). No coverage at all:
   `not_started`.
6. `completion_date` is the date of the rating that last made it completed or mastered; it is
   empty while the status is not completed or mastered.
7. The enrollment's `completion_percentage` is the share of the subject's active topics whose
   status is completed or mastered (two decimals).
8. When that share reaches 100 % the enrollment's `actual_completion_date` is the latest
   completion date of those topics; it is cleared again when a topic falls back (needs review)
   while the enrollment is still active (a completed or dropped enrollment keeps its date).

The fields are recomputed from all coverages on every change, which gives exactly what the
incremental rules would, and stays right after an undo, an untag, or a status change from
present to absent. `notes` and `assessment_scores` of a progress row are never touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.enums import ActiveStatus, AttendanceStatus, EnrollmentStatus, ProgressStatus
from institute_core.ids import natural_id
from institute_core.schema import (
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchSessionAttendance,
    Enrollment,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    StudentTopicProgress,
    Topic,
)
from institute_core.services.common import minutes_between
from institute_core.services.schedule import batch_slot

ATTENDED = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)


@dataclass(frozen=True)
class Coverage:
    """One session in which the student covered the topic."""

    on: date
    start: time | None
    minutes: int
    level: int | None


@dataclass(frozen=True)
class DerivedProgress:
    """The fields of a progress row that attendance decides."""

    status: ProgressStatus
    competency_level: int
    first_introduced_date: date | None
    completion_date: date | None
    session_count: int
    time_spent_minutes: int


def derive(coverages: Iterable[Coverage]) -> DerivedProgress:
    """Apply the module's rules to a student's coverages of one topic."""
    ordered = sorted(coverages, key=lambda c: (c.on, c.start or time.min))
    if not ordered:
        return DerivedProgress(ProgressStatus.NOT_STARTED, 0, None, None, 0, 0)
    status = ProgressStatus.IN_PROGRESS
    competency = 0
    completed_on: date | None = None
    for cover in ordered:
        if cover.level is None:
            continue
        competency = cover.level
        if cover.level >= 5:
            if status != ProgressStatus.MASTERED:
                completed_on = cover.on
            status = ProgressStatus.MASTERED
        elif cover.level >= 3:
            if status != ProgressStatus.COMPLETED:
                completed_on = cover.on
            status = ProgressStatus.COMPLETED
        elif status in (ProgressStatus.COMPLETED, ProgressStatus.MASTERED,
                        ProgressStatus.NEEDS_REVIEW):
            status = ProgressStatus.NEEDS_REVIEW
            completed_on = None
    return DerivedProgress(
        status=status, competency_level=competency,
        first_introduced_date=ordered[0].on, completion_date=completed_on,
        session_count=len(ordered), time_spent_minutes=sum(c.minutes for c in ordered))


def _individual_coverages(session: Session, student_id: uuid.UUID,
                          topic_id: uuid.UUID) -> list[Coverage]:
    rows = session.execute(
        select(AttendanceTopic.attendance_id, AttendanceTopic.understanding_level,
               LearningSession.session_date, LearningSession.start_time,
               LearningSession.duration_minutes)
        .join(SessionAttendance, SessionAttendance.id == AttendanceTopic.attendance_id)
        .join(LearningSession, LearningSession.id == SessionAttendance.session_id)
        .where(SessionAttendance.student_id == student_id, AttendanceTopic.topic_id == topic_id,
               AttendanceTopic.deleted_at.is_(None), SessionAttendance.deleted_at.is_(None),
               SessionAttendance.attendance_status.in_(ATTENDED))).all()
    if not rows:
        return []
    counts = dict(session.execute(
        select(AttendanceTopic.attendance_id, func.count())
        .where(AttendanceTopic.attendance_id.in_([r.attendance_id for r in rows]),
               AttendanceTopic.deleted_at.is_(None))
        .group_by(AttendanceTopic.attendance_id)).tuples().all())
    return [Coverage(r.session_date, r.start_time,
                     r.duration_minutes // max(1, counts.get(r.attendance_id, 1)),
                     r.understanding_level) for r in rows]


def _batch_coverages(session: Session, student_id: uuid.UUID,
                     topic_id: uuid.UUID) -> list[Coverage]:
    rows = session.execute(
        select(BatchAttendanceTopic.batch_attendance_id, BatchAttendanceTopic.understanding_level,
               BatchSessionAttendance.session_date, FlexibleBatch.schedule)
        .join(BatchSessionAttendance,
              BatchSessionAttendance.id == BatchAttendanceTopic.batch_attendance_id)
        .join(FlexibleBatch, FlexibleBatch.id == BatchSessionAttendance.batch_id)
        .where(BatchSessionAttendance.student_id == student_id,
               BatchAttendanceTopic.topic_id == topic_id,
               BatchAttendanceTopic.deleted_at.is_(None),
               BatchSessionAttendance.deleted_at.is_(None),
               BatchSessionAttendance.attendance_status.in_(ATTENDED))).all()
    if not rows:
        return []
    counts = dict(session.execute(
        select(BatchAttendanceTopic.batch_attendance_id, func.count())
        .where(BatchAttendanceTopic.batch_attendance_id.in_(
            [r.batch_attendance_id for r in rows]), BatchAttendanceTopic.deleted_at.is_(None))
        .group_by(BatchAttendanceTopic.batch_attendance_id)).tuples().all())
    covers = []
    for r in rows:
        start, end = batch_slot(r.schedule, r.session_date)
        minutes = minutes_between(start, end)
        covers.append(Coverage(r.session_date, start,
                               minutes // max(1, counts.get(r.batch_attendance_id, 1)),
                               r.understanding_level))
    return covers


def recompute(session: Session, student_id: uuid.UUID, topic_id: uuid.UUID,
              faculty_id: uuid.UUID | None) -> DerivedProgress:
    """Bring one progress row (and its enrollment's percentage) in line with the attendance.

    Call inside `replica.write(...)`: the row is created or updated in the caller's transaction.
    Fields are assigned only when they change, so an unchanged row makes no outbox entry.
    """
    derived = derive(_individual_coverages(session, student_id, topic_id)
                     + _batch_coverages(session, student_id, topic_id))
    row = session.get(StudentTopicProgress, natural_id("student_topic_progress", student_id,
                                                       topic_id))
    if row is None:
        if derived.session_count == 0:
            return derived
        row = StudentTopicProgress(student_id=student_id, topic_id=topic_id)
        session.add(row)
    wanted = {
        "status": derived.status.value, "competency_level": derived.competency_level,
        "first_introduced_date": derived.first_introduced_date,
        "completion_date": derived.completion_date, "session_count": derived.session_count,
        "time_spent_minutes": derived.time_spent_minutes, "deleted_at": None,
    }
    changed = False
    for field, value in wanted.items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    if changed and faculty_id is not None:
        row.last_updated_by = faculty_id
    subject_id = session.execute(select(Topic.subject_id).where(Topic.id == topic_id)).scalar_one()
    recompute_enrollment(session, student_id, subject_id)
    return derived


def recompute_enrollment(session: Session, student_id: uuid.UUID,
                         subject_id: uuid.UUID) -> Decimal | None:
    """Rule 7: the enrollment's completion percentage; None when the student is not enrolled."""
    enrollment = session.get(Enrollment, natural_id("student_subject_enrollments", student_id,
                                                    subject_id))
    if enrollment is None or enrollment.deleted_at is not None:
        return None
    session.flush()
    total = session.execute(select(func.count()).select_from(Topic).where(
        Topic.subject_id == subject_id, Topic.deleted_at.is_(None),
        Topic.status == ActiveStatus.ACTIVE)).scalar_one()
    done, finished = session.execute(
        select(func.count(), func.max(StudentTopicProgress.completion_date))
        .select_from(StudentTopicProgress)
        .join(Topic, Topic.id == StudentTopicProgress.topic_id)
        .where(StudentTopicProgress.student_id == student_id, Topic.subject_id == subject_id,
               Topic.deleted_at.is_(None), Topic.status == ActiveStatus.ACTIVE,
               StudentTopicProgress.deleted_at.is_(None),
               StudentTopicProgress.status.in_([ProgressStatus.COMPLETED.value,
                                                ProgressStatus.MASTERED.value]))).one()
    percentage = (Decimal(100 * done) / Decimal(total)).quantize(Decimal("0.01")) if total \
        else Decimal("0.00")
    if enrollment.completion_percentage != percentage:
        enrollment.completion_percentage = percentage
    if total and done >= total:
        if enrollment.actual_completion_date != finished:
            enrollment.actual_completion_date = finished
    elif enrollment.actual_completion_date is not None \
            and enrollment.status == EnrollmentStatus.ACTIVE.value:
        enrollment.actual_completion_date = None
    return percentage
