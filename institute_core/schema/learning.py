"""Enrollments, sessions, attendance, topic progress, batches and assessments."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    AssessmentStatus,
    AssessmentType,
    AttendanceStatus,
    BatchStatus,
    BatchType,
    EnrollmentStatus,
    ProgressStatus,
    SessionStatus,
    SessionType,
)
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import (
    before,
    between,
    checks,
    not_after,
    not_blank,
    one_of,
    positive,
)
from institute_core.schema.types import JsonDoc, money


class Enrollment(Synced, Base):
    __tablename__ = "student_subject_enrollments"
    __natural_key__ = ("student_id", "subject_id")
    __owner__ = OwnerRule(via="faculty_id", parent="faculties")
    __table_args__ = (
        UniqueConstraint("student_id", "subject_id"),
        Index("ix_student_subject_enrollments_student_id", "student_id"),
        Index("ix_student_subject_enrollments_faculty_id", "faculty_id"),
        Index("ix_student_subject_enrollments_status", "status"),
        *checks(
            one_of("status", EnrollmentStatus),
            between("completion_percentage", 0, 100),
            not_after("enrollment_date", "expected_completion_date",
                      "the expected completion date"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id"))
    enrollment_date: Mapped[date]
    expected_completion_date: Mapped[date | None]
    actual_completion_date: Mapped[date | None]
    completion_percentage: Mapped[Decimal | None] = mapped_column(
        money(5, 2), default=Decimal("0"), server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.ACTIVE,
                                        server_default=EnrollmentStatus.ACTIVE.value)
    notes: Mapped[str | None] = mapped_column(Text)


class LearningSession(Synced, Base):
    """An individual session of one student with one faculty member."""

    __tablename__ = "learning_sessions"
    __owner__ = OwnerRule(via="faculty_id", parent="faculties")
    __table_args__ = (
        Index("ix_learning_sessions_branch_id", "branch_id"),
        Index("ix_learning_sessions_student_id", "student_id"),
        Index("ix_learning_sessions_faculty_id", "faculty_id"),
        Index("ix_learning_sessions_session_date", "session_date"),
        *checks(
            one_of("session_type", SessionType),
            one_of("status", SessionStatus),
            positive("duration_minutes"),
            before("start_time", "end_time", "the end time"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id", ondelete="CASCADE"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    session_date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    session_type: Mapped[str] = mapped_column(String(20), default=SessionType.INDIVIDUAL,
                                              server_default=SessionType.INDIVIDUAL.value)
    location: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.SCHEDULED,
                                        server_default=SessionStatus.SCHEDULED.value)
    notes: Mapped[str | None] = mapped_column(Text)
    # Where the session takes place; who sees it follows the student's branch.
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))


class SessionAttendance(Synced, Base):
    __tablename__ = "session_attendance"
    __natural_key__ = ("session_id", "student_id")
    __owner__ = OwnerRule(via="session_id", parent="learning_sessions")
    __table_args__ = (
        UniqueConstraint("session_id", "student_id"),
        Index("ix_session_attendance_session_id", "session_id"),
        Index("ix_session_attendance_student_id", "student_id"),
        *checks(
            one_of("attendance_status", AttendanceStatus),
            not_after("check_in_time", "check_out_time", "the check-out time"),
        ),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    attendance_status: Mapped[str] = mapped_column(String(20))
    check_in_time: Mapped[time | None]
    check_out_time: Mapped[time | None]
    faculty_notes: Mapped[str | None] = mapped_column(Text)
    student_feedback: Mapped[str | None] = mapped_column(Text)
    # {"topics_to_review": [topic ids], "new_topics": [topic ids]}
    next_session_prep: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)


class AttendanceTopic(Synced, Base):
    """A topic covered in an attended session, with the student's understanding of it.

    Replaces seed 000's `topics_covered INTEGER[]` and `topic_competency JSONB` of
    session_attendance: one row per attendance and topic.
    """

    __tablename__ = "attendance_topics"
    __natural_key__ = ("attendance_id", "topic_id")
    __owner__ = OwnerRule(via="attendance_id", parent="session_attendance")
    __table_args__ = (
        UniqueConstraint("attendance_id", "topic_id"),
        Index("ix_attendance_topics_topic_id", "topic_id"),
        *checks(between("understanding_level", 1, 5)),
    )

    attendance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("session_attendance.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    understanding_level: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)


class StudentTopicProgress(Synced, Base):
    __tablename__ = "student_topic_progress"
    __natural_key__ = ("student_id", "topic_id")
    __owner__ = OwnerRule(via="last_updated_by", parent="faculties")
    __table_args__ = (
        UniqueConstraint("student_id", "topic_id"),
        Index("ix_student_topic_progress_student_id", "student_id"),
        Index("ix_student_topic_progress_topic_id", "topic_id"),
        Index("ix_student_topic_progress_status", "status"),
        *checks(
            between("competency_level", 0, 5),
            one_of("status", ProgressStatus),
            between("time_spent_minutes", 0, None),
            between("session_count", 0, None),
            not_after("first_introduced_date", "completion_date", "the completion date"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    competency_level: Mapped[int | None] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=ProgressStatus.NOT_STARTED,
                                        server_default=ProgressStatus.NOT_STARTED.value)
    first_introduced_date: Mapped[date | None]
    completion_date: Mapped[date | None]
    time_spent_minutes: Mapped[int | None] = mapped_column(Integer, default=0, server_default="0")
    session_count: Mapped[int | None] = mapped_column(Integer, default=0, server_default="0")
    # {"quiz1": 85, "practical": 90}
    assessment_scores: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    notes: Mapped[str | None] = mapped_column(Text)
    last_updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("faculties.id"))


class FlexibleBatch(Synced, Base):
    __tablename__ = "flexible_batches"
    __owner__ = OwnerRule(via="faculty_id", parent="faculties")
    __table_args__ = (
        Index("ix_flexible_batches_branch_id", "branch_id"),
        Index("ix_flexible_batches_faculty_id", "faculty_id"),
        Index("ix_flexible_batches_subject_id", "subject_id"),
        *checks(
            one_of("batch_type", BatchType),
            one_of("status", BatchStatus),
            positive("max_students"),
            not_after("start_date", "end_date", "the end date"),
            not_blank("name"),
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id", ondelete="CASCADE"))
    batch_type: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    # {"weekly": [{"day": "monday", "start": "10:00", "end": "12:00"}], "location": "Lab 2"}
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    max_students: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.ACTIVE,
                                        server_default=BatchStatus.ACTIVE.value)
    description: Mapped[str | None] = mapped_column(Text)
    # The branch the batch runs in.
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))


class BatchMember(Synced, Base):
    """Which students belong to a flexible batch (the seed has no table for it)."""

    __tablename__ = "batch_members"
    __natural_key__ = ("batch_id", "student_id")
    __owner__ = OwnerRule(via="batch_id", parent="flexible_batches")
    __table_args__ = (
        UniqueConstraint("batch_id", "student_id"),
        Index("ix_batch_members_student_id", "student_id"),
        *checks(not_after("joined_on", "left_on", "the date the student left")),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flexible_batches.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    joined_on: Mapped[date]
    left_on: Mapped[date | None]


class BatchSessionAttendance(Synced, Base):
    __tablename__ = "batch_session_attendance"
    __natural_key__ = ("batch_id", "session_date", "student_id")
    __owner__ = OwnerRule(via="batch_id", parent="flexible_batches")
    __table_args__ = (
        UniqueConstraint("batch_id", "session_date", "student_id"),
        Index("ix_batch_session_attendance_student_id", "student_id"),
        Index("ix_batch_session_attendance_session_date", "session_date"),
        *checks(one_of("attendance_status", AttendanceStatus)),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flexible_batches.id", ondelete="CASCADE"))
    session_date: Mapped[date]
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    attendance_status: Mapped[str] = mapped_column(String(20))
    # Not in the seed: quick attendance fills it in as the student is marked.
    check_in_time: Mapped[time | None]
    notes: Mapped[str | None] = mapped_column(Text)


class BatchAttendanceTopic(Synced, Base):
    """Seed 000's `batch_session_attendance.topics_covered`, one row per topic, with competency."""

    __tablename__ = "batch_attendance_topics"
    __natural_key__ = ("batch_attendance_id", "topic_id")
    __owner__ = OwnerRule(via="batch_attendance_id", parent="batch_session_attendance")
    __table_args__ = (
        UniqueConstraint("batch_attendance_id", "topic_id"),
        Index("ix_batch_attendance_topics_topic_id", "topic_id"),
        *checks(between("understanding_level", 1, 5)),
    )

    batch_attendance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("batch_session_attendance.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    understanding_level: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)


class Assessment(Synced, Base):
    __tablename__ = "assessments"
    __owner__ = OwnerRule(via="faculty_id", parent="faculties")
    __table_args__ = (
        Index("ix_assessments_student_id", "student_id"),
        Index("ix_assessments_subject_id", "subject_id"),
        *checks(
            one_of("assessment_type", AssessmentType),
            one_of("status", AssessmentStatus),
            positive("total_marks"),
            between("marks_obtained", 0, None),
            not_after("marks_obtained", "total_marks", "the total marks"),
            between("percentage", 0, 100),
            not_blank("title"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    topic_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    assessment_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    total_marks: Mapped[Decimal] = mapped_column(money(5, 2))
    marks_obtained: Mapped[Decimal | None] = mapped_column(money(5, 2))
    percentage: Mapped[Decimal | None] = mapped_column(money(5, 2))
    grade: Mapped[str | None] = mapped_column(String(10))
    assessment_date: Mapped[date]
    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id"))
    feedback: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.PENDING,
                                        server_default=AssessmentStatus.PENDING.value)
