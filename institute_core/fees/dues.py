"""The dues list: every student who owes money, with ageing, for the front desk and admins.

One row per student with anything outstanding (or in credit): what is overdue and how long
(the ageing bucket of their oldest open due), what is not yet due, the next due date, their
counselor and subjects (the list filters on them). Built from `ledger.ledgers` in one pass.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.fees.ledger import BUCKETS, bucket_of, ledgers
from institute_core.fees.money import ZERO
from institute_core.reports.common import full_name
from institute_core.schema import Enrollment, Student, Subject, User


@dataclass(frozen=True)
class DueRow:
    student_id: uuid.UUID
    enrollment_no: str
    name: str
    phone: str | None
    counselor: str
    subjects: str
    outstanding: Decimal
    overdue: Decimal
    oldest_due_on: date | None
    days_overdue: int
    bucket: str
    next_due_on: date | None
    credit: Decimal

    @property
    def haystack(self) -> str:
        return f"{self.enrollment_no} {self.name} {self.counselor} {self.subjects}".lower()


@dataclass(frozen=True)
class DuesSummary:
    rows: tuple[DueRow, ...]
    total_outstanding: Decimal
    by_bucket: dict[str, Decimal]
    overdue_students: int


def dues_list(session: Session, today: date) -> DuesSummary:
    books = ledgers(session)
    people = {s.id: (s.enrollment_no, s.user_id, s.counselor_id) for s in session.execute(
        select(Student.id, Student.enrollment_no, Student.user_id, Student.counselor_id)
        .where(Student.deleted_at.is_(None)))}
    names = {u.id: (full_name(u.first_name, u.last_name) or u.email, u.phone)
             for u in session.execute(select(User.id, User.first_name, User.last_name,
                                             User.email, User.phone))}
    subjects: dict[uuid.UUID, list[str]] = defaultdict(list)
    for student_id, subject in session.execute(
            select(Enrollment.student_id, Subject.name).join(
                Subject, Subject.id == Enrollment.subject_id)
            .where(Enrollment.deleted_at.is_(None))):
        subjects[student_id].append(subject)
    rows: list[DueRow] = []
    by_bucket = dict.fromkeys(BUCKETS, ZERO)
    for student_id, book in books.items():
        if (book.outstanding <= 0 and book.credit <= 0) or student_id not in people:
            continue
        enrollment_no, user_id, counselor_id = people[student_id]
        open_dues = book.open_dues()
        overdue = sum((d.outstanding for d in open_dues if d.due_on < today), ZERO)
        oldest = open_dues[0].due_on if open_dues else None
        days = (today - oldest).days if oldest is not None else -1
        for due in open_dues:
            by_bucket[bucket_of((today - due.due_on).days)] += due.outstanding
        upcoming = [d.due_on for d in open_dues if d.due_on >= today]
        name, phone = names.get(user_id, ("—", None))
        rows.append(DueRow(
            student_id, enrollment_no, name, phone,
            names.get(counselor_id, ("—", None))[0] if counselor_id else "—",
            ", ".join(sorted(subjects.get(student_id, []))), book.outstanding, overdue,
            oldest, days, bucket_of(days) if open_dues else "In credit",
            min(upcoming) if upcoming else None, book.credit))
    rows.sort(key=lambda r: (-r.days_overdue, -r.outstanding, r.name))
    return DuesSummary(tuple(rows), sum((r.outstanding for r in rows), ZERO), by_bucket,
                       sum(1 for r in rows if r.overdue > 0))
