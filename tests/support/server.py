"""A real sync server for tests: migrate a database, add users, run uvicorn in a subprocess.

    prepare_server_db(pg_url)
    admin = create_user(pg_url, email="a@x.org", password="pw-123456", role="admin")
    with running_server(pg_url) as server:
        httpx.post(server.base_url + "/v1/auth/login", json={...})
        server.process.kill()   # to test a crash mid-push
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from institute_core import migrations
from institute_core.schema import MAIN_BRANCH_ID, Faculty
from sync_server.settings import make_engine
from sync_server.users import create_user as _create_user

TEST_SECRET = "test-secret-key-0123456789abcdef"
REPO_ROOT = Path(__file__).resolve().parents[2]


def prepare_server_db(url: str) -> None:
    """Migrate the (plain postgresql://) database to head."""
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
    finally:
        engine.dispose()


def create_user(url: str, *, email: str, password: str, role: str, first_name: str = "T",
                last_name: str = "User", status: str = "active",
                branches: Sequence[uuid.UUID] = (MAIN_BRANCH_ID,)) -> uuid.UUID:
    """A server-side user with an argon2 password hash; returns the user id.

    For role "faculty" a faculties row is created too; get its id with
    `faculty_id_of(url, user_id)`.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            user_id, _faculty = _create_user(conn, email=email, password=password, role=role,
                                             first_name=first_name, last_name=last_name,
                                             status=status, branches=branches)
    finally:
        engine.dispose()
    return user_id


def faculty_id_of(url: str, user_id: uuid.UUID) -> uuid.UUID:
    """The faculties.id of a faculty user made by `create_user`."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Faculty.__table__.c.id)
                                .where(Faculty.__table__.c.user_id == user_id)).scalar_one()
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """A uvicorn server running the real app in a child process."""

    base_url: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_healthy(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"sync server exited with {server.process.returncode}:\n"
                               f"{server.log()}")
        try:
            if httpx.get(server.base_url + "/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sync server did not answer within {timeout}s:\n{server.log()}")


@contextmanager
def running_server(url: str, *, startup_timeout: float = 90.0, workers: int = 1,
                   port: int | None = None, **env: str) -> Iterator[ServerProcess]:
    """Run `institute-sync-server serve` (uvicorn, as deployed) on 127.0.0.1 and a free port.

    `workers` > 1 runs that many worker processes under uvicorn's supervisor (as deployed,
    docs/deploy.md). Extra keyword arguments become environment variables of the server (for
    example INSTITUTE_ACCESS_TOKEN_SECONDS="1"). The database must be migrated already.
    `port` restarts a server where desks already look for it (after a kill -9, say).
    """
    port = port or free_port()
    environment = {**os.environ, "DATABASE_URL": url, "INSTITUTE_SECRET_KEY": TEST_SECRET,
                   "INSTITUTE_HOST": "127.0.0.1", "INSTITUTE_PORT": str(port),
                   "PYTHONPATH": str(REPO_ROOT), **{k: str(v) for k, v in env.items()}}
    log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    log_path = log_dir / f"institute-sync-server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sync_server.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
            env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT))
    server = ServerProcess(f"http://127.0.0.1:{port}", process, port, log_path)
    try:
        _wait_until_healthy(server, startup_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if not os.environ.get("INSTITUTE_KEEP_SERVER_LOGS"):
            log_path.unlink(missing_ok=True)
