"""End to end over a real socket: desks sync through a uvicorn server on PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from institute_core.schema import ConflictLogEntry, table_of
from institute_core.sync import wire
from institute_core.sync.account import client_for, sync_replica
from institute_core.sync.credentials import account_key
from institute_core.sync.errors import ClientTooOld, NeedsLogin, ServerUnreachable, SyncError
from institute_core.sync.hlc import wall_clock_ms
from institute_core.sync.outbox import read_batch
from institute_core.sync.runner import SyncOptions, SyncRunner
from institute_core.sync.scopes import Viewer
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, free_port, running_server
from tests.sync.builders import (
    add_session_with_attendance,
    add_student,
    add_subject,
    comparable,
    get_field,
    replica_rows,
    server_rows,
    set_fields,
    waiting_tables,
)
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk


def _sync(desk: Desk, **options: int) -> object:
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY,
                        options=SyncOptions(**options) if options else None)


def move_desk(desk: Desk, url: str) -> None:
    """Point a desk at another address of the server (a restarted test server has a new port)."""
    old = desk.replica.get_state("server_url")
    token = desk.credentials.get_refresh_token(account_key(old, desk.email))
    assert token
    desk.credentials.set_refresh_token(account_key(url, desk.email), token)
    desk.replica.set_state("server_url", url)


def _viewer(institute: Institute, desk: Desk) -> Viewer:
    if desk.user_id == institute.faculty_user:
        return Viewer(desk.user_id, "faculty", institute.faculty)
    role = "admin" if desk.user_id == institute.admin else "counselor"
    return Viewer(desk.user_id, role)


def assert_same_as_server(institute: Institute, desk: Desk) -> None:
    viewer = _viewer(institute, desk)
    ours = comparable(replica_rows(desk.replica), admin=viewer.sees_private)
    theirs = comparable(server_rows(institute.url, viewer), admin=viewer.sees_private)
    for table in theirs:
        assert ours[table] == theirs[table], f"{desk.email}: {table} differs from the server"


def _school(admin: Desk, institute: Institute, students: int = 2) -> dict[str, object]:
    """The admin enters a subject and students enrolled with the faculty member."""
    subject, topics = add_subject(admin.replica, admin.user_id)
    ids = [add_student(admin.replica, admin.user_id, f"ENR-{i}",
                       counselor_id=institute.counselor, subject_id=subject,
                       faculty_id=institute.faculty) for i in range(students)]
    return {"subject": subject, "topics": topics, "students": ids}


def test_connect_downloads_the_scope_and_desks_converge(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, first = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    assert first.received >= 4  # the three users and the faculty row
    school = _school(admin, institute)
    waiting = waiting_tables(admin.replica)
    # 1 subject + 2 topics + 2 x (user, student, enrollment), and whatever goes with them
    assert [waiting.count(t) for t in ("subjects", "topics", "students")] == [1, 2, 2]
    report = _sync(admin)
    assert report.sent == len(waiting) and not report.rejected  # type: ignore[attr-defined]
    faculty, initial = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    assert initial.received > 0 and not initial.mismatched
    student = school["students"][0]  # type: ignore[index]
    assert get_field(faculty.replica, "students", student, "enrollment_no") == "ENR-0"
    assert faculty.replica.get_state("role") == "faculty"
    # Both edit: the faculty member takes attendance, the admin fixes an address.
    _session, attendance = add_session_with_attendance(
        faculty.replica, faculty.user_id, student_id=student, faculty_id=institute.faculty,
        subject_id=school["subject"], day=date(2026, 3, 2))  # type: ignore[arg-type]
    set_fields(admin.replica, admin.user_id, "students", student, address="12 MG Road")
    for desk in (faculty, admin, faculty, admin):
        _sync(desk)
    assert get_field(admin.replica, "session_attendance", attendance,
                     "attendance_status") == "present"
    assert get_field(faculty.replica, "students", student, "address") == "12 MG Road"
    for desk in (admin, faculty):
        assert faculty.replica.pending_changes() == 0
        assert_same_as_server(institute, desk)


def test_same_field_conflict_keeps_the_loser_in_both_conflict_logs(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    school = _school(admin, institute, students=1)
    student = school["students"][0]  # type: ignore[index]
    session, _att = add_session_with_attendance(
        admin.replica, admin.user_id, student_id=student, faculty_id=institute.faculty,
        subject_id=school["subject"], day=date(2026, 3, 2))  # type: ignore[arg-type]
    _sync(admin)
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    # Offline on both sides: the session belongs to the faculty member, whose edit wins even
    # though the admin's is later.
    set_fields(faculty.replica, faculty.user_id, "learning_sessions", session, notes="faculty")
    set_fields(admin.replica, admin.user_id, "learning_sessions", session, notes="admin")
    _sync(faculty)
    report = _sync(admin)
    assert report.outcomes.get("lost") == 1  # type: ignore[attr-defined]
    for desk in (faculty, admin, faculty):
        _sync(desk)
    for desk in (admin, faculty):
        assert get_field(desk.replica, "learning_sessions", session, "notes") == "faculty"
        with desk.replica.read() as s:
            lost = s.scalars(select(ConflictLogEntry.lost_value).where(
                ConflictLogEntry.row_id == session, ConflictLogEntry.field == "notes")).all()
        assert lost == ["admin"], desk.email
        assert_same_as_server(institute, desk)


def test_offline_edits_queue_and_upload_when_the_server_answers(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    move_desk(admin, f"http://127.0.0.1:{free_port()}")  # nobody listens there
    _school(admin, institute)
    waiting = admin.replica.pending_changes()
    with pytest.raises(ServerUnreachable, match="cannot reach the server"):
        _sync(admin)
    assert admin.replica.pending_changes() == waiting
    move_desk(admin, server.base_url)
    report = _sync(admin)
    assert report.sent == waiting and admin.replica.pending_changes() == 0  # type: ignore[attr-defined]
    assert_same_as_server(institute, admin)


def test_a_batch_delivered_twice_is_applied_once(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    _school(admin, institute)
    batch = read_batch(admin.replica, 500)
    request = wire.PushRequest(device_id=admin.replica.device_id,
                               schema_version=wire.SCHEMA_VERSION,
                               changes=[p.change for p in batch])
    client = client_for(admin.replica, admin.credentials, retry=FAST_RETRY)
    first = client.push(request)
    again = client.push(request)  # the answer was "lost": the client sends the batch again
    assert {r.outcome for r in first.results} == {wire.Outcome.APPLIED}
    assert {r.outcome for r in again.results} == {wire.Outcome.DUPLICATE}
    assert again.last_seq == first.last_seq
    report = sync_replica(admin.replica, admin.credentials, client=client)
    assert report.outcomes == {"duplicate": len(batch)}
    assert admin.replica.pending_changes() == 0
    assert_same_as_server(institute, admin)
    engine = make_engine(institute.url)
    with engine.connect() as c:
        students = c.execute(select(func.count()).select_from(
            table_of("students"))).scalar_one()
    engine.dispose()
    assert students == 2


def test_a_push_the_server_takes_only_in_part_stops_at_the_missing_change(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    """A hole in the outbox (one entry lost, say by a damaged file): the server takes the
    changes before it, the desk forgets exactly those and reports the change the server
    expects instead of quietly leaving the rest behind."""
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    _school(admin, institute, students=3)
    waiting = read_batch(admin.replica, 500)
    hole = waiting[-2]  # in the last batch: nothing after it would reveal it
    with admin.replica.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM sync_outbox WHERE seq = ?", (hole.local_seq,))
    with pytest.raises(SyncError, match=f"expects change {hole.seq} of this device"):
        _sync(admin)
    assert [p.seq for p in read_batch(admin.replica, 500)] == [waiting[-1].seq]


def test_syncing_in_stages_equals_syncing_at_once(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"],
                         options=SyncOptions(batch_size=3, page_limit=2))
    _school(admin, institute, students=6)
    _sync(admin, batch_size=4, page_limit=3)
    staged, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"],
                          name="staged", options=SyncOptions(page_limit=2))
    at_once, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"],
                           name="at-once", options=SyncOptions(page_limit=5000))
    assert replica_rows(staged.replica) == replica_rows(at_once.replica)
    assert_same_as_server(institute, staged)


def test_server_killed_mid_push_loses_nothing_and_applies_nothing_twice(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    with running_server(institute.url) as server:
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        school = _school(admin, institute, students=1)
        student = school["students"][0]  # type: ignore[index]
        start = date(2020, 1, 1)
        for day in range(300):
            add_session_with_attendance(admin.replica, admin.user_id, student_id=student,
                                        faculty_id=institute.faculty,
                                        subject_id=school["subject"],  # type: ignore[arg-type]
                                        day=start + timedelta(days=day))
        total = admin.replica.pending_changes()
        failure: list[BaseException] = []

        def push() -> None:
            try:
                _sync(admin, batch_size=20)
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=push)
        worker.start()
        deadline = time.monotonic() + 60
        while admin.replica.pending_changes() > total - 100 and time.monotonic() < deadline:
            worker.join(0.01)
        server.process.kill()  # SIGKILL while batches are in flight
        worker.join(60)
        assert failure and isinstance(failure[0], ServerUnreachable), failure
        left = admin.replica.pending_changes()
        assert 0 < left < total
    with running_server(institute.url) as again:
        move_desk(admin, again.base_url)
        report = _sync(admin)
        assert admin.replica.pending_changes() == 0
        assert report.sent == left  # type: ignore[attr-defined]
        engine = make_engine(institute.url)
        with engine.connect() as c:
            attendance = c.execute(select(func.count()).select_from(
                table_of("session_attendance"))).scalar_one()
            applied = c.execute(select(func.count()).select_from(
                table_of("sync_applied_changes"))).scalar_one()
        engine.dispose()
        assert attendance == 300
        assert applied == total  # every change once: none lost, none twice
        assert_same_as_server(institute, admin)


def test_revoked_sign_in_keeps_the_outbox_until_the_user_signs_in_again(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    client = client_for(admin.replica, admin.credentials, retry=FAST_RETRY)
    client.refresh()
    client._access = "not-a-token"  # an expired access token: refreshed transparently
    sync_replica(admin.replica, admin.credentials, client=client)
    client.logout()  # revoked on the server, forgotten here
    _school(admin, institute)
    waiting = admin.replica.pending_changes()
    with pytest.raises(NeedsLogin):
        _sync(admin)
    add_subject(admin.replica, admin.user_id, code="PY999", topics=0)  # work goes on
    queued = admin.replica.pending_changes()
    assert queued > waiting
    report = sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY,
                          password=lambda: PASSWORD)
    assert report.sent == queued and admin.replica.pending_changes() == 0
    assert_same_as_server(institute, admin)


def test_a_client_too_old_for_the_server_is_told_to_update(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    with running_server(institute.url, INSTITUTE_MIN_CLIENT_SCHEMA=str(wire.SCHEMA_VERSION + 1)
                        ) as server, pytest.raises(ClientTooOld, match="update the app"):
        open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])


def test_a_student_leaving_the_faculty_scope_is_removed_by_the_count_check(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    from tests.support.server import create_user, faculty_id_of

    other = faculty_id_of(institute.url, create_user(
        institute.url, email="other@example.org", password=PASSWORD, role="faculty"))
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    school = _school(admin, institute, students=2)
    _sync(admin)
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    moved = school["students"][1]  # type: ignore[index]
    assert get_field(faculty.replica, "students", moved, "enrollment_no") == "ENR-1"
    enrollment = next(i for i, r in replica_rows(admin.replica, (
        "student_subject_enrollments",))["student_subject_enrollments"].items()
        if r["student_id"] == str(moved))
    set_fields(admin.replica, admin.user_id, "student_subject_enrollments",
               uuid.UUID(enrollment), faculty_id=other)
    _sync(admin)
    report = _sync(faculty)
    assert report.repaired.get("students") == 1  # type: ignore[attr-defined]
    assert get_field(faculty.replica, "students", moved, "enrollment_no") is None
    assert get_field(faculty.replica, "students", school["students"][0],  # type: ignore[index]
                     "enrollment_no") == "ENR-0"
    assert_same_as_server(institute, faculty)


def test_a_laptop_two_days_ahead_does_not_beat_a_later_real_edit(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    school = _school(admin, institute, students=1)
    student = school["students"][0]  # type: ignore[index]
    _sync(admin)
    counselor, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    ahead, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"],
                         name="admin-laptop-ahead")
    two_days = 2 * 24 * 3600 * 1000
    ahead.replica.clock._physical = lambda: wall_clock_ms() + two_days
    ahead.replica.clock.offset_ms = 0  # it has not synced since its clock went wrong
    # Offline, the skewed laptop edits (stamped two days ahead) and uploads; a normal desk
    # edits the same field later in real time. The server caps the far-future stamp.
    set_fields(ahead.replica, ahead.user_id, "students", student, address="from the future")
    _sync(ahead)
    set_fields(admin.replica, admin.user_id, "students", student, address="real later edit")
    _sync(admin)
    for desk in (ahead, admin, counselor):
        _sync(desk)
    for desk in (ahead, admin):
        assert get_field(desk.replica, "students", student, "address") == "real later edit"
        with desk.replica.read() as s:
            lost = s.scalars(select(ConflictLogEntry.lost_value).where(
                ConflictLogEntry.row_id == student,
                ConflictLogEntry.field == "address")).all()
        assert "from the future" in lost
        assert_same_as_server(institute, desk)
    # The skewed laptop now takes the server's time as reference.
    assert abs(ahead.replica.clock.offset_ms + two_days) < 60_000
    assert abs(int(ahead.replica.get_state("clock_offset_ms")) + two_days) < 60_000


def test_runner_reports_progress_and_stops_cleanly_when_cancelled(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    from institute_core.sync.backoff import CancelToken

    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    _school(admin, institute, students=5)
    total = admin.replica.pending_changes()
    cancel = CancelToken()
    seen = []

    def progress(p: object) -> None:
        seen.append(p)
        cancel.cancel()  # the user presses Cancel after the first batch

    client = client_for(admin.replica, admin.credentials, retry=FAST_RETRY)
    runner = SyncRunner(admin.replica, client, options=SyncOptions(batch_size=4),
                        progress=progress, cancel=cancel)
    report = runner.sync()
    assert report.cancelled and report.sent == 4
    assert seen[0].phase == "push" and seen[0].done == 4 and seen[0].total == total
    assert admin.replica.pending_changes() == total - 4
    report = SyncRunner(admin.replica, client).sync()
    assert report.sent == total - 4 and not report.cancelled
    assert_same_as_server(institute, admin)
