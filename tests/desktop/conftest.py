"""Desktop tests: offscreen Qt, a fresh replica with a small institute per test, and a check
that no background thread is left running after each test (as napari's conftest does)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
import shiboken6

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_app.context import AppContext
from desktop_app.tasks import TaskManager
from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.sync.credentials import MemoryCredentials
from tests.services.fixtures import PASSWORD, Institute, build_institute


def _python_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


@pytest.fixture(autouse=True)
def no_thread_left(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Fail a test that leaves a task running or a Python thread behind."""
    before = _python_threads()
    yield
    for manager in list(TaskManager.instances):
        if not shiboken6.isValid(manager):
            continue  # its Qt parent (a closed app) deleted it, and its threads with it
        manager.shutdown(5000)
        assert manager.active_threads() == 0, "a background task is still running"
    leaked = {t for t in _python_threads() - before if t.is_alive()}
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def credentials() -> MemoryCredentials:
    return MemoryCredentials(persistent=False)


def make_ctx(replica: Replica, tasks: TaskManager, email: str) -> AppContext:
    return AppContext(replica, tasks, auth.login_offline(replica, email, PASSWORD))


@pytest.fixture
def faculty_ctx(replica: Replica, institute: Institute, tasks: TaskManager) -> AppContext:
    return make_ctx(replica, tasks, "faculty@example.org")
