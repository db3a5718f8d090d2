"""The login window against a real sync server: first-run connect, online and offline sign-in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_app.login.window import LoginWindow
from desktop_app.tasks import TaskManager
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.services.auth import MESSAGES, LoginProblem
from institute_core.sync.credentials import MemoryCredentials
from tests.support.server import (
    ServerProcess,
    create_user,
    free_port,
    prepare_server_db,
    running_server,
)

PASSWORD = "server password 42"


@dataclass(frozen=True)
class ServerInstitute:
    url: str
    faculty_user: uuid.UUID


@pytest.fixture
def server_institute(pg_url: str) -> ServerInstitute:
    prepare_server_db(pg_url)
    faculty = create_user(pg_url, email="faculty@example.org", password=PASSWORD,
                          role="faculty", first_name="Farah", last_name="Faculty")
    create_user(pg_url, email="left@example.org", password=PASSWORD, role="faculty",
                status="inactive")
    return ServerInstitute(pg_url, faculty)


@pytest.fixture
def server(server_institute: ServerInstitute) -> Iterator[ServerProcess]:
    with running_server(server_institute.url) as running:
        yield running


def _window(qtbot, replica: Replica, tasks: TaskManager,  # type: ignore[no-untyped-def]
            credentials: MemoryCredentials) -> LoginWindow:
    window = LoginWindow(replica, tasks, credentials)
    qtbot.addWidget(window)
    window.show_first_run()
    window.show()
    return window


def _connect(qtbot, window: LoginWindow, url: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    window.connect_choice.click()
    assert window.pages.currentWidget() is window.connect_page
    window.server_url.setText(url)
    window.connect_email.setText(email)
    window.connect_password.setText(password)
    window.connect_button.click()


def test_first_run_connect_downloads_then_signs_in_online_and_later_offline(
        qtbot, tmp_path: Path, server: ServerProcess, server_institute: ServerInstitute,  # type: ignore[no-untyped-def]
        tasks: TaskManager) -> None:
    replica = Replica.open(tmp_path / "desk")
    credentials = MemoryCredentials(persistent=False)
    try:
        window = _window(qtbot, replica, tasks, credentials)
        with qtbot.waitSignal(window.sig_signed_in, timeout=60000) as signed:
            _connect(qtbot, window, server.base_url, "faculty@example.org", PASSWORD)
            # The download runs on a worker: the window shows progress and can cancel.
            assert window.connect_progress.isVisible()
            assert window.connect_cancel.isEnabled() and not window.connect_button.isEnabled()
        user = signed.args[0]
        assert (user.user_id, user.role, user.online) == (server_institute.faculty_user,
                                                           Role.FACULTY, True)
        assert not window.connect_progress.isVisible()
        assert window.connect_password.text() == ""

        # Next start: the same person signs in against the server.
        again = LoginWindow(replica, tasks, credentials)
        qtbot.addWidget(again)
        again.show_sign_in("faculty@example.org")
        again.password.setText("not my password")
        again.sign_in_button.click()
        qtbot.waitUntil(lambda: again.sign_in_message.text() not in ("", "Checking…"),
                        timeout=30000)
        assert again.sign_in_message.text() == MESSAGES[LoginProblem.REJECTED]
        again.password.setText(PASSWORD)
        with qtbot.waitSignal(again.sig_signed_in, timeout=30000) as online:
            again.sign_in_button.click()
        assert online.args[0].online is True

        # The server goes away: the verifier cached by the online sign-in lets them in.
        server.process.terminate()
        server.process.wait(timeout=10)
        offline = LoginWindow(replica, tasks, credentials)
        qtbot.addWidget(offline)
        offline.show_sign_in("faculty@example.org")
        offline.password.setText("not my password")
        offline.sign_in_button.click()
        qtbot.waitUntil(lambda: offline.sign_in_message.text()
                        == MESSAGES[LoginProblem.WRONG_PASSWORD], timeout=60000)
        # Someone who never signed in here cannot be checked without the server: it says so.
        offline.email.setText("left@example.org")
        offline.password.setText(PASSWORD)
        offline.sign_in_button.click()
        qtbot.waitUntil(lambda: offline.sign_in_message.text()
                        == MESSAGES[LoginProblem.UNREACHABLE], timeout=60000)
        offline.email.setText("faculty@example.org")
        offline.password.setText(PASSWORD)
        with qtbot.waitSignal(offline.sig_signed_in, timeout=60000) as signed_offline:
            offline.sign_in_button.click()
        assert (signed_offline.args[0].user_id, signed_offline.args[0].online) == (
            server_institute.faculty_user, False)
    finally:
        tasks.shutdown()
        replica.close()


def test_connect_refusals_say_why_and_keep_what_was_typed(
        qtbot, tmp_path: Path, server: ServerProcess, tasks: TaskManager) -> None:  # type: ignore[no-untyped-def]
    replica = Replica.open(tmp_path / "desk")
    try:
        window = _window(qtbot, replica, tasks, MemoryCredentials(persistent=False))
        signed: list[object] = []
        window.sig_signed_in.connect(signed.append)
        _connect(qtbot, window, server.base_url, "faculty@example.org", "wrong password")
        qtbot.waitUntil(lambda: window.connect_button.isEnabled(), timeout=30000)
        assert window.connect_message.text() == MESSAGES[LoginProblem.REJECTED]
        assert window.server_url.text() == server.base_url  # nothing typed is lost
        window.connect_email.setText("left@example.org")
        window.connect_password.setText(PASSWORD)
        window.connect_button.click()
        qtbot.waitUntil(lambda: window.connect_button.isEnabled(), timeout=30000)
        assert window.connect_message.text() == MESSAGES[LoginProblem.INACTIVE]
        assert signed == []
    finally:
        tasks.shutdown()
        replica.close()


def test_cancelling_the_first_download_says_so_and_can_be_resumed(
        qtbot, tmp_path: Path, server: ServerProcess, server_institute: ServerInstitute,  # type: ignore[no-untyped-def]
        tasks: TaskManager) -> None:
    replica = Replica.open(tmp_path / "desk")
    try:
        window = _window(qtbot, replica, tasks, MemoryCredentials(persistent=False))
        signed: list[object] = []
        window.sig_signed_in.connect(signed.append)
        _connect(qtbot, window, server.base_url, "faculty@example.org", PASSWORD)
        window.connect_cancel.click()  # before the download has started: it stops at once
        qtbot.waitUntil(lambda: window.connect_button.isEnabled(), timeout=30000)
        assert window.connect_message.text() == MESSAGES[LoginProblem.CANCELLED]
        assert signed == []
        window.connect_password.setText(PASSWORD)
        with qtbot.waitSignal(window.sig_signed_in, timeout=60000) as resumed:
            window.connect_button.click()
        assert resumed.args[0].user_id == server_institute.faculty_user
    finally:
        tasks.shutdown()
        replica.close()


def test_connect_to_an_address_where_no_server_answers(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       tasks: TaskManager) -> None:
    replica = Replica.open(tmp_path / "desk")
    try:
        window = _window(qtbot, replica, tasks, MemoryCredentials(persistent=False))
        _connect(qtbot, window, f"http://127.0.0.1:{free_port()}", "faculty@example.org",
                 PASSWORD)
        qtbot.waitUntil(lambda: window.connect_button.isEnabled(), timeout=60000)
        assert window.connect_message.text().startswith("The sync server cannot be reached")
        assert window.pages.currentWidget() is window.connect_page
    finally:
        tasks.shutdown()
        replica.close()
