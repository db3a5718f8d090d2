"""A busy server keeps the database connections it opened: over a real socket, uvicorn in a
child process with a pool of 2 x INSTITUTE_DB_POOL_SIZE.

With overflow connections, every connection above the pool's size was closed as its request
returned it and a new one opened for the next: under 200 desks most requests started a
PostgreSQL backend (docs/sync.md, "6 Dec 2026, late")."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD
from tests.support.server import ServerProcess, create_user, prepare_server_db, running_server

_POOL_SIZE = 2  # INSTITUTE_DB_POOL_SIZE: the server keeps up to twice this open
_AT_ONCE = 24


@pytest.fixture(scope="module")
def pool_db(pg_admin_url: str) -> Iterator[str]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        create_user(url, email="admin@example.org", password=PASSWORD, role="admin")
        yield url


@pytest.fixture(scope="module")
def server(pool_db: str) -> Iterator[ServerProcess]:
    with running_server(pool_db, INSTITUTE_DB_POOL_SIZE=str(_POOL_SIZE)) as running:
        yield running


def _backends(url: str) -> set[int]:
    """The server's connections to its database (not this one)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                            " AND pid <> pg_backend_pid()").fetchall()
    return {pid for pid, in rows}


def _burst(server: ServerProcess, token: str) -> list[int]:
    """`_AT_ONCE` pulls at the same time; their status codes."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, timeout=60,
                      limits=httpx.Limits(max_connections=_AT_ONCE)) as http, \
            ThreadPoolExecutor(_AT_ONCE) as pool:
        return list(pool.map(lambda _: http.get("/v1/sync/pull", headers=headers).status_code,
                             range(_AT_ONCE)))


def test_connections_opened_under_load_stay_open_for_the_next_requests(
        server: ServerProcess, pool_db: str) -> None:
    login = httpx.post(f"{server.base_url}/v1/auth/login",
                       json={"email": "admin@example.org", "password": PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    # Until a burst needed more connections at once than half the pool (the old pool's size):
    # the ones above it are the ones that used to be closed as their requests ended.
    for _ in range(5):
        assert _burst(server, token) == [200] * _AT_ONCE
        first = _backends(pool_db)
        if len(first) > _POOL_SIZE:
            break
    assert _POOL_SIZE < len(first) <= 2 * _POOL_SIZE, first
    for _ in range(3):
        assert _burst(server, token) == [200] * _AT_ONCE
        assert _backends(pool_db) == first
