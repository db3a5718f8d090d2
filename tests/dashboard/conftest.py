"""Dashboard and reports screens over the known-answer institute of tests/analytics."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_app.context import AppContext
from desktop_app.tasks import TaskManager
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.services.auth import CurrentUser
from tests.analytics.institute import Institute, build_institute


@pytest.fixture(autouse=True)
def gui_thread_garbage(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Collect chart garbage on the GUI thread around each test (a worker that finalises a
    Qt graphics item crashes); automatic collection stays off (tests/conftest.py)."""
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def admin_ctx(replica: Replica, institute: Institute, tasks: TaskManager) -> AppContext:
    user = CurrentUser(institute.admin, "admin@example.org", "Admin", Role.ADMIN, None)
    return AppContext(replica, tasks, user)


@pytest.fixture
def dev_ctx(replica: Replica, institute: Institute, tasks: TaskManager) -> AppContext:
    """Dev Singh, the faculty member who teaches the Evening Python batch."""
    user = CurrentUser(institute.admin, "dev@example.org", "Dev Singh", Role.FACULTY,
                       institute.dev)
    return AppContext(replica, tasks, user)
