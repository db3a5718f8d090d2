"""Flexible batches: create and change them, add and remove students within capacity.

Leaving a batch sets `left_on` (the membership is history, not deleted); joining again reopens
the same row (its id is the natural key batch + student).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.ids import natural_id
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    BatchMember,
    Branch,
    Faculty,
    FlexibleBatch,
    Student,
    Subject,
    User,
)
from institute_core.services.pace import follow_batch
from institute_core.setup.access import HasRole, require_admin
from institute_core.validation import InvalidInput


class BatchFull(InvalidInput):
    def __init__(self, name: str, capacity: int) -> None:
        super().__init__("batch_members", "batch_id",
                         f"batch {name!r} is full ({capacity} of {capacity} places taken); "
                         "raise its capacity or choose another batch")


def save_batch(replica: Replica, actor: Actor, viewer: HasRole,
               batch_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    """Create a batch (no id) or change it; capacity may not drop below the current members."""
    require_admin(viewer, "manage batches", "attendance.manage")
    with replica.write(actor) as session:
        batch = session.get(FlexibleBatch, batch_id) if batch_id else None
        if batch is None:
            batch = FlexibleBatch(id=batch_id or uuid.uuid4(), **fields)
            session.add(batch)
            return batch.id
        capacity = fields.get("max_students")
        if capacity is not None:
            members = _member_count(session, batch.id)
            if capacity < members:
                raise InvalidInput("flexible_batches", "max_students",
                                   f"capacity {capacity} is too small: the batch has "
                                   f"{members} students; remove some first or keep at "
                                   f"least {members} places")
        for key, value in fields.items():
            setattr(batch, key, value)
        return batch.id


def _member_count(session: Session, batch_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).select_from(BatchMember).where(
        BatchMember.batch_id == batch_id, BatchMember.left_on.is_(None),
        BatchMember.deleted_at.is_(None))) or 0)


def add_member(replica: Replica, actor: Actor, viewer: HasRole, batch_id: uuid.UUID,
               student_id: uuid.UUID, on: date | None = None) -> None:
    require_admin(viewer, "manage batches", "attendance.manage")
    with replica.write(actor) as session:
        batch = session.get(FlexibleBatch, batch_id)
        if batch is None or batch.deleted_at is not None:
            raise InvalidInput("flexible_batches", "id", "no such batch", str(batch_id))
        student = session.get(Student, student_id)
        if student is None or student.deleted_at is not None:
            raise InvalidInput("students", "id", "no such student", str(student_id))
        member = session.get(BatchMember, natural_id("batch_members", batch_id, student_id))
        if member is not None and member.left_on is None and member.deleted_at is None:
            raise InvalidInput("batch_members", "student_id",
                               f"{student.enrollment_no} is already in this batch")
        if batch.max_students is not None and \
                _member_count(session, batch_id) >= batch.max_students:
            raise BatchFull(batch.name, batch.max_students)
        if member is None:
            session.add(BatchMember(batch_id=batch_id, student_id=student_id,
                                    joined_on=on or date.today()))
        else:
            member.joined_on, member.left_on, member.deleted_at = on or date.today(), None, None
        follow_batch(session, student_id, batch.subject_id)


def remove_member(replica: Replica, actor: Actor, viewer: HasRole, batch_id: uuid.UUID,
                  student_id: uuid.UUID, on: date | None = None) -> None:
    require_admin(viewer, "manage batches", "attendance.manage")
    with replica.write(actor) as session:
        member = session.get(BatchMember, natural_id("batch_members", batch_id, student_id))
        if member is None or member.left_on is not None or member.deleted_at is not None:
            raise InvalidInput("batch_members", "student_id", "the student is not in this batch")
        left = on or date.today()
        member.left_on = max(left, member.joined_on)


def members_of(replica: Replica, batch_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str]]:
    """(student id, enrollment no, name) of the current members, by name."""
    with replica.read() as session:
        rows = session.execute(
            select(Student.id, Student.enrollment_no, User.first_name, User.last_name)
            .join(BatchMember, BatchMember.student_id == Student.id)
            .join(User, User.id == Student.user_id)
            .where(BatchMember.batch_id == batch_id, BatchMember.left_on.is_(None),
                   BatchMember.deleted_at.is_(None))
            .order_by(User.first_name, User.last_name))
        return [(sid, no, f"{first} {last}".strip()) for sid, no, first, last in rows]


@dataclass(frozen=True)
class BatchRow:
    id: uuid.UUID
    name: str
    subject: str
    batch_type: str
    start_date: date
    end_date: date | None
    members: int
    capacity: int | None
    branch_id: uuid.UUID | None = None
    branch: str = ""  # the branch's name, shown when a user works in several


def list_batches(replica: Replica) -> list[BatchRow]:
    members = (select(BatchMember.batch_id, func.count().label("n"))
               .where(BatchMember.left_on.is_(None), BatchMember.deleted_at.is_(None))
               .group_by(BatchMember.batch_id).subquery())
    with replica.read() as session:
        rows = session.execute(
            select(FlexibleBatch, Subject.code, func.coalesce(members.c.n, 0))
            .join(Subject, Subject.id == FlexibleBatch.subject_id)
            .outerjoin(members, members.c.batch_id == FlexibleBatch.id)
            .where(FlexibleBatch.deleted_at.is_(None))
            .order_by(FlexibleBatch.start_date.desc(), FlexibleBatch.name))
        names = dict(session.execute(select(Branch.id, Branch.name)).tuples().all())
        return [BatchRow(b.id, b.name, code, b.batch_type, b.start_date, b.end_date, int(n),
                         b.max_students, b.branch_id, names.get(b.branch_id, ""))
                for b, code, n in rows]


def student_choices(replica: Replica) -> list[tuple[uuid.UUID, str]]:
    """(student id, "ENR-1 · Name") of every active student, for pickers."""
    with replica.read() as session:
        rows = session.execute(
            select(Student.id, Student.enrollment_no, User.first_name, User.last_name)
            .join(User, User.id == Student.user_id)
            .where(Student.deleted_at.is_(None), Student.status == "active")
            .order_by(Student.enrollment_no))
        return [(sid, f"{no} · {first} {last}".strip()) for sid, no, first, last in rows]


@dataclass(frozen=True)
class BatchDetail:
    """Everything the batch form edits, plus the faculty member's name (they may be inactive
    now, so not among the pickers' choices)."""

    id: uuid.UUID
    name: str
    subject_id: uuid.UUID
    faculty_id: uuid.UUID
    faculty_label: str
    batch_type: str
    start_date: date
    end_date: date | None
    max_students: int | None
    schedule: dict[str, Any] | None
    status: str
    description: str | None
    members: int


def batch_detail(replica: Replica, batch_id: uuid.UUID) -> BatchDetail:
    with replica.read() as session:
        b = session.get(FlexibleBatch, batch_id)
        if b is None or b.deleted_at is not None:
            raise InvalidInput("flexible_batches", "id", "no such batch", str(batch_id))
        who = session.execute(select(User.first_name, User.last_name, Faculty.employee_id)
                              .join(Faculty, Faculty.user_id == User.id)
                              .where(Faculty.id == b.faculty_id)).first()
        label = f"{who[0]} {who[1]} ({who[2]})" if who else "unknown faculty"
        return BatchDetail(b.id, b.name, b.subject_id, b.faculty_id, label, b.batch_type,
                           b.start_date, b.end_date, b.max_students,
                           dict(b.schedule) if b.schedule else None, b.status, b.description,
                           _member_count(session, b.id))
