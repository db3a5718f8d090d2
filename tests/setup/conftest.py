"""Setup tests: a fresh replica with the small service-test institute in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from institute_core.enums import Role
from institute_core.replica import Replica
from tests.services.fixtures import Institute, build_institute

if TYPE_CHECKING:  # Qt is imported by the fixtures that need it, not by service tests
    from pytestqt.qtbot import QtBot

    from desktop_app.context import AppContext
    from desktop_app.setup.view import SetupView
    from desktop_app.tasks import TaskManager


@dataclass(frozen=True)
class Person:
    """Who calls a service: the services only look at the role."""

    role: str


ADMIN = Person(Role.ADMIN.value)
SUPER = Person(Role.SUPER_ADMIN.value)
COUNSELOR = Person(Role.COUNSELOR.value)
FACULTY = Person(Role.FACULTY.value)


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica, students=6)


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    from desktop_app.tasks import TaskManager

    manager = TaskManager()
    yield manager
    manager.shutdown()


@pytest.fixture
def admin_ctx(replica: Replica, institute: Institute, tasks: TaskManager) -> AppContext:
    """The admin of the test institute signed in on this desk."""
    from desktop_app.context import AppContext
    from institute_core.services import auth
    from tests.services.fixtures import PASSWORD

    return AppContext(replica, tasks, auth.login_offline(replica, "admin@example.org",
                                                         PASSWORD))


@pytest.fixture
def open_setup(qtbot: QtBot, admin_ctx: AppContext) -> Iterator[Callable[[], SetupView]]:
    """Opens the Setup section as the admin; afterwards deletes the views on this (the GUI)
    thread once the database thread is idle, so no widget is left for the garbage collector
    to free on a worker thread."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from desktop_app.setup.view import SetupView

    views: list[SetupView] = []

    def open_() -> SetupView:
        view = SetupView(admin_ctx)
        views.append(view)
        view.resize(1100, 760)
        view.show()
        return view

    yield open_
    qtbot.waitUntil(lambda: admin_ctx.tasks.idle, timeout=5000)
    for view in views:
        view.close()
        view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
