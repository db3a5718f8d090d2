"""Over a real socket: uvicorn in a child process, httpx as the client."""

from __future__ import annotations

import json
import select as readiness
import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from institute_core.schema import table_of
from sync_server.settings import sqlalchemy_url
from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD, Device, new_row
from tests.support.server import ServerProcess, create_user, prepare_server_db, running_server


@pytest.fixture(scope="module")
def live_db(pg_admin_url: str) -> Iterator[str]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        create_user(url, email="admin@example.org", password=PASSWORD, role="admin")
        create_user(url, email="gone@example.org", password=PASSWORD, role="faculty",
                    status="inactive")
        yield url


@pytest.fixture(scope="module")
def live(live_db: str) -> Iterator[ServerProcess]:
    with running_server(live_db, INSTITUTE_LOGIN_MAX_FAILURES="3",
                        INSTITUTE_MAX_BODY_BYTES="200000") as server:
        yield server


@pytest.fixture
def http(live: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        yield client


def _count(url: str, table: str) -> int:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table_of(table)))
                       .scalar_one())
    finally:
        engine.dispose()


def test_login_me_refresh_logout(http: httpx.Client) -> None:
    r = http.post("/v1/auth/login", json={"email": "Admin@Example.org", "password": PASSWORD})
    assert r.status_code == 200
    pair = r.json()
    me = http.get("/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.json()["email"] == "admin@example.org"
    refreshed = http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    reused = http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401  # rotated: the old refresh token is spent
    token = refreshed.json()["access_token"]
    assert http.post("/v1/auth/logout",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 204
    after = http.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401 and after.json()["error"] == "token_revoked"
    gone = http.post("/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]})
    assert gone.status_code == 401


def test_wrong_password_unknown_user_inactive_account(http: httpx.Client) -> None:
    wrong = http.post("/v1/auth/login", json={"email": "admin@example.org", "password": "nope"})
    unknown = http.post("/v1/auth/login", json={"email": "who@example.org", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # nothing tells which emails exist
    inactive = http.post("/v1/auth/login", json={"email": "gone@example.org",
                                                 "password": PASSWORD})
    assert inactive.status_code == 403
    assert inactive.json()["error"] == "account_inactive"
    assert "inactive" in inactive.json()["detail"].lower()


def test_repeated_failures_are_slowed_down_with_retry_after(http: httpx.Client,
                                                            live_db: str) -> None:
    create_user(live_db, email="slow@example.org", password=PASSWORD, role="counselor")
    for _ in range(3):
        r = http.post("/v1/auth/login", json={"email": "slow@example.org", "password": "bad"})
        assert r.status_code == 401
    blocked = http.post("/v1/auth/login", json={"email": "slow@example.org",
                                                "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json()["error"] == "too_many_attempts"


def test_bad_requests_get_json_errors(http: httpx.Client, live_db: str) -> None:
    malformed = http.post("/v1/auth/login", content=b'{"email": ',
                          headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and malformed.json()["error"] == "invalid_request"
    missing = http.post("/v1/auth/login", json={"email": "a@b.c"})
    assert missing.status_code == 422 and "password" in missing.json()["fields"]
    huge = http.post("/v1/auth/login", content=b"x" * 300_000,
                     headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["error"] == "body_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b" " * 10_000

    streamed = http.post("/v1/auth/login", content=chunks(),
                         headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    no_token = http.get("/v1/sync/pull")
    assert no_token.status_code == 401 and no_token.json()["error"] == "not_authenticated"
    assert http.get("/openapi.json").json()["paths"]["/v1/sync/push"]
    assert http.get("/v1/ready").json() == {"status": "ready"}


_PUSH_HEAD = (b"POST /v1/sync/push HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\n")
# What a script on a stolen laptop can write to the socket that no HTTP client would.
_MALFORMED_HTTP = {
    "not HTTP at all": b"HELLO\r\n\r\n",
    "a header without a colon": b"GET /v1/health HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
    "a NUL in the path": b"GET /v1/he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n",
    "a chunk size that is not hex": _PUSH_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
                                    b"ZZ\r\nabc\r\n0\r\n\r\n",
    # Request smuggling: two framings, which a proxy and the server could read differently.
    "both Content-Length and chunked": _PUSH_HEAD + b"Content-Length: 5\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "a negative Content-Length": _PUSH_HEAD + b"Content-Length: -5\r\n\r\n",
    "an HTTP/2 preface on HTTP/1.1": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
}


def _answer(conn: socket.socket) -> tuple[bytes, bytes]:
    """(status line and headers, body) of one answer read off a raw socket: the head and the
    body can come in separate reads."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(4096)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length and (chunk := conn.recv(4096)):
        body += chunk
    return head, body


@pytest.mark.parametrize("raw", _MALFORMED_HTTP.values(), ids=list(_MALFORMED_HTTP))
def test_malformed_http_is_a_400_and_the_server_keeps_serving(live: ServerProcess,
                                                              raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as conn:
        conn.sendall(raw)
        head, _body = _answer(conn)
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert httpx.get(live.base_url + "/v1/health", timeout=10).status_code == 200


def test_an_endless_chunked_body_is_cut_off_at_the_limit(live: ServerProcess) -> None:
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as conn:
        # The sign-in, which anyone may call: the limit, not a missing token, must stop it.
        conn.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + chunk * 4)
        head, body = _answer(conn)
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"body_too_large" in body


def test_headers_that_never_end_get_431_and_the_connection_is_closed(
        live: ServerProcess) -> None:
    line = b"X-Pad: " + b"a" * 4000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as conn:
        conn.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        # Headers a line at a time until the server answers (it must before 1 MB is sent):
        # the answer is read while the connection is still open, before anything is reset.
        for _ in range(250):
            conn.sendall(line)
            if readiness.select([conn], [], [], 0.05)[0]:
                break
        head, body = _answer(conn)
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert json.loads(body)["error"] == "headers_too_large"
    assert httpx.get(live.base_url + "/v1/health", timeout=10).status_code == 200


def test_a_large_cookie_within_the_bound_is_served(live: ServerProcess) -> None:
    answer = httpx.get(live.base_url + "/v1/health", timeout=10,
                       headers={"Cookie": "x=" + "a" * 20_000})
    assert answer.status_code == 200


def test_too_old_client_is_told_to_update_and_nothing_changes(http: httpx.Client,
                                                              live_db: str) -> None:
    admin = Device(http, "admin@example.org").sign_in()
    before = _count(live_db, "subjects")
    body = {"device_id": str(admin.device_id), "schema_version": 0,
            "changes": [admin.change("subjects", uuid.uuid4(),
                                     new_row(name="Old", code="OLD", duration_hours=1))]}
    by_header = http.post("/v1/sync/push", json=body,
                          headers={**admin.headers(), "X-Schema-Version": "0"})
    assert by_header.status_code == 426
    assert by_header.json() == {
        "error": "client_too_old",
        "detail": "This version of Institute Desk is too old for the server: update the app."}
    by_body = http.post("/v1/sync/push", json=body, headers=admin.headers())
    assert by_body.status_code == 426
    assert _count(live_db, "subjects") == before


def test_server_killed_mid_push_then_retry_applies_everything_exactly_once(
        live_db: str) -> None:
    with running_server(live_db) as server, httpx.Client(base_url=server.base_url,
                                                         timeout=60) as http:
        admin = Device(http, "admin@example.org").sign_in()
        changes = [admin.change("subjects", uuid.uuid4(), new_row(
            name=f"S{i}", code=f"K{uuid.uuid4().hex[:10]}", duration_hours=1))
            for i in range(800)]
        before = _count(live_db, "subjects")
        outcome: dict[str, object] = {}

        def send() -> None:
            try:
                outcome["response"] = admin.push_raw(changes)
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        # Kill as soon as the request is in flight (the push takes far longer than this).
        sender.join(timeout=0.3)
        server.process.kill()
        sender.join(timeout=30)
        assert "error" in outcome or "response" in outcome
    with running_server(live_db) as server, httpx.Client(base_url=server.base_url,
                                                         timeout=60) as http:
        admin.http = http
        results = admin.push(*changes)
        assert {r["outcome"] for r in results} <= {"applied", "duplicate"}
        assert _count(live_db, "subjects") == before + len(changes)
        again = admin.push(*changes)
        assert {r["outcome"] for r in again} == {"duplicate"}
        assert _count(live_db, "subjects") == before + len(changes)
