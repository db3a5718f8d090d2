"""A push sent twice at once (the desk timed out and retried while the first was still
waiting) is applied once, and the copy that waited is answered with the first one's stored
result: its version, not a bare "already received" (push.py, `_OPENING_SQL`)."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import psycopg
from fastapi.testclient import TestClient

from institute_core.ids import natural_id
from institute_core.sync.wire import SCHEMA_VERSION, PushRequest
from sync_server.auth.service import authenticate
from sync_server.sync import push
from tests.server.helpers import build_school, new_row


def _waiting_for_locks(admin: psycopg.Connection[Any], count: int) -> None:
    deadline = time.monotonic() + 20
    while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'").fetchone() \
            != (count,):
        assert time.monotonic() < deadline, "the pushes did not queue for the device"
        time.sleep(0.02)


def test_a_retry_that_waited_for_the_first_send_gets_its_stored_result(  # type: ignore[no-untyped-def]
        device, staff, server_db: str, client: TestClient) -> None:
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    f1 = device("f1@example.org")
    change = f1.change("session_attendance",
                       natural_id("session_attendance", school.session, school.student),
                       new_row(session_id=school.session, student_id=school.student,
                               attendance_status="present"))
    body = PushRequest.model_validate({"device_id": str(f1.device_id),
                                       "schema_version": SCHEMA_VERSION, "changes": [change]})
    app: Any = client.app
    engine, settings = app.state.engine, app.state.settings
    principal = authenticate(engine, settings, f1.token)
    answers: list[dict[str, Any]] = []

    def send() -> None:
        answers.append(orjson.loads(push.push(engine, settings, principal, body, None)))

    with psycopg.connect(server_db, autocommit=True) as watcher, \
            psycopg.connect(server_db) as holder:
        # Both sends start while the device row is held, so both read before either commits.
        holder.execute("SELECT 1 FROM sync_devices WHERE device_id = %s FOR UPDATE",
                       (f1.device_id,))
        senders = [threading.Thread(target=send) for _ in range(2)]
        for sender in senders:
            sender.start()
        _waiting_for_locks(watcher, 2)
        holder.rollback()
        for sender in senders:
            sender.join(timeout=60)

    results = sorted((a["results"][0] for a in answers), key=lambda r: r["outcome"])
    assert [r["outcome"] for r in results] == ["applied", "duplicate"], results
    applied, duplicate = results
    assert duplicate["version"] == applied["version"] is not None, results
    assert duplicate["reason"] == "already received earlier (applied)", results
