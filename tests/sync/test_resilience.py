"""Failure handling over real sockets: lost answers, slow and failing servers, expired sign-ins,
silent drift and wrong clocks."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from institute_core.schema import table_of
from institute_core.sync.account import client_for, sync_replica
from institute_core.sync.backoff import CancelToken, RetryPolicy
from institute_core.sync.client import Health, SyncClient
from institute_core.sync.clocks import describe_offset, device_clocks, skewed_devices
from institute_core.sync.credentials import MemoryCredentials
from institute_core.sync.errors import NeedsLogin, RequestRefused, ServerFailed, ServerUnreachable
from institute_core.sync.hlc import wall_clock_ms
from institute_core.sync.transport import Transport
from sync_server.clock import now
from sync_server.settings import make_engine
from tests.support.proxy import DroppingProxy
from tests.support.server import ServerProcess
from tests.sync.builders import add_subject, get_field
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk
from tests.sync.test_e2e import _school, _sync, assert_same_as_server, move_desk


def _server_count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table_of(table))).scalar_one())
    finally:
        engine.dispose()


def test_a_push_whose_answer_is_lost_is_retried_and_applied_once(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    _school(admin, institute, students=3)
    waiting = admin.replica.pending_changes()
    with DroppingProxy(server.port, drop_after=b"POST /v1/sync/push", times=2) as proxy:
        move_desk(admin, proxy.base_url)
        report = _sync(admin, batch_size=5)
        assert proxy.dropped == 2
    # The first batch went out three times (two answers lost): the server applied it once and
    # answered the third delivery from the stored results.
    assert report.sent == waiting and report.outcomes.get("duplicate") == 5  # type: ignore[attr-defined]
    assert admin.replica.pending_changes() == 0
    assert _server_count(institute.url, "students") == 3
    assert _server_count(institute.url, "sync_applied_changes") == waiting
    move_desk(admin, server.base_url)
    assert_same_as_server(institute, admin)


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` requests, then a health document."""

    failures: ClassVar[int] = 0
    seen: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        type(self).seen.append(time.monotonic())
        failing = len(type(self).seen) <= type(self).failures
        body = b'{"error":"busy","detail":"try later"}' if failing else b'{"status":"ok"}'
        self.send_response(503 if failing else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[str, type[_Flaky]]]:
    handler = type("Handler", (_Flaky,), {"failures": 0, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def _client(url: str, policy: RetryPolicy, timeout: httpx.Timeout | None = None) -> SyncClient:
    transport = Transport(url, retry=policy, **({"timeout": timeout} if timeout else {}))
    return SyncClient(transport, MemoryCredentials(), "x@example.org")


def test_server_errors_are_retried_with_growing_pauses(
        flaky: tuple[str, type[_Flaky]]) -> None:
    url, handler = flaky
    handler.failures = 3
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=2.0, rng=random.Random(7))
    assert _client(url, policy).health() is not None
    assert len(handler.seen) == 4
    pauses = [b - a for a, b in zip(handler.seen, handler.seen[1:], strict=False)]
    replay = random.Random(7)
    expected = [replay.uniform(0, min(2.0, 0.1 * 2 ** n)) for n in range(3)]
    for pause, planned in zip(pauses, expected, strict=True):
        assert planned - 0.01 <= pause < planned + 0.5
    # Out of attempts: the last failure is reported, after exactly `attempts` requests.
    handler.seen.clear()
    handler.failures = 99
    with pytest.raises(ServerFailed, match="503"):
        _client(url, RetryPolicy(attempts=3, base_delay=0.01)).health()
    assert len(handler.seen) == 3


def test_cancel_cuts_a_backoff_pause_short(flaky: tuple[str, type[_Flaky]]) -> None:
    url, handler = flaky
    handler.failures = 99
    cancel = CancelToken()
    transport = Transport(url, retry=RetryPolicy(attempts=5, base_delay=30.0, max_delay=30.0,
                                                 rng=random.Random(1)))
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    with pytest.raises(ServerFailed):
        transport.call("GET", "/v1/health", Health, cancel=cancel)
    assert time.monotonic() - started < 5
    assert len(handler.seen) == 1


def test_a_server_that_never_answers_times_out_with_a_clear_error() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        timeout = httpx.Timeout(connect=1.0, read=0.3, write=1.0, pool=1.0)
        started = time.monotonic()
        with pytest.raises(ServerUnreachable, match="did not answer in time"):
            _client(url, RetryPolicy(attempts=2, base_delay=0.01), timeout).health()
        assert time.monotonic() - started < 5
    finally:
        silent.close()


def test_an_expired_sign_in_keeps_every_edit_until_the_password_is_given(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    engine = make_engine(institute.url)
    sessions = table_of("auth_sessions")
    with engine.begin() as c:  # thirty days later: every saved sign-in has expired
        c.execute(update(sessions).values(expires_at=now() - timedelta(days=1)))
    engine.dispose()
    _school(admin, institute)
    waiting = admin.replica.pending_changes()
    with pytest.raises(NeedsLogin, match="sign in needed"):
        _sync(admin)
    add_subject(admin.replica, admin.user_id, code="LATER", topics=1)  # work goes on
    queued = admin.replica.pending_changes()
    assert queued > waiting
    report = sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY,
                          password=lambda: PASSWORD)
    assert report.sent == queued and admin.replica.pending_changes() == 0
    assert_same_as_server(institute, admin)


def test_silent_drift_is_found_by_the_count_check_and_repaired(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    school = _school(admin, institute)
    _sync(admin)
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    lost_topic = school["topics"][0]  # type: ignore[index]
    topics = table_of("topics")
    # Drift no sync would notice by itself: a row vanishes from the replica behind its back.
    with faculty.replica.apply_remote() as c:
        c.execute(delete(topics).where(topics.c.id == lost_topic))
    assert get_field(faculty.replica, "topics", lost_topic, "name") is None
    report = _sync(faculty)
    assert "topics" in report.repaired and not report.mismatched  # type: ignore[attr-defined]
    assert get_field(faculty.replica, "topics", lost_topic, "name") == "Topic 0"
    assert_same_as_server(institute, faculty)


def test_admins_see_which_desks_have_a_wrong_clock(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    two_days = 2 * 24 * 3600 * 1000
    faculty.replica.clock._physical = lambda: wall_clock_ms() + two_days
    _sync(faculty)
    skewed = skewed_devices(admin.replica, admin.credentials)
    assert [c.device_id for c in skewed] == [faculty.replica.device_id]
    assert skewed[0].email == institute.emails["faculty"]
    assert skewed[0].description == "runs 2 d ahead of the server"
    every = device_clocks(client_for(admin.replica, admin.credentials))
    assert admin.replica.device_id in {c.device_id for c in every if not c.large}
    with pytest.raises(RequestRefused) as refused:
        skewed_devices(faculty.replica, faculty.credentials)
    assert refused.value.status == 403


def test_offsets_are_described_for_people() -> None:
    assert describe_offset(-(3 * 3600 + 5 * 60) * 1000) == "runs 3 h 5 min ahead of the server"
    assert describe_offset(42_000) == "runs 42 s behind the server"
    assert describe_offset(300) == "matches the server"
