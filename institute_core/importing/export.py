"""Export students, faculty, subjects with topics and inquiries to CSV, in the import's columns.

The header row uses the import's field labels, so an exported file imports back unchanged (and
re-importing it changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from institute_core.importing.fields import fields_of
from institute_core.replica import Replica
from institute_core.schema import Faculty, Inquiry, Student, Subject, Topic, User
from institute_core.schema.audit import ImportKind
from institute_core.setup.access import HasRole, require_admin
from institute_core.spreadsheet import SafeCsvWriter

Record = dict[str, Any]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _placeholder(email: str) -> str:
    from institute_core.importing.kinds import PLACEHOLDER_DOMAIN

    return "" if email.endswith("@" + PLACEHOLDER_DOMAIN) else email


def _students(session: Session) -> Iterator[Record]:
    counselor = aliased(User)
    statement: Select[Any] = (
        select(Student, User, counselor.email)
        .join(User, User.id == Student.user_id)
        .outerjoin(counselor, counselor.id == Student.counselor_id)
        .where(Student.deleted_at.is_(None)).order_by(Student.enrollment_no))
    for student, user, counselor_email in session.execute(statement):
        yield {"enrollment_no": student.enrollment_no, "first_name": user.first_name,
               "last_name": user.last_name, "email": _placeholder(user.email),
               "phone": user.phone, "date_of_birth": student.date_of_birth,
               "address": student.address,
               "emergency_contact_name": student.emergency_contact_name,
               "emergency_contact_phone": student.emergency_contact_phone,
               "admission_date": student.admission_date, "counselor_email": counselor_email,
               "learning_style": student.learning_style, "status": student.status}


def _faculty(session: Session) -> Iterator[Record]:
    statement: Select[Any] = (select(Faculty, User).join(User, User.id == Faculty.user_id)
                              .where(Faculty.deleted_at.is_(None))
                              .order_by(Faculty.employee_id))
    for faculty, user in session.execute(statement):
        yield {"employee_id": faculty.employee_id, "first_name": user.first_name,
               "last_name": user.last_name, "email": user.email, "phone": user.phone,
               **{k: getattr(faculty, k) for k in (
                   "specialization", "qualification", "experience_years", "hourly_rate",
                   "max_hours_per_day", "max_students_per_day", "status")}}


def _subjects(session: Session) -> Iterator[Record]:
    statement: Select[Any] = (
        select(Subject, Topic)
        .outerjoin(Topic, (Topic.subject_id == Subject.id) & Topic.deleted_at.is_(None))
        .where(Subject.deleted_at.is_(None)).order_by(Subject.code, Topic.order_index))
    for subject, topic in session.execute(statement):
        record: Record = {"subject_code": subject.code, "subject_name": subject.name,
                          "duration_hours": subject.duration_hours,
                          "category": subject.category,
                          "difficulty_level": subject.difficulty_level,
                          "description": subject.description}
        if topic is not None:
            record.update({"topic_name": topic.name, "topic_order": topic.order_index,
                           "topic_minutes": topic.estimated_duration_minutes,
                           "topic_difficulty": topic.difficulty_level,
                           "learning_objectives": topic.learning_objectives})
        yield record


def _inquiries(session: Session) -> Iterator[Record]:
    statement: Select[Any] = (select(Inquiry, User.email)
                              .outerjoin(User, User.id == Inquiry.counselor_id)
                              .where(Inquiry.deleted_at.is_(None))
                              .order_by(Inquiry.created_at, Inquiry.id))
    for inquiry, counselor_email in session.execute(statement):
        yield {**{k: getattr(inquiry, k) for k in (
            "student_name", "email", "phone", "source", "status", "priority", "notes", "tags")},
            "counselor_email": counselor_email}


_RECORDS = {ImportKind.STUDENTS: _students, ImportKind.FACULTY: _faculty,
            ImportKind.SUBJECTS: _subjects, ImportKind.INQUIRIES: _inquiries}


def export_csv(replica: Replica, viewer: HasRole, kind: str, path: Path | str) -> int:
    """Write every live record of `kind` to a UTF-8 CSV; returns the number of data rows."""
    require_admin(viewer, "export data")
    fields = fields_of(kind)
    count = 0
    with replica.read() as session, Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = SafeCsvWriter(out)
        writer.writerow([f.label for f in fields])
        for record in _RECORDS[ImportKind(kind)](session):
            writer.writerow([_cell(record.get(f.name)) for f in fields])
            count += 1
    return count
