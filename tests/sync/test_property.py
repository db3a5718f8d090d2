"""Property: whatever desks do offline and in whatever order they sync, they converge, and no
value a desk typed disappears without a trace: its change was applied (a later edit may then
have replaced it in the ordinary way), or it is the final value, or it is in the conflict log
as the lost value, or the desk reports it refused."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from institute_core.ids import natural_id
from institute_core.schema import OutboxEntry, StudentTopicProgress, table_of
from institute_core.sync.outbox import rejected_changes
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, running_server
from tests.sync.builders import add_student, add_subject, get_field, set_fields
from tests.sync.conftest import Desk, Institute, open_desk
from tests.sync.test_e2e import _sync, assert_same_as_server

DESKS = ("admin", "admin", "faculty", "counselor")  # two laptops of the same admin


@dataclass(frozen=True)
class Op:
    desk: int
    kind: str       # address | progress | delete | create | sync
    target: int
    value: int


ops = st.lists(st.builds(
    Op,
    desk=st.integers(0, len(DESKS) - 1),
    kind=st.sampled_from(["address", "address", "progress", "progress", "delete", "create",
                          "sync", "sync"]),
    target=st.integers(0, 2),
    value=st.integers(0, 5)), min_size=4, max_size=14)
orders = st.permutations(range(len(DESKS)))


@pytest.fixture
def shared_server(institute: Institute) -> Iterator[ServerProcess]:
    with running_server(institute.url) as server:
        yield server


def _edit(desk: Desk, op: Op, school: dict[str, Any], faculty: uuid.UUID, tag: str,
          typed: list[Typed]) -> None:
    student = school["students"][op.target]
    role = DESKS[op.desk]
    if op.kind == "address" and role != "faculty":
        if get_field(desk.replica, "students", student, "id") is None:
            return
        set_fields(desk.replica, desk.user_id, "students", student, address=tag)
        typed.append(_typed(desk, "students", student, "address", tag))
    elif op.kind == "progress" and role in ("admin", "faculty"):
        topic = school["topics"][op.value % len(school["topics"])]
        row_id = natural_id("student_topic_progress", student, topic)
        if get_field(desk.replica, "students", student, "id") is None:
            return
        with desk.replica.write(desk.replica.actor(desk.user_id)) as s:
            row = s.get(StudentTopicProgress, row_id)
            if row is None:
                row = StudentTopicProgress(student_id=student, topic_id=topic,
                                           last_updated_by=faculty)
                s.add(row)
            row.notes = tag
            row.competency_level = op.value
        typed.append(_typed(desk, "student_topic_progress", row_id, "notes", tag))
    elif op.kind == "delete" and role == "admin":
        topic = school["topics"][op.value % len(school["topics"])]
        row_id = natural_id("student_topic_progress", student, topic)
        if get_field(desk.replica, "student_topic_progress", row_id, "deleted_at") is None \
                and get_field(desk.replica, "student_topic_progress", row_id, "id"):
            set_fields(desk.replica, desk.user_id, "student_topic_progress", row_id,
                       deleted_at=datetime.now(UTC))
    elif op.kind == "create" and role == "admin":
        # A small pool of enrollment numbers: two laptops may pick the same one offline.
        made = add_student(desk.replica, desk.user_id, f"{school['prefix']}-NEW-{op.value % 2}"
                           ) if not _taken(desk, school, op.value % 2) else None
        if made is not None:
            typed.append(_typed(desk, "students", made, "enrollment_no",
                                f"{school['prefix']}-NEW-{op.value % 2}"))


@dataclass(frozen=True)
class Typed:
    """A value a desk typed, and the id of the change that carries it."""

    desk: Desk
    table: str
    row_id: uuid.UUID
    field: str
    value: Any
    change_id: uuid.UUID


def _typed(desk: Desk, table: str, row_id: uuid.UUID, field: str, value: Any) -> Typed:
    with desk.replica.engine.connect() as c:
        change_id = c.execute(select(OutboxEntry.change_id).where(
            OutboxEntry.table_name == table, OutboxEntry.row_id == row_id)
            .order_by(OutboxEntry.seq.desc()).limit(1)).scalar_one()
    return Typed(desk, table, row_id, field, value, change_id)


def _taken(desk: Desk, school: dict[str, Any], n: int) -> bool:
    students = table_of("students")
    with desk.replica.engine.connect() as c:
        return c.execute(select(students.c.id).where(
            students.c.enrollment_no == f"{school['prefix']}-NEW-{n}")).first() is not None


def _server_view(url: str, typed: Typed) -> tuple[str | None, Any, list[Any]]:
    """(outcome of the change, final value, lost values logged for the row) on the server."""
    t, log = table_of(typed.table), table_of("sync_conflicts")
    applied = table_of("sync_applied_changes")
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            result = c.execute(select(applied.c.result).where(
                applied.c.change_id == typed.change_id)).scalar()
            final = c.execute(select(t.c[typed.field]).where(t.c.id == typed.row_id)).scalar()
            lost = c.execute(select(log.c.lost_value, log.c.kind).where(
                log.c.row_id == typed.row_id, log.c.field.contains(typed.field))).all()
    finally:
        engine.dispose()
    values: list[Any] = []
    for value, kind in lost:
        values.append(value.get(typed.field) if kind == "unique_collision"
                      and isinstance(value, dict) else value)
    return (result or {}).get("outcome"), final, values


@pytest.mark.slow
@pytest.mark.timeout(1200)  # twenty examples of four desks each, on a shared 2-core machine
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=ops, final_order=orders)
def test_desks_converge_and_every_typed_value_is_kept_somewhere(
        institute: Institute, shared_server: ServerProcess, script: list[Op],
        final_order: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sync-prop-"))
    opened: list[Desk] = []
    try:
        desks = [open_desk(opened, folder, shared_server.base_url, institute.emails[role],
                           name=f"{role}-{i}")[0] for i, role in enumerate(DESKS)]
        prefix = uuid.uuid4().hex[:6]
        admin = desks[0]
        subject, topics = add_subject(admin.replica, admin.user_id, code=f"S-{prefix}")
        students = [add_student(admin.replica, admin.user_id, f"{prefix}-{i}",
                                counselor_id=institute.counselor, subject_id=subject,
                                faculty_id=institute.faculty) for i in range(3)]
        school = {"subject": subject, "topics": topics, "students": students, "prefix": prefix}
        for desk in [admin, *desks[1:]]:
            _sync(desk)
        typed: list[Typed] = []
        for n, op in enumerate(script):
            desk = desks[op.desk]
            if op.kind == "sync":
                _sync(desk)
            else:
                _edit(desk, op, school, institute.faculty, f"{prefix}-{n}-{op.desk}", typed)
        for _round in range(2):
            for i in final_order:
                _sync(desks[i])
        for desk in desks:
            assert desk.replica.pending_changes() == 0
            assert_same_as_server(institute, desk)
        for entry in typed:
            outcome, final, lost = _server_view(institute.url, entry)
            refused = {r.change_id for r in rejected_changes(entry.desk.replica)}
            assert outcome is not None, f"change {entry.change_id} never reached the server"
            assert (outcome in ("applied", "merged", "won") or final == entry.value
                    or entry.value in lost or str(entry.change_id) in refused), (
                f"{entry.desk.email} typed {entry.table}.{entry.field}={entry.value!r} on "
                f"{entry.row_id} ({outcome}); the server has {final!r}, lost values {lost!r}")
    finally:
        for desk in opened:
            desk.replica.close()
        shutil.rmtree(folder, ignore_errors=True)
