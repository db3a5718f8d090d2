"""Shared fixtures: a real PostgreSQL per test, a fresh replica per test, offscreen Qt."""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.pg import admin_url, throwaway_database

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from pytestqt.qtbot import QtBot
    from sqlalchemy import Engine


@pytest.fixture(autouse=True)
def garbage_collected_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """As in the app (desktop_app/gui_gc.py): no automatic cycle collection, which could run
    on a worker thread and finalise Qt objects there (a segfault "Garbage-collecting" in a
    background task); Qt tests collect from a GUI-thread timer, and every test ends with a
    collection on the main thread.

    A window must be destroyed by Qt, never by the collector. A collection that finalises a
    live window empties the __dict__ of its Python objects in no particular order and only then
    deletes the C++ tree, and Qt calls their overrides on the way ("'RowsModel' object has no
    attribute '_columns'" from headerData). pytest-qt keeps only a weak reference to a widget
    given to `qtbot.addWidget`, so once the test function returned, its window was garbage,
    and the GUI-thread collector firing in pytest-qt's processEvents() before the widgets are
    closed tore it down that way. So registered widgets are held here until pytest-qt has
    closed them and called deleteLater(), which hands them to Qt; and a test that leaves a
    window of its own that nobody will delete fails (see `_windows_left_to_the_collector`)."""
    gc.disable()
    kept: list[QWidget] = []
    windows_before: set[int] | None = None  # None: not a Qt test
    if {"qapp", "qtbot"} & set(request.fixturenames):
        from desktop_app.gui_gc import collect_garbage_on_gui_thread

        request.getfixturevalue("qapp")
        collect_garbage_on_gui_thread()
        windows_before = _top_level_windows()
    if "qtbot" in request.fixturenames:
        _keep_registered_widgets(request.getfixturevalue("qtbot"), kept)
    yield
    left = [] if windows_before is None else _windows_left_to_the_collector(windows_before)
    kept.clear()
    gc.collect()
    if left:
        pytest.fail("windows left for the garbage collector to destroy (register them with "
                    "qtbot.addWidget, give them a parent, or deleteLater() them): "
                    + ", ".join(left), pytrace=False)


def _keep_registered_widgets(qtbot: QtBot, kept: list[QWidget]) -> None:
    """Make `qtbot.addWidget` (and its alias) also keep a strong reference in `kept`."""
    register = qtbot.addWidget

    def add_and_keep(widget: QWidget, *,
                     before_close_func: Callable[[QWidget], None] | None = None) -> None:
        register(widget, before_close_func=before_close_func)
        kept.append(widget)

    qtbot.addWidget = add_and_keep  # type: ignore[method-assign]
    qtbot.add_widget = add_and_keep  # type: ignore[method-assign]


def _top_level_windows() -> set[int]:
    """The C++ addresses of the application's top-level widgets."""
    import shiboken6
    from PySide6.QtWidgets import QApplication

    return {shiboken6.getCppPointer(w)[0] for w in QApplication.topLevelWidgets()}


def _windows_left_to_the_collector(before: set[int]) -> list[str]:
    """Top-level widgets this test made that only a garbage collection would ever delete.

    Python owns a widget that has no parent and was not handed to Qt with deleteLater() (which
    pytest-qt does to registered widgets when it closes them): when its last reference goes,
    a collection destroys it, live. Menus are left out: pyqtgraph keeps its context menus
    that way, and they hold no Python model.
    """
    import shiboken6
    from PySide6.QtWidgets import QApplication, QMenu

    return [f"{type(w).__module__}.{type(w).__qualname__}"
            for w in QApplication.topLevelWidgets()
            if w.parent() is None and not isinstance(w, QMenu)
            and shiboken6.ownedByPython(w) and shiboken6.getCppPointer(w)[0] not in before]


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


@pytest.fixture(params=["sqlite", "postgresql"])
def migration_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind, opened for migrations as its owner opens it: a desk's
    replica file (foreign keys off, each upgrade or downgrade one real transaction, so a refused
    downgrade leaves the schema as it was) or a throwaway PostgreSQL database."""
    from sqlalchemy import create_engine

    from institute_core.replica.database import migration_engine

    if request.param == "sqlite":
        made = migration_engine(tmp_path / "desk.sqlite3")
    else:
        made = create_engine(request.getfixturevalue("sa_pg_url"))
    yield made
    made.dispose()


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
