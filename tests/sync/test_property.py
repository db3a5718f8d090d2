"""Property: whatever five desks do offline and in whatever order they sync – edit JSON
documents and text on the same rows, delete, edit deleted rows and undelete, create the same
natural and unique keys on two desks, move students to another faculty member or counselor
while their desks are away, and kill the server (kill -9) half way through a push – once
everyone has synced with no new edits:

- every replica equals the server for what its user may see, column by column, every table;
- links and unique keys hold on the server and on every replica;
- every change of every device was applied exactly once (no gap, nothing twice);
- every value typed is accounted for: it is the final value, or a later edit made over it
  replaced it, or it is in the conflict log as the lost value, or the desk lists the change
  as refused (with the value) – and a refused unique key is kept whole in the conflict log;
- the admins' desks hold the whole conflict log;
- replaying every push ever sent changes nothing on the server, and syncing again changes
  nothing on any desk.

Each example runs on its own database (cloned from a template) and its own server, so a
failing example replays alone. PROPERTY_EXAMPLES sets how many examples run (CI: the default).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, select

from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    MODEL_BY_TABLE,
    SYNCED_TABLES,
    ConflictLogEntry,
    InquirySubject,
    OutboxEntry,
    StudentTopicProgress,
    Subject,
    User,
    table_of,
)
from institute_core.sync import policy, wire
from institute_core.sync.account import client_for, sync_replica
from institute_core.sync.client import SyncClient
from institute_core.sync.credentials import MemoryCredentials, account_key
from institute_core.sync.errors import SyncError
from institute_core.sync.outbox import rejected_changes
from institute_core.sync.policy import Author
from institute_core.sync.runner import SyncReport
from institute_core.sync.scopes import Viewer
from sync_server.settings import make_engine
from tests.pg import _with_db
from tests.support.kill_points import POINTS, KillPoints
from tests.support.schema_rows import ACCEPTED_ROLE, data_columns, valid_row, values_for
from tests.support.server import (
    ServerProcess,
    create_user,
    faculty_id_of,
    free_port,
    prepare_server_db,
    running_server,
)
from tests.sync.builders import (
    add_session_with_attendance,
    add_student,
    add_subject,
    get_field,
    replica_rows,
    set_fields,
)
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, open_desk
from tests.sync.invariants import (
    assert_links_and_keys_hold,
    device_ledger,
    differences,
    server_snapshot,
)

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "10"))
# A file to append one JSON line per example to: what it did and what the server decided
# (for reporting what a long run exercised).
REPORT = os.environ.get("PROPERTY_REPORT")

# (account, desk name): two laptops of one admin, two faculty members, a counselor. A second
# counselor has no desk: students are moved to them and out of the counselor's desk.
DESKS = (("admin", "admin-a"), ("admin", "admin-b"), ("faculty", "faculty-1"),
         ("faculty2", "faculty-2"), ("counselor", "counselor-1"))
ACCOUNTS = {"admin": "admin", "faculty": "faculty", "faculty2": "faculty",
            "counselor": "counselor", "counselor2": "counselor"}
STUDENTS = 3  # student 0 has sessions with faculty 1 (stays theirs); 1 and 2 can move away

# Every JSON column of every synced table is edited. The audit log is left out: it is an
# append-only journal nobody edits (authorize refuses it to everyone but admins).
JSON_COLUMNS: dict[str, list[str]] = {}
for _name in SYNCED_TABLES:
    _docs = [c.name for c in data_columns(_name) if isinstance(c.type, JSON)]
    if _docs and _name != "audit_log":
        JSON_COLUMNS[_name] = _docs
JSON_TABLES = tuple(JSON_COLUMNS)


@dataclass(frozen=True)
class Op:
    desk: int
    kind: str  # json | text | progress | delete | collide | move | sync | crash
    a: int
    b: int
    c: int


ops = st.lists(st.builds(
    Op,
    desk=st.integers(0, len(DESKS) - 1),
    kind=st.sampled_from(["json", "json", "json", "text", "progress", "progress", "delete",
                          "collide", "collide", "move", "sync", "sync", "sync", "crash"]),
    a=st.integers(0, 11), b=st.integers(0, 11), c=st.integers(0, 23)),
    min_size=4, max_size=18)
orders = st.permutations(range(len(DESKS)))


@dataclass(frozen=True)
class People:
    """The accounts of the template database."""

    users: dict[str, uuid.UUID]
    faculty: dict[str, uuid.UUID]  # account -> faculties.id

    def viewer(self, account: str) -> Viewer:
        return Viewer(self.users[account], ACCOUNTS[account], self.faculty.get(account))


@dataclass(frozen=True)
class Typed:
    """A value a desk typed, the change carrying it, and the value the desk saw before."""

    desk: int
    table: str
    row_id: uuid.UUID
    field: str
    value: Any
    change_id: uuid.UUID
    prior: Any
    key: bool = False  # a unique or natural key of a new row


class ServerSlot:
    """The example's server: started, killed with SIGKILL, restarted on the same port."""

    def __init__(self, url: str, port: int) -> None:
        self.url = url
        self.port = port
        self._stack = ExitStack()
        self.process: ServerProcess = self._stack.enter_context(running_server(url, port=port))

    def kill(self) -> None:
        self.process.process.kill()
        self.process.process.wait(10)

    def restart(self) -> None:
        if self.process.process.poll() is None:
            self.kill()
        self._stack.close()
        self._stack = ExitStack()
        self.process = self._stack.enter_context(running_server(self.url, port=self.port))

    def close(self) -> None:
        self._stack.close()


