"""The restore drill end to end: back up, edit on two desks, sync, restore, sync, compare.

A real server (uvicorn in a subprocess) on PostgreSQL, real desks, and the server's own
`backup` / `restore` commands; the "by hand" case restores with pg_restore directly, so the
epoch stays and the desks must notice the restore by its other signs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, func, insert, select, text, update

from institute_core.schema import Inquiry, SentChange, table_of
from institute_core.sync.account import sync_replica
from institute_core.sync.outbox import acked_seq
from institute_core.sync.restore import EPOCH_KEY
from institute_core.sync.runner import SyncOptions, SyncReport
from sync_server.settings import make_engine
from tests.support.server import REPO_ROOT, running_server
from tests.sync.builders import (
    add_session_with_attendance,
    add_student,
    add_subject,
    get_field,
    server_rows,
    set_fields,
)
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk
from tests.sync.test_e2e import _viewer, assert_same_as_server, move_desk


def _sync(desk: Desk, options: SyncOptions | None = None) -> SyncReport:
    # Sign-ins made after the backup are gone with the restore: the desk asks for the password.
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY, options=options,
                        password=lambda: PASSWORD)


def server_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`institute-sync-server ARGS` as an administrator runs it, on the database at `url`."""
    return subprocess.run([sys.executable, "-m", "sync_server.cli", *args],
                          env={**os.environ, "DATABASE_URL": url}, cwd=str(REPO_ROOT),
                          capture_output=True, text=True, timeout=300, check=False)


def _scalar(url: str, sql: str, **params: Any) -> Any:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def _epoch(url: str) -> str:
    return str(_scalar(url, "SELECT epoch FROM sync_clock WHERE id = 1"))


def restore_by_hand(url: str, dump: Path) -> None:
    """What an administrator who never read the manual does: pg_restore over the database."""
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner",
                           "--exit-on-error", "--single-transaction", f"--dbname={url}",
                           str(dump)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _inquiry(desk: Desk, counselor: uuid.UUID, name: str) -> uuid.UUID:
    with desk.replica.write(desk.replica.actor(desk.user_id)) as s:
        inquiry = Inquiry(student_name=name, counselor_id=counselor, tags=["walk-in"])
        s.add(inquiry)
        s.flush()
        return inquiry.id


