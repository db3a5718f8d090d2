"""Pushes from different desks commit in parallel, and a pull never skips a version that was
still being written when it read past it (sync_server/sync/versions.py, issue 16).

A server-side transaction holds versions open (as a slow push would) while desks push and
pull through the real server: the desks' pushes must not wait for it, and once it commits every
desk receives its rows exactly once, with no count mismatch and no repair.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, insert, select, update

from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from institute_core.sync.account import sync_replica
from institute_core.sync.runner import SyncReport
from sync_server.settings import make_engine
from sync_server.sync.store import BatchStore
from sync_server.sync.versions import VersionClock, last_handed_out, watermark
from tests.support.server import ServerProcess
from tests.sync.builders import add_subject, get_field, set_fields
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk

_subjects = table_of("subjects")


def _sync(desk: Desk) -> SyncReport:
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


@contextmanager
def _open_writer(url: str) -> Iterator[tuple[Connection, VersionClock]]:
    """A server transaction that has joined the writers and stays open until the block ends
    (it commits then, unless the block raises)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn, VersionClock(conn)
    finally:
        engine.dispose()


def _insert_subject(conn: Connection, clock: VersionClock, code: str) -> uuid.UUID:
    row_id = uuid.uuid4()
    stamp = utcnow()
    conn.execute(insert(_subjects).values(
        id=row_id, name=f"Subject {code}", code=code, duration_hours=30, status="active",
        created_at=stamp, updated_at=stamp, version=clock.next()))
    return row_id


def _watermark(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return watermark(conn), last_handed_out(conn)
    finally:
        engine.dispose()


def test_the_watermark_stays_below_every_version_still_being_written(
        institute: Institute) -> None:
    url = institute.url
    start, _ = _watermark(url)
    with _open_writer(url) as (first, first_clock):
        early = _insert_subject(first, first_clock, "EARLY")
        with _open_writer(url) as (second, second_clock):
            _insert_subject(second, second_clock, "LATE")
            assert second_clock.version > first_clock.version
        # The later writer committed; the earlier one is still open.
        mark, handed_out = _watermark(url)
        assert mark == first_clock.version - 1 and mark >= start
        assert handed_out >= second_clock.version
    mark, handed_out = _watermark(url)
    assert mark == handed_out >= second_clock.version
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(_subjects.c.code).where(_subjects.c.id == early)
                                ).scalar() == "EARLY"
    finally:
        engine.dispose()


def test_an_aborted_writer_does_not_hold_the_watermark_back(institute: Institute) -> None:
    class Abort(Exception):
        pass

    try:
        with _open_writer(institute.url) as (conn, clock):
            _insert_subject(conn, clock, "GONE")
            assert _watermark(institute.url)[0] == clock.version - 1
            raise Abort
    except Abort:
        pass
    mark, handed_out = _watermark(institute.url)
    assert mark == handed_out >= clock.version


def test_desks_push_while_another_push_is_in_flight_and_miss_nothing_after_it_commits(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    counselor, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    with _open_writer(institute.url) as (conn, clock):
        slow = _insert_subject(conn, clock, "SLOW")
        # The desk's edit gets a later version than the open writer's.
        fast, _topics = add_subject(admin.replica, admin.user_id, code="FAST")
        reports: list[SyncReport] = []
        pushing = threading.Thread(target=lambda: reports.append(_sync(admin)), daemon=True)
        pushing.start()
        pushing.join(timeout=30)
        # Under one institute-wide lock the push would wait for the open writer to commit.
        assert not pushing.is_alive(), "the desk's push waited for another writer"
        assert reports[0].sent >= 3 and not reports[0].rejected
        before = _sync(counselor)
        assert not before.mismatched and not before.repaired
        # Nothing past the open writer's version reaches a desk yet: the in-flight row cannot
        # be skipped by a cursor that moved beyond it.
        assert get_field(counselor.replica, "subjects", slow, "code") is None
        assert get_field(counselor.replica, "subjects", fast, "code") is None
    for desk in (counselor, admin):
        report = _sync(desk)
        assert not report.mismatched and not report.repaired, desk.email
        assert get_field(desk.replica, "subjects", slow, "code") == "SLOW"
        assert get_field(desk.replica, "subjects", fast, "code") == "FAST"
    # Exactly once: a further sync brings nothing.
    assert _sync(counselor).received == 0


def test_two_pushes_on_one_row_take_turns_so_the_second_merges_with_the_first(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    subject, _topics = add_subject(admin.replica, admin.user_id, code="TURN")
    _sync(admin)
    set_fields(admin.replica, admin.user_id, "subjects", subject, name="Renamed on the desk")
    with _open_writer(institute.url) as (conn, clock):
        # Another push in flight holds the row (as BatchStore.lock does) and changes it.
        BatchStore(conn, buffered=True).lock({"subjects": {subject}})
        conn.execute(update(_subjects).where(_subjects.c.id == subject)
                     .values(description="set by the other push", version=clock.next()))
        reports: list[SyncReport] = []
        pushing = threading.Thread(target=lambda: reports.append(_sync(admin)), daemon=True)
        pushing.start()
        pushing.join(timeout=3)
        assert pushing.is_alive(), "the push did not wait for the row another push holds"
    pushing.join(timeout=30)
    assert not pushing.is_alive() and not reports[0].rejected
    engine = make_engine(institute.url)
    try:
        with engine.connect() as c:
            row = c.execute(select(_subjects.c.name, _subjects.c.description)
                            .where(_subjects.c.id == subject)).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("Renamed on the desk", "set by the other push")
    assert get_field(admin.replica, "subjects", subject, "description") == \
        "set by the other push"
