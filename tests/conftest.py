"""Shared fixtures: a real PostgreSQL per test, a fresh replica per test, offscreen Qt."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.pg import admin_url, throwaway_database


@pytest.fixture(autouse=True)
def garbage_collected_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """As in the app (desktop_app/gui_gc.py): no automatic cycle collection, which could run
    on a worker thread and finalise Qt objects there (a segfault "Garbage-collecting" in a
    background task); Qt tests collect from a GUI-thread timer, and every test ends with a
    collection on the main thread."""
    gc.disable()
    if {"qapp", "qtbot"} & set(request.fixturenames):
        from desktop_app.gui_gc import collect_garbage_on_gui_thread

        request.getfixturevalue("qapp")
        collect_garbage_on_gui_thread()
    yield
    gc.collect()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A PostgreSQL server that answers (the run stops with advice if there is none)."""
    return admin_url()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (plain postgresql:// URL)."""
    with throwaway_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def sa_pg_url(pg_url: str) -> str:
    """The same database as `pg_url`, spelled for SQLAlchemy with psycopg 3."""
    return "postgresql+psycopg://" + pg_url.split("://", 1)[1]


@pytest.fixture(scope="session")
def migrated_replica_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A replica folder migrated to head once per run, without a device identity."""
    from institute_core.replica import Replica
    from institute_core.replica.database import REPLICA_FILENAME

    folder = tmp_path_factory.mktemp("replica-template")
    Replica.open(folder).close()
    conn = sqlite3.connect(folder / REPLICA_FILENAME)
    try:
        conn.execute("DELETE FROM sync_state")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return folder


@pytest.fixture
def fresh_replica_dir(tmp_path: Path, migrated_replica_template: Path) -> Path:
    """A folder holding a new, migrated, empty replica (copied: migrating each time is slow)."""
    target = tmp_path / "replica"
    shutil.copytree(migrated_replica_template, target)
    return target


@pytest.fixture
def replica(fresh_replica_dir: Path):  # type: ignore[no-untyped-def]
    """A fresh, migrated local replica with its own device id."""
    from institute_core.replica import Replica

    opened = Replica.open(fresh_replica_dir)
    yield opened
    opened.close()
