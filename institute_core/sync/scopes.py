"""Who may see which rows: one SQL predicate per synced table and role.

Used by the server's pull (rows and per-table counts), by push authorization (a user may only
change rows they can see) and by the conflict log (entries about rows a user can see).

- admin, super_admin: everything.
- faculty: the syllabus; staff users; every faculty row (pay stripped for others, see
  `private_columns_shown`); "their students" (an enrollment with them, a learning session with
  them, or membership of one of their batches) with those students' user rows and whole
  history; their batches with members and batch attendance; their faculty reports. No CRM.
- counselor: all CRM rows (the front desk shares leads); the syllabus; staff users; faculty rows
  (enrollments point at them); the students they counsel, those students' user rows,
  enrollments, learning sessions (read-only schedule), rewards/penalties and feedback.
- student: their own user and student rows and the syllabus.

Predicates deliberately ignore `deleted_at`: a deleted row stays in scope so its tombstone syncs.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Select,
    Table,
    Uuid,
    and_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)

from institute_core.enums import Role
from institute_core.ids import uuid_array_literal
from institute_core.schema import table_of

ADMIN_ROLES = frozenset({Role.ADMIN.value, Role.SUPER_ADMIN.value})
SYLLABUS = frozenset({"subjects", "subject_prerequisites", "topics", "topic_prerequisites"})
CRM = frozenset({"crm_inquiries", "inquiry_subjects", "follow_ups"})
# Tables whose rows belong to one student (directly through student_id).
STUDENT_ROWS = frozenset({"student_subject_enrollments", "learning_sessions", "session_attendance",
                          "student_topic_progress", "assessments", "rewards_penalties",
                          "feedback", "student_reports"})
COUNSELOR_STUDENT_ROWS = frozenset({"student_subject_enrollments", "learning_sessions",
                                    "rewards_penalties", "feedback"})


@dataclass(frozen=True)
class Viewer:
    """The user a scope is computed for (faculty_id: their faculties row, if any)."""

    user_id: uuid.UUID
    role: str
    faculty_id: uuid.UUID | None = None
    # "Their students" read once (see `with_students`), so that a pull's many predicates use a
    # list instead of re-running the same subquery per table.
    students: tuple[uuid.UUID, ...] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


def _t(name: str) -> Table:
    return table_of(name)


def faculty_students(faculty_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """Ids of the students a faculty member teaches (enrollment, session or batch)."""
    enr, ses = _t("student_subject_enrollments"), _t("learning_sessions")
    mem, bat = _t("batch_members"), _t("flexible_batches")
    return union(
        select(enr.c.student_id).where(enr.c.faculty_id == faculty_id),
        select(ses.c.student_id).where(ses.c.faculty_id == faculty_id),
        select(mem.c.student_id).where(
            mem.c.batch_id.in_(select(bat.c.id).where(bat.c.faculty_id == faculty_id))),
    ).subquery().select()  # type: ignore[return-value]


def counselor_students(user_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    students = _t("students")
    return select(students.c.id).where(students.c.counselor_id == user_id)


def _students_in(viewer: Viewer) -> Select[tuple[uuid.UUID]] | None:
    if viewer.students is not None:
        return _id_array(viewer.students)
    return _student_query(viewer)


def _id_array(ids: tuple[uuid.UUID, ...]) -> Select[tuple[uuid.UUID]]:
    """The ids as `SELECT unnest(CAST(:ids AS UUID[]))` (PostgreSQL) with ONE text parameter.

    An IN list binds a parameter per id in every predicate that names it: a pull's 40 scoped
    queries and counts then carried thousands of parameters, each converted in Python.
    """
    return select(func.unnest(cast(literal(_array_text(ids)), ARRAY(Uuid))))


# A pull names the same students in every scoped query and count of one request.
_array_text = functools.lru_cache(maxsize=64)(uuid_array_literal)


def _student_query(viewer: Viewer) -> Select[tuple[uuid.UUID]] | None:
    if viewer.role == Role.FACULTY.value and viewer.faculty_id is not None:
        return faculty_students(viewer.faculty_id)
    if viewer.role == Role.COUNSELOR.value:
        return counselor_students(viewer.user_id)
    if viewer.role == Role.STUDENT.value:
        students = _t("students")
        return select(students.c.id).where(students.c.user_id == viewer.user_id)
    return None


def with_students(connection: Connection, viewer: Viewer) -> Viewer:
    """`viewer` with their students read now (in `connection`'s snapshot); admins unchanged."""
    if viewer.is_admin:
        return viewer
    query = _student_query(viewer)
    if query is None:
        return viewer
    return replace(viewer, students=tuple(connection.execute(query).scalars()))


def _faculty_batches(faculty_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    bat = _t("flexible_batches")
    return select(bat.c.id).where(bat.c.faculty_id == faculty_id)


def visible(table_name: str, viewer: Viewer) -> ColumnElement[bool]:
    """The WHERE clause selecting the rows of `table_name` that `viewer` may see."""
    if viewer.is_admin:
        return true()
    table = _t(table_name)
    if table_name == "audit_log":  # the log is for admins; a desk keeps its user's own entries
        return table.c.user_id == viewer.user_id
    if table_name == "password_resets":  # the user's desks must learn their verifier is stale
        return table.c.user_id == viewer.user_id
    role = viewer.role
    students = _students_in(viewer)
    if table_name in SYLLABUS:
        return true()
    if table_name == "users":
        own = table.c.id == viewer.user_id
        if role == Role.STUDENT.value:
            return own
        student_users = select(_t("students").c.user_id).where(
            _t("students").c.id.in_(students)) if students is not None else None
        clauses = [own, table.c.role != Role.STUDENT.value]
        if student_users is not None:
            clauses.append(table.c.id.in_(student_users))
        return or_(*clauses)
    if students is None:  # faculty without a faculties row: syllabus and staff only
        return false()
    if table_name == "students":
        return table.c.id.in_(students)
    if table_name == "faculties":
        return true() if role != Role.STUDENT.value else false()
    if role == Role.FACULTY.value:
        assert viewer.faculty_id is not None
        return _faculty_visible(table_name, table, viewer.faculty_id, students)
    if role == Role.COUNSELOR.value:
        if table_name in CRM:
            return true()
        if table_name in COUNSELOR_STUDENT_ROWS:
            return table.c.student_id.in_(students)
        return false()
    return false()


def _faculty_visible(table_name: str, table: Table, faculty_id: uuid.UUID,
                     students: Select[tuple[uuid.UUID]]) -> ColumnElement[bool]:
    if table_name in STUDENT_ROWS:
        return table.c.student_id.in_(students)
    if table_name == "attendance_topics":
        att = _t("session_attendance")
        return table.c.attendance_id.in_(select(att.c.id).where(att.c.student_id.in_(students)))
    batches = _faculty_batches(faculty_id)
    if table_name == "flexible_batches":
        return table.c.faculty_id == faculty_id
    if table_name in ("batch_members", "batch_session_attendance"):
        return table.c.batch_id.in_(batches)
    if table_name == "batch_attendance_topics":
        bsa = _t("batch_session_attendance")
        return table.c.batch_attendance_id.in_(
            select(bsa.c.id).where(bsa.c.batch_id.in_(batches)))
    if table_name == "faculty_reports":
        return table.c.faculty_id == faculty_id
    return false()


def private_columns_shown(viewer: Viewer, owner_user: ColumnElement[Any]
                          ) -> ColumnElement[bool]:
    """Whether a row's private columns (faculty pay) go to this viewer: to administrators,
    and to the faculty member (`owner_user`, the row's users.id) it belongs to."""
    if viewer.is_admin:
        return true()
    return owner_user == viewer.user_id


def visible_with(table_name: str, viewer: Viewer, *extra: ColumnElement[bool]
                 ) -> ColumnElement[bool]:
    """`visible` combined with further conditions (version window, a row id ...)."""
    return and_(visible(table_name, viewer), *extra)
