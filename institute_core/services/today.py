"""A faculty member's day: today's individual and batch sessions in time order.

Each session lists its students with what they are due to learn next (syllabus suggestions)
and, for batches, the topics the batch covered on days the student was absent or excused and
that the student has not covered since ("missed").
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.analytics.period import Db
from institute_core.enums import AttendanceStatus, BatchStatus, SessionStatus
from institute_core.replica import Replica
from institute_core.schema import (
    BatchAttendanceTopic,
    BatchMember,
    BatchSessionAttendance,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    Student,
    StudentTopicProgress,
    Subject,
    User,
)
from institute_core.services.common import SessionKey, TopicRef, full_name
from institute_core.services.progress import ATTENDED
from institute_core.services.schedule import batch_slot, location_of, meets_on
from institute_core.services.suggestions import load_syllabus, next_topics, progress_statuses

MISSED_FROM = (AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value)


@dataclass(frozen=True)
class StudentDue:
    """A student of a session and what they should learn next."""

    student_id: uuid.UUID
    name: str
    enrollment_no: str
    next_topics: tuple[TopicRef, ...]
    missed_topics: tuple[TopicRef, ...]


@dataclass(frozen=True)
class TodaySession:
    """One row of the Today screen."""

    key: SessionKey
    title: str
    subject_name: str
    start: time | None
    end: time | None
    location: str | None
    status: str
    marked: int
    students: tuple[StudentDue, ...]
    branch_id: uuid.UUID | None = None  # where it is held (the session's or batch's branch)

    @property
    def is_batch(self) -> bool:
        return self.key.kind == "batch"


def _names(session: Session, student_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    if not student_ids:
        return {}
    rows = session.execute(select(Student.id, Student.enrollment_no, User.first_name,
                                  User.last_name).join(User, User.id == Student.user_id)
                           .where(Student.id.in_(student_ids)))
    return {r.id: (full_name(r.first_name, r.last_name), r.enrollment_no) for r in rows}


def missed_topics(session: Db, batch_id: uuid.UUID, on: date,
                  student_ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """student -> topics the batch covered before `on` while the student was absent/excused
    and that they have not covered since (the Today screen and the student portal)."""
    marks = session.execute(
        select(BatchSessionAttendance.id, BatchSessionAttendance.student_id,
               BatchSessionAttendance.session_date, BatchSessionAttendance.attendance_status)
        .where(BatchSessionAttendance.batch_id == batch_id,
               BatchSessionAttendance.session_date < on,
               BatchSessionAttendance.deleted_at.is_(None))).all()
    absent_on: dict[uuid.UUID, set[date]] = defaultdict(set)
    attended_ids = []
    for m in marks:
        if m.attendance_status in MISSED_FROM:
            absent_on[m.student_id].add(m.session_date)
        elif m.attendance_status in ATTENDED:
            attended_ids.append(m.id)
    if not absent_on or not attended_ids:
        return {}
    covered_on: dict[date, set[uuid.UUID]] = defaultdict(set)
    date_of = {m.id: m.session_date for m in marks}
    for row in session.execute(select(BatchAttendanceTopic.batch_attendance_id,
                                      BatchAttendanceTopic.topic_id)
                               .where(BatchAttendanceTopic.batch_attendance_id.in_(attended_ids),
                                      BatchAttendanceTopic.deleted_at.is_(None))):
        covered_on[date_of[row.batch_attendance_id]].add(row.topic_id)
    # A topic the student has covered since (anywhere) is no longer missed.
    covered_by_student: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in session.execute(select(StudentTopicProgress.student_id,
                                      StudentTopicProgress.topic_id)
                               .where(StudentTopicProgress.student_id.in_(student_ids),
                                      StudentTopicProgress.session_count > 0,
                                      StudentTopicProgress.deleted_at.is_(None))):
        covered_by_student[row.student_id].add(row.topic_id)
    result: dict[uuid.UUID, set[uuid.UUID]] = {}
    for student_id, days in absent_on.items():
        topics = set().union(*(covered_on.get(d, set()) for d in days))
        topics -= covered_by_student.get(student_id, set())
        if topics:
            result[student_id] = topics
    return result


def _students_due(session: Session, subject_id: uuid.UUID, student_ids: list[uuid.UUID],
                  missed: dict[uuid.UUID, set[uuid.UUID]]) -> tuple[StudentDue, ...]:
    syllabus = load_syllabus(session, subject_id)
    statuses = progress_statuses(session, student_ids, [t.id for t in syllabus.topics])
    names = _names(session, student_ids)
    by_id = {t.id: t for t in syllabus.topics}
    result = []
    for student_id in student_ids:
        name, number = names.get(student_id, ("?", "?"))
        lost = tuple(sorted((by_id[t] for t in missed.get(student_id, ()) if t in by_id),
                            key=lambda t: t.order_index))
        result.append(StudentDue(student_id, name, number,
                                 next_topics(syllabus, statuses.get(student_id, {})), lost))
    return tuple(sorted(result, key=lambda s: s.enrollment_no))


def today_sessions(replica: Replica, faculty_id: uuid.UUID | None,
                   on: date) -> tuple[TodaySession, ...]:
    """Sessions of `faculty_id` (everyone's when None) on `on`, ordered by start time."""
    found: list[TodaySession] = []
    with replica.read() as session:
        subjects = dict(session.execute(select(Subject.id, Subject.name)).tuples().all())
        query = select(LearningSession).where(LearningSession.session_date == on,
                                              LearningSession.deleted_at.is_(None))
        if faculty_id is not None:
            query = query.where(LearningSession.faculty_id == faculty_id)
        for ls in session.execute(query).scalars():
            marked = session.execute(select(SessionAttendance.id).where(
                SessionAttendance.session_id == ls.id,
                SessionAttendance.deleted_at.is_(None))).first() is not None
            students = _students_due(session, ls.subject_id, [ls.student_id], {})
            title = students[0].name if students else "Individual session"
            found.append(TodaySession(SessionKey.individual(ls.id, on), title,
                                      subjects.get(ls.subject_id, ""), ls.start_time,
                                      ls.end_time, ls.location, ls.status, int(marked),
                                      students, ls.branch_id))
        batches = select(FlexibleBatch).where(FlexibleBatch.deleted_at.is_(None),
                                              FlexibleBatch.status == BatchStatus.ACTIVE,
                                              FlexibleBatch.start_date <= on)
        if faculty_id is not None:
            batches = batches.where(FlexibleBatch.faculty_id == faculty_id)
        for batch in session.execute(batches).scalars():
            if batch.end_date is not None and batch.end_date < on:
                continue
            if not meets_on(batch.schedule, on):
                continue
            members = list(session.execute(select(BatchMember.student_id).where(
                BatchMember.batch_id == batch.id, BatchMember.deleted_at.is_(None),
                BatchMember.joined_on <= on,
                (BatchMember.left_on.is_(None)) | (BatchMember.left_on >= on))).scalars())
            marked_count = len(session.execute(select(BatchSessionAttendance.id).where(
                BatchSessionAttendance.batch_id == batch.id,
                BatchSessionAttendance.session_date == on,
                BatchSessionAttendance.deleted_at.is_(None))).all())
            start, end = batch_slot(batch.schedule, on)
            students = _students_due(session, batch.subject_id, members,
                                     missed_topics(session, batch.id, on, members))
            found.append(TodaySession(SessionKey.batch(batch.id, on), batch.name,
                                      subjects.get(batch.subject_id, ""), start, end,
                                      location_of(batch.schedule), SessionStatus.SCHEDULED.value,
                                      marked_count, students, batch.branch_id))
    return tuple(sorted(found, key=lambda s: (s.start or time.max, s.title)))

