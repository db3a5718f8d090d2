"""The login window: offline sign-in, refusals with their reasons, standalone institute."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.login.window import LoginWindow
from desktop_app.tasks import TaskManager
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.services.auth import MESSAGES, LoginProblem
from tests.services.fixtures import PASSWORD, Institute


def _login(qtbot, replica: Replica, tasks: TaskManager, credentials) -> LoginWindow:  # type: ignore[no-untyped-def]
    window = LoginWindow(replica, tasks, credentials)
    qtbot.addWidget(window)
    window.show_sign_in()
    window.show()
    return window


def test_offline_sign_in_with_the_keyboard(qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
                                           tasks: TaskManager, credentials) -> None:
    window = _login(qtbot, replica, tasks, credentials)
    qtbot.keyClicks(window.email, "faculty@example.org")
    qtbot.keyClicks(window.password, PASSWORD)
    with qtbot.waitSignal(window.sig_signed_in, timeout=5000) as signed:
        qtbot.keyClick(window.password, Qt.Key.Key_Return)
    user = signed.args[0]
    assert (user.role, user.faculty_id) == (Role.FACULTY, institute.faculty_id)
    assert window.password.text() == ""  # the password does not linger in the widget


def test_wrong_password_and_unknown_user_are_told_apart(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                        institute: Institute,
                                                        tasks: TaskManager, credentials) -> None:
    window = _login(qtbot, replica, tasks, credentials)
    signed: list[object] = []
    window.sig_signed_in.connect(signed.append)
    for email, password, problem in (("faculty@example.org", "nope", LoginProblem.WRONG_PASSWORD),
                                     ("who@example.org", PASSWORD, LoginProblem.UNKNOWN_USER),
                                     ("gone@example.org", PASSWORD, LoginProblem.INACTIVE)):
        window.email.setText(email)
        window.password.setText(password)
        window.sign_in_button.click()
        qtbot.waitUntil(lambda p=problem: window.sign_in_message.text() == MESSAGES[p],
                        timeout=5000)
        assert window.sign_in_button.isEnabled()
    assert signed == []


def test_first_run_standalone_creates_the_admin(qtbot, replica: Replica, tasks: TaskManager,  # type: ignore[no-untyped-def]
                                                credentials) -> None:
    window = LoginWindow(replica, tasks, credentials)
    qtbot.addWidget(window)
    window.show_first_run()
    window.standalone_choice.click()
    assert window.pages.currentWidget() is window.standalone_page
    window.admin_name.setText("Priya Rao")
    window.admin_email.setText("priya@example.org")
    window.admin_password.setText("a long password")
    window.admin_confirm.setText("a different one")
    window.create_button.click()
    assert window.standalone_message.text() == "The two passwords differ."
    window.admin_confirm.setText("a long password")
    with qtbot.waitSignal(window.sig_signed_in, timeout=5000) as signed:
        window.create_button.click()
    assert signed.args[0].role is Role.ADMIN