@dataclass
class World:
    url: str
    server: ServerSlot
    people: People
    points: KillPoints
    desks: list[Desk] = field(default_factory=list)
    rows: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    prefix: str = ""
    typed: list[Typed] = field(default_factory=list)
    pushes: list[tuple[int, wire.PushRequest | bytes]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def role(self, i: int) -> str:
        return ACCOUNTS[DESKS[i][0]]

    def viewer(self, i: int) -> Viewer:
        return self.people.viewer(DESKS[i][0])


@dataclass(frozen=True)
class Template:
    """A database and five connected, synced desks holding the starting world; every
    example runs on copies (connecting and building took most of an example's time)."""

    url: str
    people: People
    folder: Path
    port: int
    rows: dict[str, list[uuid.UUID]]
    prefix: str
    tokens: dict[str, str]  # desk name -> refresh token


# --- the institute: a template database and desks, copied per example ---------------------------

@pytest.fixture
def template(pg_url: str, migrated_replica_template: Path, tmp_path: Path) -> Template:
    prepare_server_db(pg_url)
    users = {account: create_user(pg_url, email=f"{account}@example.org", password=PASSWORD,
                                  role=role) for account, role in ACCOUNTS.items()}
    faculty = {a: faculty_id_of(pg_url, users[a]) for a in ("faculty", "faculty2")}
    KillPoints(pg_url).install()
    people = People(users, faculty)
    port = free_port()
    folder = tmp_path / "desks"
    world = World(pg_url, ServerSlot(pg_url, port), people, KillPoints(pg_url))
    try:
        _build(world, folder, migrated_replica_template)
        refused = rejected_changes(world.desks[0].replica)
        assert not refused, f"the starting world was refused: {[r.reason for r in refused]}"
        tokens = {DESKS[i][1]: _token(desk) for i, desk in enumerate(world.desks)}
    finally:
        for desk in world.desks:
            desk.replica.close()
        world.server.close()
    return Template(pg_url, people, folder, port, world.rows, world.prefix, tokens)


def _token(desk: Desk) -> str:
    token = desk.credentials.get_refresh_token(account_key(desk.server_url, desk.email))
    assert token
    return token


@contextmanager
def cloned(admin: str, template_url: str) -> Iterator[str]:
    name = template_url.rsplit("/", 1)[1]
    clone = f"{name}_x{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{name}"')
    try:
        yield _with_db(template_url, clone)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')


def _copy_desks(world: World, template: Template, folder: Path) -> None:
    """The template's desks, copied: same devices, same sign-ins, same server address."""
    for account, name in DESKS:
        shutil.copytree(template.folder / name, folder / name)
        replica = Replica.open(folder / name)
        credentials = MemoryCredentials()
        email = f"{account}@example.org"
        url = str(replica.get_state("server_url"))
        credentials.set_refresh_token(account_key(url, email), template.tokens[name])
        world.desks.append(Desk(replica, email, template.people.users[account], credentials,
                                url))


# --- syncing, recording every push so it can be replayed ---------------------------------------

def _client(world: World, i: int) -> SyncClient:
    desk = world.desks[i]
    client = client_for(desk.replica, desk.credentials, retry=FAST_RETRY)
    send = client.push

    def recorded(request: wire.PushRequest | bytes, cancel: Any = None) -> wire.PushResponse:
        world.pushes.append((i, request))
        return send(request, cancel)

    client.push = recorded  # type: ignore[method-assign]
    return client


def _sync(world: World, i: int) -> SyncReport:
    desk = world.desks[i]
    return sync_replica(desk.replica, desk.credentials, client=_client(world, i))


# --- the world every example starts from --------------------------------------------------------

def _build(world: World, folder: Path, replica_template: Path) -> None:
    people = world.people
    world.prefix = prefix = uuid.uuid4().hex[:6]
    _open(world, 0, folder, replica_template)
    admin = world.desks[0]
    subject, topics = add_subject(admin.replica, admin.user_id, code=f"S-{prefix}")
    students = [add_student(admin.replica, admin.user_id, f"{prefix}-{n}",
                            counselor_id=people.users["counselor"], subject_id=subject,
                            faculty_id=people.faculty["faculty"]) for n in range(STUDENTS)]
    session, attendance = add_session_with_attendance(
        admin.replica, admin.user_id, student_id=students[0], subject_id=subject,
        faculty_id=people.faculty["faculty"], day=date(2026, 3, 2))
    world.rows = {"users": [people.users["counselor"], people.users["admin"]],
                  "subjects": [subject], "topics": topics, "students": students,
                  "faculties": [people.faculty["faculty"], people.faculty["faculty2"]],
                  "learning_sessions": [session], "session_attendance": [attendance],
                  "branches": [MAIN_BRANCH_ID]}
    # A row of every other table holding a JSON column, made from the schema's declarations.
    for name in JSON_TABLES:
        if name in world.rows:
            continue
        row = {**valid_row(name, world.rows), **_signed(world, 0, name),
               **(ACCEPTED_ROLE if name == "roles" else {})}
        with admin.replica.write(admin.replica.actor(admin.user_id)) as s:
            made = MODEL_BY_TABLE[name](**row)
            s.add(made)
            s.flush()
            world.rows[name] = [made.id]
    _sync(world, 0)
    for i in range(1, len(DESKS)):
        _open(world, i, folder, replica_template)


def _signed(world: World, i: int, table: str) -> dict[str, uuid.UUID | None]:
    """The columns naming who made or last changed a row, as the sync policy declares them,
    filled in for desk i's user (the server refuses a row naming someone else)."""
    declared = policy.table_policy(table)
    viewer = world.viewer(i)
    return {column: viewer.user_id if kind is Author.USER else viewer.faculty_id
            for column, kind in {**declared.authors, **declared.stamps}.items()}


def _open(world: World, i: int, folder: Path, replica_template: Path) -> None:
    account, name = DESKS[i]
    shutil.copytree(replica_template, folder / name)  # migrating a replica each time is slow
    desk, _ = open_desk(world.desks, folder, world.server.process.base_url,
                        f"{account}@example.org", name=name)
    assert desk is world.desks[i]


# --- what a desk does -------------------------------------------------------------------------

def _last_seq(desk: Desk) -> int:
    with desk.replica.engine.connect() as c:
        return int(c.execute(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc())
                             .limit(1)).scalar() or 0)


