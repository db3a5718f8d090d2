"""Re-versioning a student's history when someone new comes to see the student.

A pull returns rows changed after the viewer's cursor. When a student moves to another
faculty member (or joins their batch, gets a new counselor, or moves to another branch, whose
desks then see them), the student's older rows are
new to that viewer but carry old versions. Giving the student's whole history the version of
the change that linked them makes it fall into the new viewer's next pull window (and is
harmless for everyone else: they receive identical rows again).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.schema import table_of
from institute_core.sync.owners import RowLookup
from institute_core.sync.policy import BRANCH_OF, insert_only
from institute_core.sync.scopes import counselor_students, faculty_students
from sync_server.sync.rowstore import DEFAULT_FIELD

_meta = table_of("sync_field_versions")

# Tables whose rows hang directly off a student: where the policy says they live with the
# student (institute_core.sync.policy.BRANCH_OF), so a new table is re-versioned too.
_BY_STUDENT = tuple(name for name, how in BRANCH_OF.items()
                    if how.parent == "students" and how.column == "student_id")


def _faculty_of_batch(lookup: RowLookup, batch_id: Any) -> uuid.UUID | None:
    if batch_id is None:
        return None
    batch = lookup("flexible_batches", batch_id)
    return batch.get("faculty_id") if batch else None


def new_viewer_link(lookup: RowLookup, table: str, old: Mapping[str, Any] | None,
                    new: Mapping[str, Any]) -> tuple[uuid.UUID, str, uuid.UUID] | None:
    """(student id, "faculty"|"counselor"|"branch", viewer id or branch id) when this change
    links a new viewer (every desk of a new branch is one)."""
    student = new.get("id") if table == "students" else new.get("student_id")
    if student is None:
        return None
    if table == "students":
        if old is not None and new.get("branch_id") not in (None, old.get("branch_id")):
            return student, "branch", new["branch_id"]
        if old is not None and new.get("counselor_id") not in (None, old.get("counselor_id")):
            return student, "counselor", new["counselor_id"]
        return None
    if table in ("student_subject_enrollments", "learning_sessions"):
        faculty = new.get("faculty_id")
    elif table == "batch_members":
        faculty = _faculty_of_batch(lookup, new.get("batch_id"))
    else:
        return None
    if faculty is None:
        return None
    if old is not None:
        before = (old.get("faculty_id") if table != "batch_members"
                  else _faculty_of_batch(lookup, old.get("batch_id")))
        if before == faculty and old.get("student_id") == student:
            return None
    return student, "faculty", faculty


def already_visible(conn: Connection, link: tuple[uuid.UUID, str, uuid.UUID]) -> bool:
    """Whether the viewer saw the student before this change (then nothing needs re-versioning).

    Call it before the change is written, so the changed row itself does not count.
    """
    student, kind, viewer = link
    if kind == "branch":
        return False  # the new branch's desks never held the student
    ids = (faculty_students(viewer) if kind == "faculty"
           else counselor_students(viewer)).subquery()
    return bool(conn.execute(select(exists().where(ids.c[0] == student))).scalar())


def _baseline(conn: Connection, table: Table, where: Any) -> None:
    """Give rows without stamps a "*" stamp at their current version before it changes."""
    stamp = func.jsonb_build_object(
        DEFAULT_FIELD, func.jsonb_build_array(table.c.version, literal(""),
                                              literal(None, JSONB), literal(None, JSONB)))
    rows = select(literal(table.name), table.c.id, stamp).where(where)
    conn.execute(pg_insert(_meta).from_select(["table_name", "row_id", "meta"], rows)
                 .on_conflict_do_nothing(index_elements=["table_name", "row_id"]))


def reversion_student(conn: Connection, student_id: uuid.UUID, version: int) -> int:
    """Give the student, their account and their whole history `version`; returns rows."""
    touched = 0
    students, users = table_of("students"), table_of("users")
    targets: list[tuple[Table, Any]] = [
        (students, students.c.id == student_id),
        (users, users.c.id.in_(select(students.c.user_id).where(students.c.id == student_id))),
    ]
    for name in _BY_STUDENT:
        table = table_of(name)
        targets.append((table, table.c.student_id == student_id))
    att, topics = table_of("session_attendance"), table_of("attendance_topics")
    targets.append((topics, topics.c.attendance_id.in_(
        select(att.c.id).where(att.c.student_id == student_id))))
    bsa, btopics = table_of("batch_session_attendance"), table_of("batch_attendance_topics")
    targets.append((btopics, btopics.c.batch_attendance_id.in_(
        select(bsa.c.id).where(bsa.c.student_id == student_id))))
    for table, where in targets:
        if not insert_only(table.name):  # rows nobody may edit never merge: no stamps
            _baseline(conn, table, where)
        touched += conn.execute(update(table).where(where, table.c.version < version)
                                .values(version=version)).rowcount
    return touched