@pytest.mark.parametrize("how", ["restore command", "pg_restore by hand"])
def test_restore_drill_loses_nothing_a_desk_still_holds(
        how: str, institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    dump = tmp_path / "nightly.dump"
    with running_server(institute.url) as server:
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        subject, _topics = add_subject(admin.replica, admin.user_id)
        students = [add_student(admin.replica, admin.user_id, f"ENR-{i}",
                                counselor_id=institute.counselor, subject_id=subject,
                                faculty_id=institute.faculty) for i in range(2)]
        _sync(admin)
        counselor, _ = open_desk(desks, tmp_path, server.base_url,
                                 institute.emails["counselor"])

        # Last night's backup.
        backup = server_cli(institute.url, "backup", str(dump))
        assert backup.returncode == 0, backup.stderr
        assert dump.stat().st_mode & 0o077 == 0  # password hashes inside: owner only
        epoch_before = _epoch(institute.url)
        # A desk connected this morning: the restored server will not know it at all.
        faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])

        # Today, on two desks: edits, new rows, synced and acknowledged by the server.
        set_fields(admin.replica, admin.user_id, "students", students[0], address="12 MG Road")
        late_student = add_student(admin.replica, admin.user_id, "ENR-LATE",
                                   counselor_id=institute.counselor, subject_id=subject,
                                   faculty_id=institute.faculty)
        session, attendance = add_session_with_attendance(
            faculty.replica, faculty.user_id, student_id=students[1],
            faculty_id=institute.faculty, subject_id=subject, day=date(2026, 3, 2))
        set_fields(faculty.replica, faculty.user_id, "learning_sessions", session,
                   notes="covered recursion")
        # A third desk's change that only that desk held, and the desk is gone since: after
        # the restore nobody can send it again, and the admin's copy must not linger.
        lost_with_its_desk = _inquiry(counselor, institute.counselor, "Meera")
        for desk in (admin, faculty, counselor, admin, faculty):
            report = _sync(desk)
            assert not report.rejected and desk.replica.pending_changes() == 0
        assert get_field(admin.replica, "crm_inquiries", lost_with_its_desk,
                         "student_name") == "Meera"
        acked = {d.email: acked_seq(d.replica) for d in (admin, faculty)}
        assert all(acked.values())
        # And edits still waiting in an outbox when the server goes back in time.
        set_fields(admin.replica, admin.user_id, "students", students[1],
                   emergency_contact_phone="98450 00001")
        desks.remove(counselor)
        counselor.replica.close()

    if how == "restore command":
        restored = server_cli(institute.url, "restore", str(dump))
        assert restored.returncode == 2 and "--force" in restored.stderr  # not empty
        restored = server_cli(institute.url, "restore", "--force", str(dump))
        assert restored.returncode == 0, restored.stderr
        assert _epoch(institute.url) != epoch_before
    else:
        restore_by_hand(institute.url, dump)
        assert _epoch(institute.url) == epoch_before
    assert _scalar(institute.url, "SELECT count(*) FROM students WHERE id = :id",
                   id=late_student) == 0  # the server really went back

    with running_server(institute.url) as server:
        for desk in (admin, faculty):
            move_desk(desk, server.base_url)
        first = {desk.email: _sync(desk) for desk in (admin, faculty)}
        for desk in (admin, faculty, admin):
            _sync(desk)
        for email, report in first.items():
            assert report.resent > 0, email
            assert "re-sent" in report.summary()
        reasons = {email: report.started_over for email, report in first.items()}
        if how == "restore command":  # the new epoch tells
            assert set(reasons.values()) == {"the server was restored from a backup"}
        else:  # the same epoch: the server's own records of the desks tell
            assert "has lost changes it had acknowledged" in str(reasons[admin.email])
            assert "no longer knows this device" in str(reasons[faculty.email])
        # Exactly once: the server holds every acknowledged change of each device once.
        for desk in (admin, faculty):
            assert _scalar(institute.url, "SELECT last_seq FROM sync_devices WHERE "
                           "device_id = :d", d=desk.replica.device_id) == acked_seq(desk.replica)
            assert _scalar(institute.url, "SELECT count(*) - count(DISTINCT seq) FROM "
                           "sync_applied_changes WHERE device_id = :d",
                           d=desk.replica.device_id) == 0
        # Everything typed after the backup is back, on the server and on both desks.
        for desk in (admin, faculty):
            assert get_field(desk.replica, "students", students[0], "address") == "12 MG Road"
            assert get_field(desk.replica, "students", late_student, "enrollment_no") \
                == "ENR-LATE"
            assert get_field(desk.replica, "session_attendance", attendance,
                             "attendance_status") == "present"
            assert get_field(desk.replica, "learning_sessions", session, "notes") \
                == "covered recursion"
        assert get_field(admin.replica, "students", students[1],
                         "emergency_contact_phone") == "98450 00001"
        # The gone desk's inquiry is gone from the server, so the admin's copy went too.
        assert get_field(admin.replica, "crm_inquiries", lost_with_its_desk, "id") is None
        for desk in (admin, faculty):
            assert desk.replica.pending_changes() == 0
            assert_same_as_server(institute, desk)
        # Settled: the next sync neither re-sends nor starts over.
        again = _sync(admin)
        assert again.started_over is None and again.resent == 0
        assert admin.replica.get_state(EPOCH_KEY) == _epoch(institute.url)
    rows = server_rows(institute.url, _viewer(institute, admin), ("students",))["students"]
    assert len(rows) == 3


