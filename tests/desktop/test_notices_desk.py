"""The notice board and the bell on the desk: an admin posts a notice from the Notices screen,
a faculty member sees it on their home screen and reading it shows up for the admin; a
counselor's due follow-up rings the bell, and opening it clears the count and shows the
follow-ups. Each screen is also rendered to PNG (docs/screenshots)."""

from __future__ import annotations

from desktop_app.notices.admin_view import NoticesView
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.sync_controller import SyncController
from desktop_app.tasks import TaskManager
from institute_core.crm.clock import day_start
from institute_core.crm.followups import schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.notices import announcements
from institute_core.replica import Replica
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


def _window(qtbot, replica: Replica, tasks: TaskManager, email: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_ctx(replica, tasks, email), SyncController(replica, tasks, None))
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.show()
    return window


def test_a_notice_posted_on_the_admin_screen_is_read_on_the_faculty_home(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    admin = _window(qtbot, replica, tasks, "admin@example.org")
    assert admin.open_section("notices")
    view = admin.page("notices")
    assert isinstance(view, NoticesView)
    dialog = view.edit(None)
    dialog.title.setText("  ")
    dialog.body.setPlainText("The institute is closed on Friday.")
    dialog._on_save()
    qtbot.waitUntil(lambda: "Title" in dialog.message.text())  # named, nothing written
    assert announcements.board(replica, _viewer(admin), managing=True) == []
    dialog.title.clear()
    qtbot.keyClicks(dialog.title, "Holiday on Friday")
    assert dialog.message.text() == ""  # the complaint goes once the title is typed
    dialog.pinned.setChecked(True)
    shot(dialog, "notices_dialog")
    with qtbot.waitSignal(dialog.sig_saved):
        dialog._on_save()
    qtbot.waitUntil(lambda: view.notices.rowCount() == 1)

    teacher = _window(qtbot, replica, tasks, "faculty@example.org")
    board = teacher.notice_board
    qtbot.waitUntil(lambda: board.isVisible() and board.model.rowCount() == 1)
    assert board.heading.text() == "Notice board – 1 unread"
    shot(teacher, "notices_home_board")
    with qtbot.waitSignal(board.sig_read):
        board.view.selectRow(0)
    qtbot.waitUntil(lambda: board.heading.text() == "Notice board")
    assert "closed on Friday" in board.text.text()
    teacher.open_section("students")
    assert not board.isVisible()  # the board is the home screen's

    view.refresh()
    qtbot.waitUntil(lambda: view.notices.rowCount() == 1 and view.notices.row_at(0).reads == 1)
    view.notice_view.selectRow(0)
    qtbot.waitUntil(lambda: view.receipts.rowCount() == 1)
    assert view.receipts.row_at(0).user_id == institute.faculty_user_id
    shot(admin, "notices_admin")


def _viewer(window: MainWindow):  # type: ignore[no-untyped-def]
    from desktop_app.notices.board import viewer_of
    return viewer_of(window.ctx)


def test_a_due_follow_up_rings_the_bell_and_opening_it_clears_the_count(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    counselor = replica.actor(institute.counselor_id)
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Rohan Gupta", "98111 22233"))
    schedule_follow_up(replica, counselor, inquiry, day_start(institute.today))
    window = _window(qtbot, replica, tasks, "counselor@example.org")
    qtbot.waitUntil(lambda: window.notifications.unread > 0)
    unread = window.notifications.unread
    assert window.bell.text() == f"Notifications ({unread})"
    window.open_section("students")
    panel = window.show_notifications()
    qtbot.waitUntil(lambda: panel.model.rowCount() == unread)
    shot(panel, "notifications_panel")
    row = next(r for r in range(panel.model.rowCount())
               if panel.model.row_at(r).kind == "follow_up_due")
    with qtbot.waitSignal(window.sig_section_changed):
        panel._on_activated(panel.model.index(row, 1))
    qtbot.waitUntil(lambda: window.notifications.unread == unread - 1)
    assert window.current_section == "follow_ups"
    assert window.bell.text() == (f"Notifications ({unread - 1})" if unread > 1
                                  else "Notifications")
