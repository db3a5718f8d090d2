"""The policy costs the common faculty push no query per change: the statements a push of
attendance sends do not grow with the number of changes (docs/security.md, "Cost")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine, event

from institute_core.ids import natural_id
from tests.server.helpers import Device, build_school, new_row


@contextmanager
def _counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _students(admin: Device, subject: uuid.UUID, faculty: uuid.UUID, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    changes = []
    for i, student in enumerate(ids):
        user = uuid.uuid4()
        changes += [
            admin.change("users", user, new_row(email=f"s{i}-{student}@example.org",
                                                first_name="S", last_name=str(i),
                                                role="student")),
            admin.change("students", student, new_row(user_id=user, enrollment_no=f"C-{student}",
                                                      admission_date=date.today())),
            admin.change("student_subject_enrollments",
                         natural_id("student_subject_enrollments", student, subject),
                         new_row(student_id=student, subject_id=subject, faculty_id=faculty,
                                 enrollment_date=date.today()))]
    assert {r["outcome"] for r in admin.push(*changes)} == {"applied"}
    return ids


def test_a_faculty_attendance_push_asks_no_query_per_change(device, staff) -> None:  # type: ignore[no-untyped-def]
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    students = _students(admin, school.subject, staff.faculty1, 80)
    f1 = device("f1@example.org")

    def attendance(group: list[uuid.UUID]) -> int:
        with _counted() as statements:
            results = f1.push(*(f1.change(
                "session_attendance", natural_id("session_attendance", school.session, s),
                new_row(session_id=school.session, student_id=s,
                        attendance_status="present")) for s in group))
        assert {r["outcome"] for r in results} == {"applied"}, results
        return len(statements)

    few, many = attendance(students[:10]), attendance(students[10:80])
    assert 0 < few == many, (few, many)


@contextmanager
def _rows_read() -> Iterator[list[int]]:
    """How many rows each SELECT of the block returned."""
    counts: list[int] = []

    def count(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            counts.append(max(cursor.rowcount, 0))

    event.listen(Engine, "after_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(Engine, "after_cursor_execute", count)


def test_a_small_push_reads_rows_of_its_changes_not_of_the_branch(device, staff) -> None:  # type: ignore[no-untyped-def]
    """A faculty member marking one student present reads the same rows whether their branch
    holds 10 students or 160: a push's reads follow its changes (200 desks pushing small
    batches all day must not each read the whole branch)."""
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    mine = _students(admin, school.subject, staff.faculty1, 10)
    f1 = device("f1@example.org")

    def one_mark(student: uuid.UUID) -> int:
        with _rows_read() as counts:
            results = f1.push(f1.change(
                "session_attendance", natural_id("session_attendance", school.session, student),
                new_row(session_id=school.session, student_id=student,
                        attendance_status="present")))
        assert [r["outcome"] for r in results] == ["applied"], results
        return sum(counts)

    small_branch = one_mark(mine[0])
    _students(admin, school.subject, staff.faculty2, 150)  # the same branch, not f1's students
    big_branch = one_mark(mine[1])
    assert small_branch == big_branch, (small_branch, big_branch)


def test_a_small_faculty_push_sends_few_statements(device, staff) -> None:  # type: ignore[no-untyped-def]
    """The 200-desk load is small pushes: each statement is a round trip and a parse for the
    server and PostgreSQL. A push of one or a few attendance marks sends its sign-in check,
    one opening statement (time zone, device lock, writers, stored results), the row lock and
    stamps, the rows the policy climbs to, the versions and three writes, the device's
    bookkeeping riding on the last (docs/sync.md, "6 Dec 2026 evening")."""
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    students = _students(admin, school.subject, staff.faculty1, 3)
    f1 = device("f1@example.org")
    with _counted() as statements:
        results = f1.push(*(f1.change(
            "session_attendance", natural_id("session_attendance", school.session, s),
            new_row(session_id=school.session, student_id=s, attendance_status="present"))
            for s in students))
    assert {r["outcome"] for r in results} == {"applied"}, results
    assert len(statements) <= 14, "\n".join(statements)
