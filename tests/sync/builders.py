"""Rows the sync tests write through the real unit of work, and ways to compare replicas."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from sqlalchemy import Connection, select

from institute_core.replica import Replica
from institute_core.schema import (
    MODEL_BY_TABLE,
    SYNCED_TABLES,
    Enrollment,
    LearningSession,
    OutboxEntry,
    SessionAttendance,
    Student,
    Subject,
    Topic,
    User,
    table_of,
)
from institute_core.sync.codec import encode_value


def add_subject(replica: Replica, author: uuid.UUID | None, code: str = "PY101",
                topics: int = 2) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A subject with `topics` topics; returns (subject id, topic ids)."""
    with replica.write(replica.actor(author)) as s:
        subject = Subject(name=f"Subject {code}", code=code, duration_hours=40)
        s.add(subject)
        s.flush()
        made = [Topic(subject_id=subject.id, name=f"Topic {i}", order_index=i,
                      estimated_duration_minutes=60) for i in range(topics)]
        s.add_all(made)
        s.flush()
        return subject.id, [t.id for t in made]


def add_student(replica: Replica, author: uuid.UUID | None, enrollment_no: str, *,
                counselor_id: uuid.UUID | None = None, subject_id: uuid.UUID | None = None,
                faculty_id: uuid.UUID | None = None) -> uuid.UUID:
    """A student (with their user row), enrolled with a faculty member when both are given."""
    with replica.write(replica.actor(author)) as s:
        user = User(email=f"{enrollment_no.lower()}-{uuid.uuid4().hex[:6]}@students.example.org",
                    first_name="Stu",
                    last_name=enrollment_no, role="student")
        s.add(user)
        s.flush()
        student = Student(user_id=user.id, enrollment_no=enrollment_no,
                          admission_date=date(2026, 1, 5), counselor_id=counselor_id)
        s.add(student)
        s.flush()
        if subject_id and faculty_id:
            s.add(Enrollment(student_id=student.id, subject_id=subject_id,
                             faculty_id=faculty_id, enrollment_date=date(2026, 1, 6)))
        return student.id


def add_session_with_attendance(replica: Replica, author: uuid.UUID | None, *,
                                student_id: uuid.UUID, faculty_id: uuid.UUID,
                                subject_id: uuid.UUID, day: date,
                                status: str = "present") -> tuple[uuid.UUID, uuid.UUID]:
    with replica.write(replica.actor(author)) as s:
        session = LearningSession(student_id=student_id, faculty_id=faculty_id,
                                  subject_id=subject_id, session_date=day,
                                  start_time=time(10), end_time=time(11), duration_minutes=60)
        s.add(session)
        s.flush()
        attendance = SessionAttendance(session_id=session.id, student_id=student_id,
                                       attendance_status=status)
        s.add(attendance)
        s.flush()
        return session.id, attendance.id


def set_fields(replica: Replica, author: uuid.UUID | None, table: str, row_id: uuid.UUID,
               **values: Any) -> None:
    """Edit one row through the unit of work (captured for sync)."""
    with replica.write(replica.actor(author)) as s:
        row = s.get(MODEL_BY_TABLE[table], row_id)
        assert row is not None, f"{table} {row_id} is not on this replica"
        for key, value in values.items():
            setattr(row, key, value)


def waiting_tables(replica: Replica) -> list[str]:
    """The table of every change in the outbox, oldest first."""
    with replica.engine.connect() as c:
        return list(c.execute(select(OutboxEntry.table_name).order_by(OutboxEntry.seq))
                    .scalars())


def get_field(replica: Replica, table: str, row_id: uuid.UUID, name: str) -> Any:
    t = table_of(table)
    with replica.engine.connect() as c:
        return c.execute(select(t.c[name]).where(t.c.id == row_id)).scalar()


def _encoded_rows(connection: Connection, table: str, where: Any = None,
                  skip: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    t = table_of(table)
    query = select(t) if where is None else select(t).where(where)
    out: dict[str, dict[str, Any]] = {}
    for row in connection.execute(query).mappings():
        out[str(row["id"])] = {k: encode_value(v) for k, v in row.items() if k not in skip}
    return out


def replica_rows(replica: Replica, tables: tuple[str, ...] = SYNCED_TABLES
                 ) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of the given tables, values encoded like the wire (for comparing)."""
    with replica.engine.connect() as c:
        return {name: _encoded_rows(c, name, skip=_skipped(name)) for name in tables}


def _skipped(table: str) -> frozenset[str]:
    return frozenset(MODEL_BY_TABLE[table].__local_columns__)


def row_counts(replica: Replica) -> dict[str, int]:
    return {name: len(rows) for name, rows in replica_rows(replica).items()}


def server_rows(url: str, viewer: Any, tables: tuple[str, ...] = SYNCED_TABLES
                ) -> dict[str, dict[str, dict[str, Any]]]:
    """The server's rows each table shows `viewer` (a scopes.Viewer), encoded like the wire."""
    from institute_core.sync.scopes import visible
    from sync_server.settings import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return {name: _encoded_rows(c, name, visible(name, viewer), _skipped(name))
                    for name in tables}
    finally:
        engine.dispose()


def comparable(rows: dict[str, dict[str, dict[str, Any]]], *, admin: bool
               ) -> dict[str, dict[str, dict[str, Any]]]:
    """Drop what a non-admin legitimately lacks (other faculty members' pay)."""
    if admin:
        return rows
    out = dict(rows)
    if "faculties" in out:
        out["faculties"] = {i: {k: v for k, v in r.items() if k != "hourly_rate"}
                            for i, r in out["faculties"].items()}
    return out
