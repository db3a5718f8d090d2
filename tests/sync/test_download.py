"""A first download: several pages per transaction, interrupted anywhere, malformed pages."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from institute_core.replica import Replica
from institute_core.replica import indexes as indexes_module
from institute_core.replica.database import REPLICA_FILENAME
from institute_core.replica.indexes import DEFERRED_KEY, defer_indexes, restore_indexes
from institute_core.schema import SYNCED_TABLES
from institute_core.sync import runner as runner_module
from institute_core.sync.account import connect, sync_replica
from institute_core.sync.client import SyncClient
from institute_core.sync.credentials import MemoryCredentials
from institute_core.sync.errors import SyncError
from institute_core.sync.runner import SyncOptions
from institute_core.sync.transport import Transport
from tests.support.server import ServerProcess
from tests.sync.builders import replica_rows
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk
from tests.sync.test_e2e import _school

# Small pages, so that the few rows of a test span many pages and several transactions.
PAGES = SyncOptions(page_limit=3, download_rows_per_commit=10)
PAGE_BY_PAGE = SyncOptions(page_limit=3, download_rows_per_commit=1)


def _indexes(replica: Replica) -> set[tuple[str, str, str]]:
    """Every index SQLite holds: (table, name, definition). (Tables are compared by name only
    elsewhere: the migrations write a table's constraints in no fixed order.)"""
    with replica.engine.connect() as connection:
        return {(str(r[0]), str(r[1]), str(r[2])) for r in connection.exec_driver_sql(
            "SELECT tbl_name, name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index'")}


@pytest.fixture
def school(institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path
           ) -> Desk:
    """An admin desk that entered a subject and students: about 40 rows to download."""
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"],
                         name="source")
    _school(admin, institute, students=6)
    sync_replica(admin.replica, admin.credentials, retry=FAST_RETRY)
    return admin


def test_a_download_of_many_pages_per_transaction_equals_one_page_at_a_time(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path,
        school: Desk) -> None:
    email = institute.emails["admin"]
    grouped, report = open_desk(desks, tmp_path, server.base_url, email, name="grouped",
                                options=PAGES)
    single, _ = open_desk(desks, tmp_path, server.base_url, email, name="single",
                          options=PAGE_BY_PAGE)
    assert report.received > 3 * PAGES.download_rows_per_commit
    assert replica_rows(grouped.replica) == replica_rows(single.replica) \
        == replica_rows(school.replica)


