"""A desk syncing after PostgreSQL ended the server's connections (a restart, an operator's
pg_terminate_backend) gets its answers, not a 500, and the pool pays no round trip per
checkout to make sure of it (docs/sync.md, Performance)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from institute_core.ids import natural_id
from tests.server.helpers import Device, build_school, new_row


def _end_server_connections(url: str) -> int:
    """Terminate every other backend of the database, as a restart would, and wait until they
    are gone; how many there were."""
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()"
                            ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)
    return int(ended[0]) if ended else 0


def _mark(f1: Device, session: Any, student: Any, status: str) -> list[dict[str, Any]]:
    return f1.push(f1.change("session_attendance",
                             natural_id("session_attendance", session, student),
                             new_row(session_id=session, student_id=student,
                                     attendance_status=status)))


def test_a_sync_after_the_database_ended_every_connection_succeeds(  # type: ignore[no-untyped-def]
        device, staff, server_db: str, client: TestClient) -> None:
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1 = device("f1@example.org")
    assert [r["outcome"] for r in _mark(f1, school.session, school.student, "present")] \
        in (["applied"], ["merged"])
    f1.pull_all()
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() > 0  # idle pooled connections the server is about to end

    assert _end_server_connections(server_db) > 0

    # Each request checks out a connection the server closed: none may fail for it.
    results = _mark(f1, school.session, school.student, "absent")
    assert [r["outcome"] for r in results] in (["applied"], ["merged"]), results
    rows, _page = f1.pull_all()
    assert any(r["table"] == "session_attendance" and r["values"]["attendance_status"] == "absent"
               for r in rows), rows


def test_handing_out_a_pooled_connection_sends_nothing(  # type: ignore[no-untyped-def]
        device, staff, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """pool_pre_ping's SELECT 1 was a round trip at every checkout, two or three per sync."""
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1 = device("f1@example.org")
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    _mark(f1, school.session, school.student, "present")
    f1.pull_all()
    assert pings == []


@pytest.mark.parametrize("with_poll", [True, False], ids=["poll", "select (Windows)"])
def test_a_closed_peer_is_seen_with_or_without_poll(with_poll: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's check reads an idle socket's state without waiting, on a system with poll()
    and on one with only select() (Windows): quiet while the peer is there, readable once the
    peer has closed it."""
    import select
    import socket

    from sync_server.settings import _readable

    if not with_poll:
        monkeypatch.delattr(select, "poll", raising=False)
    ours, theirs = socket.socketpair()
    with ours:
        assert _readable(ours.fileno()) is False
        theirs.close()
        assert _readable(ours.fileno()) is True
