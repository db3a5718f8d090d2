"""The id lists a scope names (a viewer's students, branches) reach PostgreSQL as a constant
array, read once per statement: a text parameter cast to uuid[] was parsed again for every row
a sequential scan filtered (PostgreSQL does not fold that cast: array_in is only STABLE), and a
faculty member's count of `users` took 47 ms on the default demo instead of 1 ms (docs/sync.md,
"6 Dec 2026 night")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event

from institute_core.access.permissions import of_role
from institute_core.enums import Role
from institute_core.sync.scopes import Viewer
from sync_server.settings import sqlalchemy_url
from sync_server.sync import counts

_STUDENTS = tuple(uuid.UUID(int=i) for i in range(1, 40))
_FACULTY = Viewer(user_id=uuid.UUID(int=900), role=Role.FACULTY.value,
                  faculty_id=uuid.UUID(int=901), students=_STUDENTS,
                  branches=(uuid.UUID(int=902),), own=(), permissions=of_role(Role.FACULTY.value))


@contextmanager
def _sent(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _count_plan(server_db: str, tables: list[str]) -> str:
    """The plan PostgreSQL makes for the faculty member's count of `tables` (all empty)."""
    engine = create_engine(sqlalchemy_url(server_db))
    try:
        with engine.connect() as conn:
            with _sent(engine) as sent:
                found = counts._count(conn, _FACULTY, tables)
            assert found == dict.fromkeys(tables, 0)
            (statement, parameters), = sent
            return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement,
                                                                 parameters))
    finally:
        engine.dispose()


def test_the_count_of_a_faculty_s_tables_reads_their_students_as_a_constant(
        server_db: str) -> None:
    # `users` through their students' accounts, `feedback` by student and branch: two scopes
    # that filter a table row by row.
    plan = _count_plan(server_db, ["users", "feedback", "session_attendance"])
    assert str(_STUDENTS[-1]) in plan, plan
    # The list as a uuid[] constant, not text converted (through cstring) wherever it is
    # compared: `('{...}'::cstring)::uuid[]` before.
    assert "::cstring" not in plan, plan
    assert f"{_STUDENTS[-1]}}}'::uuid[]" in plan, plan


def test_a_faculty_s_attendance_topics_are_matched_to_their_attendance_rows_once(
        server_db: str) -> None:
    # The topics of their students' attendance, in their branches: both ask about the same
    # attendance row, and the count reads it once (twice before: the whole topics table was
    # joined against their students' attendance and again against the branch's).
    plan = _count_plan(server_db, ["attendance_topics"])
    assert plan.count(" on session_attendance") == 1, plan
    assert " on students" in plan, plan  # the branch filter is still there