def _stop_at_apply(monkeypatch: pytest.MonkeyPatch, call: int, error: BaseException) -> None:
    """The runner's `call`-th transaction of pulled rows raises `error` instead."""
    applied = runner_module.apply_page
    calls = 0

    def stopping(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise error
        return applied(*args, **kwargs)

    monkeypatch.setattr(runner_module, "apply_page", stopping)


def test_an_interrupted_download_resumes_to_the_same_replica(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path,
        school: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure between two transactions of a download (the app killed, the network gone)
    leaves what was committed; the next sync completes it, nothing skipped or doubled."""
    _stop_at_apply(monkeypatch, 3, RuntimeError("the desk stopped here"))
    with pytest.raises(RuntimeError, match="stopped here"):
        _first_sync(tmp_path / "cut", server, institute.emails["admin"])
    monkeypatch.undo()
    cut = Replica.open(tmp_path / "cut")
    try:
        partial = sum(map(len, replica_rows(cut).values()))
        assert 0 < partial < sum(map(len, replica_rows(school.replica).values()))
        _resume(cut, school, server)
        assert replica_rows(cut) == replica_rows(school.replica)
        fresh = Replica.open(tmp_path / "fresh")
        try:
            assert _indexes(cut) == _indexes(fresh)
        finally:
            fresh.close()
    finally:
        cut.close()


def _page(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"rows": rows, "next_cursor": "1", "has_more": False,
                       "server_time_ms": 0}).encode()


@pytest.mark.parametrize(("row", "named"), [
    ({"table": "students", "id": str(uuid.uuid4()), "values": {}}, "rows.0.version"),
    ({"table": "students", "id": "not-a-uuid", "version": 1, "values": {}}, "rows.0.id"),
    ({"table": "students", "id": str(uuid.uuid4()), "version": 1, "values": []},
     "rows.0.values"),
])
def test_a_malformed_pull_page_is_refused_naming_what_is_wrong(
        row: dict[str, Any], named: str) -> None:
    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_page([row]))

    transport = Transport("http://server", http=httpx.Client(
        base_url="http://server", transport=httpx.MockTransport(answer)))
    client = SyncClient(transport, MemoryCredentials(), "admin@example.org")
    client._access = "token"
    with pytest.raises(SyncError, match=rf"cannot read \(PullResponse\).*{named}"):
        client.pull("", 10)


class _FailingBuild:
    """A connection to the replica whose second CREATE INDEX fails (the desk stops there)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.built = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("CREATE INDEX"):
            self.built += 1
            if self.built == 2:
                raise sqlite3.OperationalError("the desk stopped while building indexes")
        return self._connection.execute(sql, *args)

    def close(self) -> None:
        self._connection.close()


def _first_sync(folder: Path, server: ServerProcess, email: str) -> None:
    replica = Replica.open(folder)
    try:
        connect(replica, server.base_url, email, PASSWORD, MemoryCredentials(),
                retry=FAST_RETRY, options=PAGES)
    finally:
        replica.close()


def _resume(cut: Replica, school: Desk, server: ServerProcess) -> None:
    sync_replica(cut, school.credentials, retry=FAST_RETRY, options=PAGES,
                 client=SyncClient(Transport(server.base_url, retry=FAST_RETRY),
                                   school.credentials, school.email))


@pytest.mark.parametrize("stop", ["between pages", "building indexes"])
def test_a_download_killed_before_its_indexes_are_built_gets_them_back_on_opening(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path,
        school: Desk, monkeypatch: pytest.MonkeyPatch, stop: str) -> None:
    """The plain indexes of empty tables are dropped for a download: a desk killed before it
    built them again (no `finally` runs after kill -9) builds them when it opens the replica,
    and a failure while building them leaves them all to build, never some of them."""
    if stop == "between pages":
        # As kill -9: no cleanup runs on the way out.
        _stop_at_apply(monkeypatch, 2, KeyboardInterrupt())
        monkeypatch.setattr(runner_module, "restore_indexes", lambda _path: [])
        expected: type[BaseException] = KeyboardInterrupt
    else:
        connect = indexes_module._connect
        monkeypatch.setattr(indexes_module, "_connect",
                            lambda path: _FailingBuild(connect(path)))
        expected = sqlite3.OperationalError
    with pytest.raises(expected):
        _first_sync(tmp_path / "cut", server, school.email)
    monkeypatch.undo()
    fresh = Replica.open(tmp_path / "fresh")
    try:
        with sqlite3.connect(tmp_path / "cut" / REPLICA_FILENAME) as raw:
            left = {r[0] for r in raw.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'index'")}
        assert {name for _table, name, _sql in _indexes(fresh)} - left  # some were missing
        cut = Replica.open(tmp_path / "cut")
        try:
            assert _indexes(cut) == _indexes(fresh)
            assert cut.get_state(DEFERRED_KEY) is None
            _resume(cut, school, server)
            assert replica_rows(cut) == replica_rows(school.replica)
            assert _indexes(cut) == _indexes(fresh)
        finally:
            cut.close()
    finally:
        fresh.close()


def test_a_download_sets_aside_only_plain_indexes(tmp_path: Path) -> None:
    """UNIQUE indexes stay while rows arrive: SQLite still refuses a clashing row at once."""
    replica = Replica.open(tmp_path / "desk")
    try:
        before = _indexes(replica)
        dropped = defer_indexes(replica.path, SYNCED_TABLES)
        after = _indexes(replica)
        assert dropped and {name for _t, name, _s in before - after} == set(dropped)
        assert all("UNIQUE" not in sql.upper() for _t, _n, sql in before - after)
        # The indexes SQLite keeps for primary keys and UNIQUE constraints have no statement
        kept = {index for index in before if not index[2] or "UNIQUE" in index[2].upper()}
        assert kept and kept <= after
        assert restore_indexes(replica.path) == dropped
        assert _indexes(replica) == before
    finally:
        replica.close()
