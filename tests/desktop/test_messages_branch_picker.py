"""The Messages and Notices screens with the shared branch picker (issues 17 and 19): a
template or trigger saved for the picked branch is that branch's own, the lists show the
picked branch's own with the institute's, and a new notice is for the picked branch."""

from __future__ import annotations

from desktop_app.messages.admin_view import MessagesAdminView
from desktop_app.notices.admin_view import NoticesView
from institute_core.branches.service import save_branch
from institute_core.messaging import admin
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


class _Admin:
    role = "admin"


def _texts(model, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(model.data(model.index(r, column))) for r in range(model.rowCount())]


def test_templates_and_triggers_per_branch_from_the_messages_screen(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    office = replica.actor(institute.admin_id)
    north = save_branch(replica, office, _Admin(), name="North", code="NOR")
    admin.save_template(replica, office, event="absent", language="en", channel="sms",
                        body="{student_first_name} was absent.")
    view = MessagesAdminView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.resize(1200, 620)
    view.show()
    picker = view.branch
    qtbot.waitUntil(lambda: picker.isVisible() and view.templates.model.rowCount() == 1)
    picker.pick(north)
    tab = view.templates
    assert tab.branch_box.currentData() == north  # a new one is for the branch picked
    tab.event_box.setCurrentIndex(tab.event_box.findData("absent"))
    tab.body.setPlainText("North centre: {student_first_name} was absent.")
    tab.save()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    assert sorted(_texts(tab.model, 4)) == ["Institute", "North"]
    [own] = [t for t in admin.templates(replica) if t.branch_id is not None]
    assert own.branch_id == north and own.body.startswith("North centre")
    shot(view, "messages_templates_branch")

    triggers = view.triggers
    view.tabs.setCurrentWidget(triggers)
    triggers.name.setText("Absent (North)")
    triggers.enabled.setChecked(True)
    triggers.save()
    qtbot.waitUntil(lambda: triggers.model.rowCount() == 1)
    [saved] = admin.triggers(replica)
    assert saved.branch_id == north
    shot(view, "messages_triggers_branch")

    # Main shows the institute's template only, and not North's trigger.
    picker.pick(MAIN_BRANCH_ID)
    assert _texts(tab.model, 4) == ["Institute"]
    assert triggers.model.rowCount() == 0
    picker.pick(None)  # all branches: everything
    assert tab.model.rowCount() == 2 and triggers.model.rowCount() == 1


def test_the_notices_screen_shows_the_picked_branch_and_posts_to_it(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    office = replica.actor(institute.admin_id)
    north = save_branch(replica, office, _Admin(), name="North", code="NOR")
    view = NoticesView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    # The branches are offered once the notices and choices are read.
    qtbot.waitUntil(lambda: view.branch.isVisible() and bool(view._choices.branches))
    view.branch.pick(north)
    dialog = view.edit(None)
    assert dialog.branch.currentData() == north
    dialog.title.setText("North centre closed on Monday")
    dialog.body.setPlainText("Water works on the ring road.")
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        dialog._on_save()
    qtbot.waitUntil(lambda: view.notices.rowCount() == 1)
    assert "in North" in view.message.text()
    shot(view, "notices_admin_branch")
    view.branch.pick(MAIN_BRANCH_ID)
    assert view.notices.rowCount() == 0
    view.branch.pick(None)
    assert view.notices.rowCount() == 1
