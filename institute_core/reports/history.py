"""The reports kept in student_reports / faculty_reports, newest first, to print again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from institute_core.analytics.period import Db
from institute_core.reports.common import full_name
from institute_core.schema import Faculty, FacultyReport, Student, StudentReport, User


@dataclass(frozen=True)
class KeptReport:
    """One recorded report: what it was, whom about, its period and when it was made."""

    id: uuid.UUID
    report_type: str
    about: str
    start: date
    end: date
    generated_at: datetime


def kept_reports(db: Db, limit: int = 200) -> tuple[KeptReport, ...]:
    """The newest `limit` recorded student and faculty reports (soft-deleted ones left out)."""
    sr, fr = StudentReport, FacultyReport
    students = db.execute(
        select(sr.id, sr.report_type, User.first_name, User.last_name, Student.enrollment_no,
               sr.report_period_start, sr.report_period_end, sr.generated_at)
        .join(Student, Student.id == sr.student_id).join(User, User.id == Student.user_id)
        .where(sr.deleted_at.is_(None)).order_by(sr.generated_at.desc()).limit(limit))
    faculty = db.execute(
        select(fr.id, fr.report_type, User.first_name, User.last_name, Faculty.employee_id,
               fr.report_period_start, fr.report_period_end, fr.generated_at)
        .join(Faculty, Faculty.id == fr.faculty_id).join(User, User.id == Faculty.user_id)
        .where(fr.deleted_at.is_(None)).order_by(fr.generated_at.desc()).limit(limit))
    rows = [KeptReport(rid, kind, f"{full_name(first, last)} ({ref})", start, end, made)
            for query in (students, faculty)
            for rid, kind, first, last, ref, start, end, made in query]
    rows.sort(key=lambda r: r.generated_at, reverse=True)
    return tuple(rows[:limit])