def test_acknowledged_changes_are_kept_for_the_retention_period_only(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    with running_server(institute.url) as server:
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        add_subject(admin.replica, admin.user_id)
        sent = admin.replica.pending_changes()
        _sync(admin)
        with admin.replica.engine.connect() as c:
            kept = c.execute(select(func.count()).select_from(SentChange)).scalar_one()
        assert kept == sent and acked_seq(admin.replica) == sent
        # Two months later they are forgotten (the next sync prunes them).
        with admin.replica.engine.begin() as c:
            c.execute(update(SentChange).values(
                acked_at=func.datetime("now", "-61 days")))
        _sync(admin, SyncOptions(keep_sent_days=60))
        with admin.replica.engine.connect() as c:
            assert c.execute(select(func.count()).select_from(SentChange)).scalar_one() == 0


def test_a_restore_older_than_what_desks_keep_is_said_not_hidden(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    dump = tmp_path / "old.dump"
    with running_server(institute.url) as server:
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        assert server_cli(institute.url, "backup", str(dump)).returncode == 0
        add_subject(admin.replica, admin.user_id)
        _sync(admin)
        with admin.replica.engine.begin() as c:  # pruned: older than the retention
            c.execute(delete(SentChange))
    assert server_cli(institute.url, "restore", "--force", str(dump)).returncode == 0
    with running_server(institute.url) as server:
        move_desk(admin, server.base_url)
        with pytest.raises(Exception, match="no longer kept"):
            _sync(admin)


def test_restore_refuses_a_database_that_is_not_empty_without_force(
        institute: Institute, tmp_path: Path) -> None:
    dump = tmp_path / "a.dump"
    assert server_cli(institute.url, "backup", str(dump)).returncode == 0
    users = _scalar(institute.url, "SELECT count(*) FROM users")
    epoch = _epoch(institute.url)
    refused = server_cli(institute.url, "restore", str(dump))
    assert refused.returncode == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert _epoch(institute.url) == epoch and _scalar(
        institute.url, "SELECT count(*) FROM users") == users
    with psycopg.connect(institute.url):  # a server still running, say
        busy = server_cli(institute.url, "restore", "--force", str(dump))
    assert busy.returncode == 2 and "stop the sync server" in busy.stderr
    assert _epoch(institute.url) == epoch
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"not a backup")
    bad = server_cli(institute.url, "restore", "--force", str(garbage))
    assert bad.returncode == 1 and "pg_restore" in bad.stderr
    # Nothing was touched: the archive is read whole before the database is emptied.
    assert _epoch(institute.url) == epoch
    missing = server_cli(institute.url, "restore", str(tmp_path / "nope.dump"))
    assert missing.returncode == 2 and "not a file" in missing.stderr


def test_restore_into_an_empty_database_needs_no_force(
        institute: Institute, pg_admin_url: str, tmp_path: Path) -> None:
    from tests.pg import throwaway_database

    dump = tmp_path / "a.dump"
    assert server_cli(institute.url, "backup", str(dump)).returncode == 0
    with throwaway_database(pg_admin_url) as empty:
        done = server_cli(empty, "restore", str(dump))
        assert done.returncode == 0, done.stderr
        assert _scalar(empty, "SELECT count(*) FROM users") == _scalar(
            institute.url, "SELECT count(*) FROM users")
        assert _epoch(empty) != _epoch(institute.url)
    assert table_of("sync_clock").c.epoch is not None


def test_a_replica_that_became_a_new_device_keeps_what_it_sends_under_its_own_numbers(
        tmp_path: Path) -> None:
    """A replica restored from its own backup numbers its changes from 1 again as a new
    device; the old identity's kept changes must neither block nor be sent in its name."""
    from institute_core.replica import Replica
    from institute_core.sync import wire
    from institute_core.sync.outbox import confirm, read_batch, read_sent

    replica = Replica.open(tmp_path / "desk")
    try:
        add_subject(replica, None, topics=2)
        batch = read_batch(replica, 100)
        n = len(batch)
        assert [p.seq for p in batch] == list(range(1, n + 1))
        old_device = uuid.uuid4()
        with replica.engine.begin() as c:
            for seq in range(1, n + 2):
                c.execute(insert(SentChange).values(
                    seq=seq, change_id=uuid.uuid4(), table_name="subjects", row_id=uuid.uuid4(),
                    fields={}, hlc="x", author_id=None, device_id=old_device, base_version=0,
                    created_at=func.datetime("now"), acked_at=func.datetime("now")))
        assert read_sent(replica, 100, after=0) == []  # not this device's to send
        confirm(replica, batch, wire.PushResponse(results=[], last_seq=n, server_time_ms=0))
        assert [p.change_id for p in read_sent(replica, 100, after=0)] == \
            [p.change_id for p in batch]
        assert [p.wire_json for p in read_sent(replica, 100, after=1)] == \
            [p.wire_json for p in batch[1:]]
        assert replica.pending_changes() == 0 and acked_seq(replica) == n
    finally:
        replica.close()


def test_the_command_line_sync_says_the_server_was_restored(
        capsys: pytest.CaptureFixture[str]) -> None:
    from desktop_app.commands.sync import print_report

    print_report(SyncReport(started_over="the server was restored from a backup", resent=3))
    assert "the server was restored from a backup: sent 3 change(s) of this desk again" \
        in capsys.readouterr().out


def test_a_recovery_cut_short_carries_on_at_the_next_sync(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    from institute_core.sync.backoff import CancelToken
    from institute_core.sync.runner import SyncProgress

    dump = tmp_path / "empty.dump"
    with running_server(institute.url) as server:
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        assert server_cli(institute.url, "backup", str(dump)).returncode == 0
        subject, _ = add_subject(admin.replica, admin.user_id, topics=3)
        for i in range(3):
            add_student(admin.replica, admin.user_id, f"ENR-{i}", subject_id=subject,
                        faculty_id=institute.faculty, counselor_id=institute.counselor)
        _sync(admin)
        acked = acked_seq(admin.replica)
    assert server_cli(institute.url, "restore", "--force", str(dump)).returncode == 0
    with running_server(institute.url) as server:
        move_desk(admin, server.base_url)
        cancel = CancelToken()

        def stop_while_resending(progress: SyncProgress) -> None:
            if progress.phase == "resend" and progress.done >= 4:
                cancel.cancel()

        cut = sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY,
                           password=lambda: PASSWORD, options=SyncOptions(batch_size=2),
                           progress=stop_while_resending, cancel=cancel)
        assert cut.cancelled and 4 <= cut.resent < acked
        held = _scalar(institute.url, "SELECT last_seq FROM sync_devices WHERE device_id = :d",
                       d=admin.replica.device_id)
        assert held == cut.resent
        rest = _sync(admin)
        assert rest.started_over and rest.resent == acked - cut.resent
        assert _scalar(institute.url, "SELECT last_seq FROM sync_devices WHERE device_id = :d",
                       d=admin.replica.device_id) == acked
        assert_same_as_server(institute, admin)
        assert _scalar(institute.url, "SELECT count(*) FROM students") == 3


def test_the_later_of_two_acknowledged_edits_still_wins_after_the_restore(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    """Re-sent edits carry base versions of the server before the restore, numbers the
    restored server hands out again to changes their authors never saw. Here the first desk
    to re-send brings the later edit back at a version below the other desk's old base: the
    older edit must not overwrite it unseen (capped, it merges as concurrent and loses)."""
    dump = tmp_path / "nightly.dump"
    email = institute.emails["admin"]
    with running_server(institute.url) as server:
        first, _ = open_desk(desks, tmp_path, server.base_url, email, name="first")
        subject, _ = add_subject(first.replica, first.user_id, topics=1)
        student = add_student(first.replica, first.user_id, "ENR-1", subject_id=subject,
                              faculty_id=institute.faculty, counselor_id=institute.counselor)
        _sync(first)
        second, _ = open_desk(desks, tmp_path, server.base_url, email, name="second")
        busy, _ = open_desk(desks, tmp_path, server.base_url, email, name="busy")
        assert server_cli(institute.url, "backup", str(dump)).returncode == 0
        for i in range(5):  # a desk that is gone by the restore moves the row's version on
            set_fields(busy.replica, busy.user_id, "students", student,
                       emergency_contact_name=f"Contact {i}")
            _sync(busy)
        _sync(second)
        set_fields(second.replica, second.user_id, "students", student, address="older")
        _sync(second)
        _sync(first)
        set_fields(first.replica, first.user_id, "students", student, address="later")
        _sync(first)
        assert get_field(first.replica, "students", student, "address") == "later"
        desks.remove(busy)
        busy.replica.close()
    assert server_cli(institute.url, "restore", "--force", str(dump)).returncode == 0
    with running_server(institute.url) as server:
        for desk in (first, second):
            move_desk(desk, server.base_url)
        for desk in (first, second, first):
            _sync(desk)
        assert _scalar(institute.url, "SELECT address FROM students WHERE id = :id",
                       id=student) == "later"
        for desk in (first, second):
            assert get_field(desk.replica, "students", student, "address") == "later"
            assert_same_as_server(institute, desk)
        # Nothing typed is lost: the older value is in the conflict log.
        assert _scalar(institute.url, "SELECT count(*) FROM sync_conflicts WHERE row_id = :id "
                       "AND field = 'address' AND lost_value::text = '\"older\"'",
                       id=student) == 1


def test_a_desk_that_only_reads_notices_a_restore_by_hand_by_its_cursor(
        institute: Institute, desks: list[Desk], tmp_path: Path) -> None:
    """Same epoch, the device known, nothing of it lost: only the pull cursor beyond the
    server's clock tells, and the desk must not keep rows the server no longer has."""
    dump = tmp_path / "nightly.dump"
    with running_server(institute.url) as server:
        reader, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
        admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
        older = _inquiry(admin, institute.counselor, "Asha")
        _sync(admin)
        assert server_cli(institute.url, "backup", str(dump)).returncode == 0
        inquiry = _inquiry(admin, institute.counselor, "Ravi")
        set_fields(admin.replica, admin.user_id, "crm_inquiries", older, student_name="Asha K")
        _sync(admin)
        _sync(reader)
        assert get_field(reader.replica, "crm_inquiries", inquiry, "student_name") == "Ravi"
        assert get_field(reader.replica, "crm_inquiries", older, "student_name") == "Asha K"
        assert acked_seq(reader.replica) == 0
        desks.remove(admin)
        admin.replica.close()
    restore_by_hand(institute.url, dump)
    with running_server(institute.url) as server:
        move_desk(reader, server.base_url)
        report = _sync(reader)
        assert report.started_over == "the server asked for a fresh download"
        assert report.resent == 0
        assert get_field(reader.replica, "crm_inquiries", inquiry, "id") is None
        # The server's older copy replaces the newer one it no longer has, version and all.
        assert get_field(reader.replica, "crm_inquiries", older, "student_name") == "Asha"
        assert_same_as_server(institute, reader)
