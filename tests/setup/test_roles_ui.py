"""The Roles tab of Setup (issue 17): roles listed, a new role built from permission checkboxes
grouped by area, permissions one lacks shown but not grantable, a role given to an account."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from desktop_app.context import AppContext
from desktop_app.setup.view import SetupView
from institute_core.access import roles
from institute_core.access.check import permissions_of
from institute_core.replica import Replica
from institute_core.services import auth
from tests.services.fixtures import PASSWORD, Institute
from tests.support.shots import shot

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from desktop_app.tasks import TaskManager

# Set to a directory to keep the screenshot (docs/ and review).


def _open(qtbot: QtBot, replica: Replica, tasks: TaskManager, email: str) -> SetupView:
    view = SetupView(AppContext(replica, tasks, auth.login_offline(replica, email, PASSWORD)))
    qtbot.addWidget(view)
    view.resize(1200, 820)
    view.show()
    view.tabs.setCurrentWidget(view.roles)
    qtbot.waitUntil(lambda: view.roles.model.rowCount() >= 5, timeout=10000)
    return view


def test_an_accountant_role_is_built_from_checkboxes_and_given_to_an_account(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager,
        tmp_path: Path) -> None:
    view = _open(qtbot, replica, tasks, "admin@example.org")
    tab = view.roles
    assert [r.name for r in tab.model.rows][:5] == ["super_admin", "admin", "faculty",
                                                    "counselor", "student"]
    # An admin does not hold setup.super_admin: it is shown, but cannot be ticked.
    items = tab.permissions._items
    assert not items["setup.super_admin"].isEnabled() and items["fees.refund"].isEnabled()
    tab.name.setText("Accountant")
    tab.description.setText("Fees and the money reports")
    for name in ("fees.all_students", "fees.refund", "reports.financial", "students.view_all"):
        items[name].setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(tab.sig_saved, timeout=10000):
        tab.save()
    qtbot.waitUntil(lambda: any(r.name == "accountant" for r in tab.model.rows), timeout=10000)
    row = next(i for i, r in enumerate(tab.model.rows) if r.name == "accountant")
    tab.table.setCurrentIndex(tab.model.index(row, 0))
    assert not tab.name.isEnabled()  # a role's name never changes
    # Implied permissions show ticked (refunds need every student's payments).
    assert items["fees.collect"].checkState() == Qt.CheckState.Checked
    assert items["crm.inquiry.edit"].checkState() == Qt.CheckState.Unchecked
    shot(view, "setup-roles")
    view.grab().save(str(tmp_path / "setup-roles.png"))

    tab.account.setCurrentIndex(tab.account.findText("Cyrus Counselor",
                                                     Qt.MatchFlag.MatchStartsWith))
    tab.assign_role.setCurrentIndex(tab.assign_role.findData("accountant"))
    with qtbot.waitSignal(tab.sig_saved, timeout=10000):
        tab.assign()
    with replica.read() as session:
        held = permissions_of(session, tab.account.currentData())
    assert "fees.refund" in held and "crm.inquiry.edit" not in held
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


def test_a_refused_grant_is_named_and_nothing_changes(qtbot: QtBot, replica: Replica,
                                                      institute: Institute,
                                                      tasks: TaskManager) -> None:
    view = _open(qtbot, replica, tasks, "admin@example.org")
    tab = view.roles
    row = next(i for i, r in enumerate(tab.model.rows) if r.name == "super_admin")
    tab.table.setCurrentIndex(tab.model.index(row, 0))
    assert not tab.delete_button.isEnabled()  # built in
    tab.description.setText("taken over")
    tab.save()
    qtbot.waitUntil(lambda: "only a super admin" in tab.message.text(), timeout=10000)
    assert {r.name: r for r in roles.list_roles(replica)}["super_admin"].description \
        != "taken over"
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
