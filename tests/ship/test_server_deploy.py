"""The sync server as an operator deploys it: `serve` with workers, readiness, access logs,
request limits, and `create-admin` reading the password from a terminal without echoing it."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from sync_server.settings import make_engine
from tests.support.server import (
    REPO_ROOT,
    TEST_SECRET,
    create_user,
    free_port,
    prepare_server_db,
    running_server,
)

PASSWORD = "Correct-Horse-42"


def _env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "INSTITUTE_SECRET_KEY": TEST_SECRET,
            "PYTHONPATH": str(REPO_ROOT), **extra}


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited early"
        try:
            if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not answer")


def test_serve_with_workers_logs_json_and_guards_requests(pg_url: str, tmp_path: Path) -> None:
    prepare_server_db(pg_url)
    create_user(pg_url, email="boss@example.org", password=PASSWORD, role="admin")
    port = free_port()
    out_path = tmp_path / "serve.out"
    with open(out_path, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sync_server.cli", "serve", "--workers", "2",
             "--host", "127.0.0.1", "--port", str(port)],
            env=_env(pg_url, INSTITUTE_MAX_BODY_BYTES="2000"), stdout=out,
            stderr=subprocess.STDOUT, cwd=str(REPO_ROOT))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        ready = httpx.get(base + "/v1/ready")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        wrong = httpx.post(base + "/v1/auth/login",
                           json={"email": "boss@example.org", "password": "not-" + PASSWORD})
        assert wrong.status_code == 401
        right = httpx.post(base + "/v1/auth/login",
                           json={"email": "boss@example.org", "password": PASSWORD})
        assert right.status_code == 200
        huge = httpx.post(base + "/v1/sync/push", content=b"x" * 5000,
                          headers={"content-type": "application/json"})
        assert huge.status_code == 413
        assert "2000 bytes" in huge.json()["detail"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    output = out_path.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    seen = {(e["method"], e["path"], e["status"]) for e in lines}
    assert ("POST", "/v1/auth/login", 401) in seen
    assert ("POST", "/v1/auth/login", 200) in seen
    assert ("POST", "/v1/sync/push", 413) in seen
    assert all(e["duration_ms"] >= 0 and e["client"] == "127.0.0.1" for e in lines)
    assert PASSWORD not in output
    assert "access_token" not in output


def test_ready_refuses_until_the_database_is_migrated(pg_url: str) -> None:
    engine = make_engine(pg_url)
    prepare_server_db(pg_url)
    with engine.begin() as conn:  # pretend the schema is one migration behind the code
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    with running_server(pg_url) as server:
        behind = httpx.get(server.base_url + "/v1/ready")
        assert behind.status_code == 503
        assert behind.json()["error"] == "schema_not_migrated"
        assert "institute-sync-server upgrade" in behind.json()["detail"]
        assert httpx.get(server.base_url + "/v1/health").status_code == 200


def _own_terminal() -> None:
    # A new session whose controlling terminal is the pty: getpass talks to /dev/tty.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _run_on_terminal(args: list[str], env: dict[str, str], answers: list[str]) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as stdin/stdout/stderr, typing `answers` at prompts."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal, env=env,
                               cwd=str(REPO_ROOT), preexec_fn=_own_terminal)
    os.close(terminal)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if pending and chunk.rstrip().endswith(b":"):
                os.write(controller, (pending.pop(0) + "\n").encode())
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    os.close(controller)
    return code, seen.decode(errors="replace")


def test_create_admin_prompts_without_echo_and_never_takes_argv(pg_url: str) -> None:
    prepare_server_db(pg_url)
    cli = [sys.executable, "-m", "sync_server.cli", "create-admin", "--email",
           "owner@example.org", "--first-name", "Owner"]
    code, screen = _run_on_terminal(cli, _env(pg_url), [PASSWORD, "different-password"])
    assert code == 2 and "the passwords differ" in screen
    code, screen = _run_on_terminal(cli, _env(pg_url), [PASSWORD, PASSWORD])
    assert code == 0, screen
    assert "Password:" in screen and "created admin owner@example.org" in screen
    assert PASSWORD not in screen  # the terminal never showed what was typed
    refused = subprocess.run([*cli, "--password", PASSWORD], env=_env(pg_url),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stderr
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users "
                                   "WHERE email = 'owner@example.org'")).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2") and PASSWORD not in stored
    with running_server(pg_url) as server:
        signed_in = httpx.post(server.base_url + "/v1/auth/login",
                               json={"email": "owner@example.org", "password": PASSWORD})
        assert signed_in.status_code == 200


@pytest.mark.parametrize("wrong", ["", "short"])
def test_create_admin_from_stdin_refuses_weak_passwords(pg_url: str, wrong: str) -> None:
    prepare_server_db(pg_url)
    made = subprocess.run([sys.executable, "-m", "sync_server.cli", "create-admin", "--email",
                           "x@example.org", "--first-name", "X"], input=wrong + "\n",
                          env=_env(pg_url), capture_output=True, text=True, timeout=60)
    assert made.returncode == 2 and "at least 8" in made.stderr


def test_failed_sign_ins_from_one_address_are_limited_across_emails(pg_url: str) -> None:
    prepare_server_db(pg_url)
    create_user(pg_url, email="real@example.org", password=PASSWORD, role="admin")
    attacker = {"X-Forwarded-For": "198.51.100.7"}  # uvicorn trusts it from 127.0.0.1
    with running_server(pg_url, INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="3") as server:
        login = server.base_url + "/v1/auth/login"
        for n in range(3):  # three different accounts guessed: no email reaches its own limit
            wrong = httpx.post(login, headers=attacker,
                               json={"email": f"guess{n}@example.org", "password": "x" * 9})
            assert wrong.status_code == 401
        blocked = httpx.post(login, headers=attacker,
                             json={"email": "real@example.org", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert "from this network address" in blocked.json()["detail"]
        elsewhere = httpx.post(login, headers={"X-Forwarded-For": "203.0.113.9"},
                               json={"email": "real@example.org", "password": PASSWORD})
        assert elsewhere.status_code == 200  # other people are not locked out
