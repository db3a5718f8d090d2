"""A real PostgreSQL for the tests: the one named by TEST_DATABASE_URL, or a throwaway cluster.

Tests never skip PostgreSQL silently: when no server answers and no PostgreSQL binaries can start
one, the run stops with one line saying how to provide one.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

HOW_TO = ("PostgreSQL is needed for the tests and none answers at {url}: start one, or set "
          "TEST_DATABASE_URL=postgresql://USER@HOST:PORT/postgres (a user that may create "
          "databases), or put the PostgreSQL binaries (initdb, pg_ctl) on PATH.")


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_throwaway_cluster() -> str | None:
    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    if not initdb or not pg_ctl or os.geteuid() == 0:
        # PostgreSQL refuses to run as root; a root CI must provide a server instead.
        return None
    root = tempfile.mkdtemp(prefix="institute-pg-")
    port = _free_port()
    subprocess.run([initdb, "-D", root, "-U", "postgres", "-A", "trust"], check=True,
                   capture_output=True)
    subprocess.run([pg_ctl, "-D", root, "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1",
                    "-l", f"{root}/log", "-w", "start"], check=True, capture_output=True)
    atexit.register(lambda: subprocess.run([pg_ctl, "-D", root, "-m", "immediate", "stop"],
                                           capture_output=True))
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def admin_url() -> str:
    """The URL of a server where the tests may create databases; exits with advice if none."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    if _answers(url):
        return url
    started = _start_throwaway_cluster()
    if started and _answers(started):
        return started
    raise SystemExit(HOW_TO.format(url=url))


def _with_db(url: str, dbname: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{dbname}"


@contextmanager
def throwaway_database(admin: str, prefix: str = "idtest") -> Iterator[str]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_db(admin, name)
    finally:
        for _attempt in range(5):
            try:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                time.sleep(0.5)
