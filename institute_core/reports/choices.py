"""Whom a report can be about: the students, batches and faculty members to pick from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from institute_core.analytics.period import Db
from institute_core.display import date_text
from institute_core.reports.attendance_report import batch_members
from institute_core.reports.common import full_name, students_info
from institute_core.schema import Faculty, FlexibleBatch, Student, User


@dataclass(frozen=True)
class Choice:
    """One pickable person or batch: its id and how a list shows it."""

    id: uuid.UUID
    label: str


@dataclass(frozen=True)
class ReportChoices:
    """Everyone a report can be about, each list sorted by its label."""

    students: tuple[Choice, ...]
    batches: tuple[Choice, ...]
    faculty: tuple[Choice, ...]


def report_choices(db: Db) -> ReportChoices:
    """Non-deleted students ("Name (ENR-…)"), batches ("Name · from date") and faculty."""
    students = [Choice(sid, f"{full_name(first, last)} ({no})") for sid, no, first, last in
                db.execute(select(Student.id, Student.enrollment_no, User.first_name,
                                  User.last_name).join(User, User.id == Student.user_id)
                           .where(Student.deleted_at.is_(None)))]
    batches = [Choice(bid, f"{name} · from {date_text(start)}") for bid, name, start in
               db.execute(select(FlexibleBatch.id, FlexibleBatch.name, FlexibleBatch.start_date)
                          .where(FlexibleBatch.deleted_at.is_(None)))]
    faculty = [Choice(fid, f"{full_name(first, last)} ({employee})")
               for fid, employee, first, last in
               db.execute(select(Faculty.id, Faculty.employee_id, User.first_name,
                                 User.last_name).join(User, User.id == Faculty.user_id)
                          .where(Faculty.deleted_at.is_(None)))]
    return ReportChoices(*(tuple(sorted(c, key=lambda x: x.label.lower()))
                           for c in (students, batches, faculty)))


def batch_students(db: Db, batch_id: uuid.UUID) -> tuple[Choice, ...]:
    """The members of a batch (to write each one's remarks), sorted by name."""
    info = students_info(db, batch_members(db, batch_id))
    return tuple(sorted((Choice(s.id, f"{s.name} ({s.enrollment_no})") for s in info.values()),
                        key=lambda c: c.label.lower()))