def _type(world: World, i: int, table: str, row_id: uuid.UUID, edit: Callable[[], None],
          values: dict[str, Any], key: bool = False) -> None:
    """Run `edit` on desk i and remember each value in `values` with the change carrying it
    (none when the edit changed nothing)."""
    desk = world.desks[i]
    prior = {name: get_field(desk.replica, table, row_id, name) for name in values}
    before = _last_seq(desk)
    edit()
    with desk.replica.engine.connect() as c:
        change = c.execute(select(OutboxEntry.change_id).where(
            OutboxEntry.table_name == table, OutboxEntry.row_id == row_id,
            OutboxEntry.seq > before).order_by(OutboxEntry.seq.desc()).limit(1)).scalar()
    if change is None:
        return
    for name, value in values.items():
        world.typed.append(Typed(i, table, row_id, name, value, change, prior[name], key))


def _visible(desk: Desk, table: str, row_id: uuid.UUID) -> bool:
    return get_field(desk.replica, table, row_id, "id") is not None


def _document(column: Column[Any], pick: int, tag: str) -> Any:
    """An edge value of the column (schema_rows, in the shape the column declares), as it is
    or with a tag added that makes the typed value one of a kind and keeps the shape."""
    edges = values_for(column)
    edge = edges[(pick // 3) % len(edges)]
    if pick % 3 == 0:
        return edge
    if isinstance(edge, list):
        return [tag, *edge]
    if isinstance(edge, dict):
        return {**edge, "mark": tag}
    return edge


def _edit_json(world: World, i: int, op: Op, tag: str) -> None:
    table = JSON_TABLES[op.a % len(JSON_TABLES)]
    row_id = world.rows[table][op.b % len(world.rows[table])]
    desk = world.desks[i]
    if not _visible(desk, table, row_id):
        return
    names = JSON_COLUMNS[table]
    name = names[op.c % len(names)]
    value = _document(table_of(table).c[name], op.c, tag)
    _type(world, i, table, row_id, lambda: set_fields(desk.replica, desk.user_id, table,
                                                      row_id, **{name: value}), {name: value})


def _edit_text(world: World, i: int, op: Op, tag: str) -> None:
    desk = world.desks[i]
    student = world.rows["students"][op.b % STUDENTS]
    if _visible(desk, "students", student):
        _type(world, i, "students", student, lambda: set_fields(
            desk.replica, desk.user_id, "students", student, address=tag), {"address": tag})


def _progress(world: World, i: int, op: Op, tag: str) -> None:
    """Create or edit a progress row: its id is the natural key, so two desks creating it
    offline create the same row."""
    desk = world.desks[i]
    student = world.rows["students"][op.b % STUDENTS]
    topic = world.rows["topics"][op.c % len(world.rows["topics"])]
    if not _visible(desk, "students", student):
        return
    row_id = natural_id("student_topic_progress", student, topic)
    signed = _signed(world, i, "student_topic_progress")
    scores = {"quiz": op.a, "mark": tag}

    def edit() -> None:
        with desk.replica.write(desk.replica.actor(desk.user_id)) as s:
            row = s.get(StudentTopicProgress, row_id)
            if row is None:
                row = StudentTopicProgress(student_id=student, topic_id=topic)
                s.add(row)
            for column, value in signed.items():
                setattr(row, column, value)
            row.notes = tag
            row.assessment_scores = scores
            row.competency_level = op.a % 6

    _type(world, i, "student_topic_progress", row_id, edit,
          {"notes": tag, "assessment_scores": scores})


def _delete_or_undelete(world: World, i: int, op: Op) -> None:
    tables = (*JSON_TABLES, "student_topic_progress")
    table = tables[op.a % len(tables)]
    if table == "student_topic_progress":
        row_id = natural_id(table, world.rows["students"][op.b % STUDENTS],
                            world.rows["topics"][op.c % len(world.rows["topics"])])
    else:
        row_id = world.rows[table][op.b % len(world.rows[table])]
    desk = world.desks[i]
    if not _visible(desk, table, row_id):
        return
    deleted = get_field(desk.replica, table, row_id, "deleted_at")
    set_fields(desk.replica, desk.user_id, table, row_id,
               deleted_at=None if deleted else datetime.now(UTC))


def _taken(desk: Desk, table: str, column: str, value: Any) -> bool:
    t = table_of(table)
    with desk.replica.engine.connect() as c:
        return c.execute(select(t.c.id).where(t.c[column] == value)).first() is not None


def _collide(world: World, i: int, op: Op) -> None:
    """Create a row whose unique or natural key comes from a pool of two, so two desks may
    create the same key before either syncs."""
    desk = world.desks[i]
    n = op.b % 2
    actor = desk.replica.actor(desk.user_id)
    kind = op.a % 4
    if kind == 0:
        number = f"{world.prefix}-NEW-{n}"
        if not _taken(desk, "students", "enrollment_no", number):
            made = add_student(desk.replica, desk.user_id, number,
                               counselor_id=world.people.users["counselor"])
            _remember_key(world, i, "students", made, "enrollment_no", number)
    elif kind == 1:
        email = f"{world.prefix}-{n}@pool.example.org"
        if not _taken(desk, "users", "email", email):
            with desk.replica.write(actor) as s:
                user = User(email=email, first_name="Pool", last_name=str(n), role="student")
                s.add(user)
                s.flush()
            _remember_key(world, i, "users", user.id, "email", email)
    elif kind == 2:
        code = f"{world.prefix}-C{n}"
        if not _taken(desk, "subjects", "code", code):
            with desk.replica.write(actor) as s:
                subject = Subject(name=f"Pool {n}", code=code, duration_hours=10)
                s.add(subject)
                s.flush()
            _remember_key(world, i, "subjects", subject.id, "code", code)
    else:
        inquiry = world.rows["crm_inquiries"][0]
        subject = world.rows["subjects"][0] if n == 0 else None
        if subject is None:
            return
        row_id = natural_id("inquiry_subjects", inquiry, subject)
        if _visible(desk, "crm_inquiries", inquiry) and not _visible(
                desk, "inquiry_subjects", row_id):
            def edit() -> None:
                with desk.replica.write(actor) as s:
                    s.add(InquirySubject(inquiry_id=inquiry, subject_id=subject))

            _type(world, i, "inquiry_subjects", row_id, edit, {"subject_id": subject},
                  key=True)


def _remember_key(world: World, i: int, table: str, row_id: uuid.UUID, column: str,
                  value: Any) -> None:
    with world.desks[i].replica.engine.connect() as c:
        change = c.execute(select(OutboxEntry.change_id).where(
            OutboxEntry.table_name == table, OutboxEntry.row_id == row_id)
            .order_by(OutboxEntry.seq).limit(1)).scalar_one()
    world.typed.append(Typed(i, table, row_id, column, value, change, None, key=True))


def _move(world: World, i: int, op: Op) -> None:
    """Hand a student to the other faculty member (their enrollment) or counselor."""
    desk = world.desks[i]
    student = world.rows["students"][op.b % STUDENTS]
    if op.a % 2 == 0:
        table, row_id, name = ("student_subject_enrollments", natural_id(
            "student_subject_enrollments", student, world.rows["subjects"][0]), "faculty_id")
        choices = [world.people.faculty["faculty"], world.people.faculty["faculty2"]]
    else:
        table, row_id, name = "students", student, "counselor_id"
        choices = [world.people.users["counselor"], world.people.users["counselor2"]]
    if not _visible(desk, table, row_id):
        return
    now = get_field(desk.replica, table, row_id, name)
    value = choices[1] if now == choices[0] else choices[0]
    _type(world, i, table, row_id, lambda: set_fields(desk.replica, desk.user_id, table,
                                                      row_id, **{name: value}), {name: value})


def _crash(world: World, i: int, op: Op) -> None:
    """Kill -9 the server while desk i's push waits at a write inside its transaction, then
    start it again on the same port. With nothing to push, the server dies idle."""
    point = POINTS[op.a % len(POINTS)]
    desk = world.desks[i]
    outcome: list[BaseException | None] = []
    if not desk.replica.pending_changes():
        # Something to push, so the kill lands inside a push (most desks can edit a
        # student's address; a refused edit is pushed all the same).
        _edit_text(world, i, op, f"{world.prefix}-crash-{op.b}-{i}")

    def sync() -> None:
        try:
            _sync(world, i)
            outcome.append(None)
        except BaseException as exc:  # reported below, in the test's thread
            outcome.append(exc)

    if desk.replica.pending_changes():
        with world.points.held(point):
            worker = threading.Thread(target=sync)
            worker.start()
            pid = world.points.wait_blocked(lambda: not worker.is_alive())
            world.server.kill()
            if pid is not None:
                world.points.end_backend(pid)
            worker.join(120)
        assert not worker.is_alive(), "the desk's sync hangs after the server died"
        error = outcome[0] if outcome else None
        if error is not None and not isinstance(error, SyncError):
            raise error
        world.events.append(f"killed at {point} while desk {i} pushed "
                            f"({'blocked' if pid else 'push done first'}): {error}")
    else:
        world.events.append("killed while idle")
    world.server.restart()


def _run(world: World, n: int, op: Op) -> None:
    i = op.desk
    tag = f"{world.prefix}-{n}-{i}"
    if op.kind == "sync":
        _sync(world, i)
    elif op.kind == "crash":
        _crash(world, i, op)
    elif op.kind == "json":
        _edit_json(world, i, op, tag)
    elif op.kind == "text":
        _edit_text(world, i, op, tag)
    elif op.kind == "progress":
        _progress(world, i, op, tag)
    elif op.kind == "delete":
        _delete_or_undelete(world, i, op)
    elif op.kind == "collide":
        _collide(world, i, op)
    elif op.kind == "move":
        _move(world, i, op)


# --- the invariants ---------------------------------------------------------------------------

def _server_facts(url: str) -> tuple[dict[uuid.UUID, dict[str, Any]], list[Any]]:
    applied, log = table_of("sync_applied_changes"), table_of("sync_conflicts")
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            results = {r.change_id: r.result for r in c.execute(
                select(applied.c.change_id, applied.c.result))}
            conflicts = c.execute(select(log)).mappings().all()
    finally:
        engine.dispose()
    return results, list(conflicts)


def _final(url: str, typed: Typed) -> Any:
    t = table_of(typed.table)
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(select(t.c[typed.field]).where(t.c.id == typed.row_id)).scalar()
    finally:
        engine.dispose()


def _lost_values(conflicts: list[Any], typed: Typed) -> list[Any]:
    out = []
    for entry in conflicts:
        if entry["row_id"] != typed.row_id or typed.field not in [
                f.strip() for f in entry["field"].split(",")]:
            continue
        value = entry["lost_value"]
        if entry["kind"] == "unique_collision" and isinstance(value, dict):
            value = value.get(typed.field)
        out.append(value)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, uuid.UUID) or isinstance(b, uuid.UUID):
        return str(a) == str(b)
    return bool(_number_blind(a) == _number_blind(b))


def _number_blind(value: Any) -> Any:
    """JSON has one kind of number: PostgreSQL's jsonb gives 1e+300 back as 1000…0, the same
    number, which Python's float and int would call different."""
    if isinstance(value, bool):
        return ("boolean", value)  # True == 1 in Python, not in JSON
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, dict):
        return {k: _number_blind(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number_blind(v) for v in value]
    return value


def assert_every_typed_value_kept(world: World) -> None:
    results, conflicts = _server_facts(world.url)
    refused = {i: {r.change_id: r for r in rejected_changes(desk.replica)}
               for i, desk in enumerate(world.desks)}
    accepted = ("applied", "merged", "won")
    for typed in world.typed:
        where = (f"desk {DESKS[typed.desk][1]} typed {typed.table}.{typed.field}="
                 f"{typed.value!r} on {typed.row_id}")
        result = results.get(typed.change_id)
        assert result is not None, f"{where}: change {typed.change_id} never reached the server"
        outcome = result.get("outcome")
        lost = _lost_values(conflicts, typed)
        if outcome == "rejected":
            rejection = refused[typed.desk].get(str(typed.change_id))
            assert rejection is not None, f"{where}: refused ({result}) but not shown as refused"
            assert _same(rejection.fields.get(typed.field), wire_value(typed.value)), (
                f"{where}: the refusal lost the value ({rejection.fields})")
            if typed.key and "another row" in str(result.get("reason")):
                assert any(_same(v, wire_value(typed.value)) for v in lost), (
                    f"{where}: a refused unique key is not in the conflict log ({result})")
            continue
        final = _final(world.url, typed)
        if _same(final, typed.value) or any(_same(v, wire_value(typed.value)) for v in lost):
            continue
        assert outcome in accepted, (
            f"{where}: {outcome}, yet neither final ({final!r}) nor in the conflict log "
            f"({lost!r})")
        version = result.get("version") or 0
        replaced_knowingly = any(
            later.table == typed.table and later.row_id == typed.row_id
            and later.field == typed.field and _same(later.prior, typed.value)
            and results.get(later.change_id, {}).get("outcome") in accepted
            and (results[later.change_id].get("version") or 0) > version
            for later in world.typed)
        assert replaced_knowingly, (
            f"{where}: applied ({result}), then replaced by {final!r} by nobody who had seen "
            f"it, and not in the conflict log ({lost!r})")


def wire_value(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def assert_converged(world: World) -> None:
    engine = make_engine(world.url)
    try:
        with engine.connect() as c:
            assert_links_and_keys_hold(c, "server")
            server_conflicts = set(c.execute(select(ConflictLogEntry.id)).scalars())
        for i, desk in enumerate(world.desks):
            name = DESKS[i][1]
            assert desk.replica.pending_changes() == 0, f"{name}: changes left to upload"
            assert differences(world.url, desk.replica, world.viewer(i)) == [], name
            with desk.replica.engine.connect() as c:
                assert_links_and_keys_hold(c, name)
                if world.role(i) == "admin":
                    # A desk adds entries of its own (a pulled row clashing with a unique
                    # value not uploaded yet), so it holds at least the server's.
                    mine = set(c.execute(select(ConflictLogEntry.id)).scalars())
                    assert server_conflicts <= mine, (
                        f"{name}: conflict log lacks {server_conflicts - mine}")
            last, stored, distinct, top = device_ledger(engine, desk.replica.device_id)
            assert stored == distinct == top == last, (
                f"{name}: server keeps last_seq {last}, {stored} changes stored "
                f"({distinct} distinct), highest seq {top}")
    finally:
        engine.dispose()


def assert_replay_changes_nothing(world: World) -> None:
    before = server_snapshot(world.url)
    for i, request in world.pushes:
        desk = world.desks[i]
        answer = client_for(desk.replica, desk.credentials, retry=FAST_RETRY).push(request)
        outcomes = {r.outcome for r in answer.results}
        assert outcomes <= {wire.Outcome.DUPLICATE}, f"a replayed push was applied: {outcomes}"
    assert server_snapshot(world.url) == before, "a replayed push changed the server"
    for i, desk in enumerate(world.desks):
        rows = replica_rows(desk.replica)
        _sync(world, i)
        assert replica_rows(desk.replica) == rows, f"{DESKS[i][1]}: syncing again changed it"


# --- the property -----------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(max(1200, EXAMPLES * 90))
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(script=ops, final_order=orders)
def test_desks_converge_and_every_typed_value_is_kept_somewhere(
        pg_admin_url: str, template: Template,
        script: list[Op], final_order: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sync-prop-"))
    with cloned(pg_admin_url, template.url) as url:
        server = ServerSlot(url, template.port)
        world = World(url, server, template.people, KillPoints(url),
                      rows=template.rows, prefix=template.prefix)
        try:
            _copy_desks(world, template, folder)
            for n, op in enumerate(script):
                _run(world, n, op)
            for _round in range(2):
                for i in final_order:
                    _sync(world, i)
            assert_converged(world)
            assert_every_typed_value_kept(world)
            assert_replay_changes_nothing(world)
            if REPORT:
                _report(world, script, Path(REPORT))
        finally:
            for desk in world.desks:
                desk.replica.close()
            server.close()
            shutil.rmtree(folder, ignore_errors=True)


def _report(world: World, script: list[Op], path: Path) -> None:
    results, conflicts = _server_facts(world.url)
    outcomes = Counter(str(results[t.change_id].get("outcome")) for t in world.typed)
    reasons = Counter(str(r.get("reason"))[:70] for r in results.values()
                      if r.get("outcome") == "rejected")
    line = {"ops": Counter(op.kind for op in script), "typed": outcomes,
            "typed_tables": Counter(t.table for t in world.typed),
            "conflicts": Counter(str(c["kind"]) for c in conflicts),
            "rejected": reasons, "events": world.events, "pushes": len(world.pushes)}
    with path.open("a") as out:
        out.write(json.dumps(line) + "\n")


def test_every_json_column_has_a_row_to_edit() -> None:
    """A JSON column added to a synced table is edited by the property from the day it is
    declared: its table gets a row made from the schema (or the world has one)."""
    columns = {(t, c) for t, names in JSON_COLUMNS.items() for c in names}
    assert ("crm_inquiries", "tags") in columns
    assert ("session_attendance", "next_session_prep") in columns
    assert len(columns) >= 10
    for table in JSON_TABLES:
        for column in JSON_COLUMNS[table]:
            assert values_for(table_of(table).c[column]), (table, column)
