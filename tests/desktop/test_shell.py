"""The main window: sections by role, responsive during a slow sync, auto-save on close."""

from __future__ import annotations

import threading
import uuid

from PySide6.QtCore import Qt, QTimer
from sqlalchemy import select

from desktop_app import dashboard
from desktop_app.app import CHARTS_PRELOAD_DELAY_MS, DeskApp
from desktop_app.conflicts.view import ConflictsView
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.sync_controller import SyncController, SyncStatus
from desktop_app.sync_bridge import SyncOutcome
from desktop_app.tasks import JobState, TaskManager
from desktop_app.today.view import TodayView
from institute_core.enums import AttendanceStatus as S
from institute_core.replica import Replica
from institute_core.schema import ConflictLogEntry, OutboxEntry, Student
from institute_core.services import attendance
from institute_core.sync.errors import ServerUnreachable
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import PASSWORD, Institute


def _window(qtbot, replica: Replica, tasks: TaskManager, email: str,  # type: ignore[no-untyped-def]
            sync_function=None) -> MainWindow:
    ctx = make_ctx(replica, tasks, email)
    window = MainWindow(ctx, SyncController(replica, tasks, sync_function))
    qtbot.addWidget(window)
    window.show()
    return window


def _sidebar(window: MainWindow) -> list[str]:
    return [window.nav_model.item(r).text() for r in range(window.nav_model.rowCount())]


def test_a_faculty_member_cannot_open_admin_or_crm_sections(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                            institute: Institute,
                                                            tasks: TaskManager) -> None:
    window = _window(qtbot, replica, tasks, "faculty@example.org")
    assert _sidebar(window) == ["Today", "Students", "Conflicts", "Dashboard"]
    assert window.current_section == "today"
    for section in ("dashboard", "setup", "reports", "inquiries", "follow_ups", "fees",
                    "nonsense"):
        with qtbot.waitSignal(window.sig_section_refused):
            assert window.open_section(section) is False
        assert window.current_section == "today"
        assert window.page(section) is None  # never even built
    assert "not available to your role" in window.statusBar().currentMessage()


def test_admins_and_counselors_get_their_own_sections(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                      institute: Institute,
                                                      tasks: TaskManager) -> None:
    admin = _window(qtbot, replica, tasks, "admin@example.org")
    assert _sidebar(admin) == ["Dashboard", "Students", "Fees", "Conflicts", "Setup", "Reports",
                               "Certificates", "Notices", "Messages"]
    assert admin.open_section("reports") and not admin.open_section("today")
    counselor = _window(qtbot, replica, tasks, "counselor@example.org")
    assert _sidebar(counselor) == ["Follow-ups", "Inquiries", "Students", "Fees", "Conflicts"]
    assert counselor.current_section == "follow_ups"  # what is due today comes first
    assert not counselor.open_section("setup") and counselor.open_section("inquiries")
    assert not counselor.open_section("certificates")
    assert counselor.open_section("conflicts")  # their own inquiries' conflicts


def test_the_ui_keeps_answering_during_a_slow_sync(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                   institute: Institute,
                                                   tasks: TaskManager) -> None:
    release = threading.Event()

    def slow_sync(state: JobState) -> SyncOutcome:
        for step in range(20):
            state.report(step, 20, "Receiving changes")
            if release.wait(0.05) or state.cancelled:
                break
        return SyncOutcome("sent 0; received 0", 0, state.cancelled)

    window = _window(qtbot, replica, tasks, "faculty@example.org", slow_sync)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(window.sync.sig_status_changed,
                          check_params_cb=lambda s: s.running, timeout=2000):
        # Offscreen windows are never active, so trigger the toolbar action its keys call.
        assert {k.toString() for k in window.sync_action.shortcuts()} == {"Ctrl+Shift+S", "F5"}
        window.sync_action.trigger()
    assert window.status_panel.online.text() == "Syncing…"
    assert window.sync.sync_now() is False  # one sync at a time
    with qtbot.waitSignal(window.sync.sig_status_changed,
                          check_params_cb=lambda s: not s.running, timeout=5000) as done:
        pass
    timer.stop()
    status: SyncStatus = done.args[0]
    assert status.online is True and status.last_success is not None
    # ~1 s of sync: a 20 ms timer that kept firing means the event loop never stalled.
    assert len(ticks) >= 25, len(ticks)
    assert window.status_panel.last.text() == "Last sync: just now"


def test_marks_and_notes_survive_closing_the_window(qtbot, tmp_path, institute: Institute,  # type: ignore[no-untyped-def]
                                                    replica: Replica) -> None:
    desk = DeskApp(replica)
    desk.start()
    qtbot.addWidget(desk.login)
    desk.login.email.setText("faculty@example.org")
    desk.login.password.setText(PASSWORD)
    with qtbot.waitSignal(desk.sig_main_window_shown, timeout=5000) as shown:
        desk.login.sign_in_button.click()
    window: MainWindow = shown.args[0]
    today = window.page("today")
    assert isinstance(today, TodayView)
    qtbot.waitUntil(lambda: today.sessions_model.rowCount() == 2, timeout=5000)
    today.sessions.setCurrentIndex(today.sessions_model.index(1, 0))  # the batch at 17:00
    with qtbot.waitSignal(today.attendance.controller.sig_loaded, timeout=5000):
        today.open_selected()
    view = today.attendance
    for key in (Qt.Key.Key_P, Qt.Key.Key_A, Qt.Key.Key_L):
        qtbot.keyClick(view.table, key)
    # The status bar counts the marks as changes waiting to sync, without a sync.
    qtbot.waitUntil(lambda: window.sync.status.pending >= 3, timeout=5000)
    assert window.status_panel.pending.text() == \
        f"{window.sync.status.pending} changes waiting to sync"
    view.table.setCurrentIndex(view.model.index(0, 0))
    qtbot.waitUntil(view.notes.isEnabled, timeout=5000)
    qtbot.keyClicks(view.notes, "Needs help with loops")
    # Close at once: the notes' debounce has not fired and saves may still be queued.
    window.close()
    replica.close()

    reopened = Replica.open(replica.path.parent)
    try:
        rows = attendance.load_roster(reopened, institute.batch_key).rows
        assert [r.status for r in rows[:4]] == [S.PRESENT, S.ABSENT, S.LATE, None]
        assert rows[0].notes == "Needs help with loops"
        with reopened.read() as s:
            tables = s.execute(select(OutboxEntry.table_name)).scalars().all()
        assert tables.count("batch_session_attendance") >= 4  # 3 marks + the notes
    finally:
        reopened.close()
        desk.shutdown()


def test_restoring_a_conflict_loser_from_the_screen(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                    institute: Institute,
                                                    tasks: TaskManager) -> None:
    with replica.engine.begin() as c:
        c.execute(ConflictLogEntry.__table__.insert().values(  # type: ignore[attr-defined]
            id=uuid.uuid4(), table_name="students", row_id=institute.student_ids[0],
            field="status", kind="overwritten", kept_value="active", lost_value="hold",
            kept_by=institute.counselor_id, lost_by=institute.faculty_user_id,
            server_version=3))
    window = _window(qtbot, replica, tasks, "faculty@example.org")
    qtbot.waitUntil(lambda: window.sync.status.conflicts == 1, timeout=5000)
    assert window.status_panel.conflicts.text() == "1 conflict to review"
    window.open_section("conflicts")
    view = window.page("conflicts")
    assert isinstance(view, ConflictsView)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    assert view.model.data(view.model.index(0, 5)) == "hold"
    before = replica.pending_changes()
    view.restore_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=5000)
    with replica.read() as s:
        assert s.get(Student, institute.student_ids[0]).status == "hold"  # type: ignore[union-attr]
        edit = s.execute(select(OutboxEntry).where(OutboxEntry.table_name == "students")
                         .order_by(OutboxEntry.seq.desc())).scalars().first()
    assert edit is not None and edit.fields["status"] == "hold"  # a new edit, to be synced
    qtbot.waitUntil(lambda: window.sync.status.conflicts == 0, timeout=5000)
    # The status bar counts the new edit without waiting for a sync.
    qtbot.waitUntil(lambda: window.sync.status.pending == replica.pending_changes() > before,
                    timeout=5000)
    assert window.status_panel.pending.text() == \
        f"{replica.pending_changes()} changes waiting to sync"


def test_help_panel_lists_the_shortcuts(qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
                                        tasks: TaskManager) -> None:
    window = _window(qtbot, replica, tasks, "faculty@example.org")
    panel = window.show_help()
    keys = [panel.model.row_at(r)[1] for r in range(panel.model.rowCount())]
    assert "P / A / L / E" in keys and "Ctrl+Shift+S or F5" in keys
    panel.close()


def test_sync_runs_by_itself_and_says_offline_when_the_server_is_gone(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    calls: list[int] = []

    def unreachable(_state: JobState) -> SyncOutcome:
        calls.append(1)
        raise ServerUnreachable("no route to the sync server")

    ctx = make_ctx(replica, tasks, "faculty@example.org")
    sync = SyncController(replica, tasks, unreachable, interval_ms=100)
    window = MainWindow(ctx, sync)
    qtbot.addWidget(window)
    # Nobody asks: the timer starts a sync, which fails and is tried again on the next tick.
    qtbot.waitUntil(lambda: len(calls) >= 2, timeout=5000)
    qtbot.waitUntil(lambda: window.status_panel.online.text() == "Offline", timeout=5000)
    assert window.status_panel.message.text() == "Offline: will retry"
    assert window.status_panel.last.text() == "Last sync: never"
    sync.stop()


def test_signing_out_closes_the_window_and_shows_the_sign_in(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute) -> None:
    desk = DeskApp(replica)
    desk.start()
    qtbot.addWidget(desk.login)
    desk.login.email.setText("faculty@example.org")
    desk.login.password.setText(PASSWORD)
    with qtbot.waitSignal(desk.sig_main_window_shown, timeout=5000) as shown:
        desk.login.sign_in_button.click()
    window: MainWindow = shown.args[0]
    assert not desk.login.isVisible()
    window.logout_action.trigger()
    assert desk.main_window is None and not window.isVisible()
    assert desk.login.isVisible()
    assert desk.login.pages.currentWidget() is desk.login.sign_in_page
    assert desk.login.email.text() == "faculty@example.org" and desk.login.password.text() == ""
    desk.shutdown()


def _record_preloads(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def _fake() -> threading.Thread:
        calls.append(1)
        thread = threading.Thread(target=lambda: None)
        thread.start()
        return thread

    monkeypatch.setattr(dashboard, "preload", _fake)
    return calls


def test_charts_load_while_the_sign_in_waits_for_a_password(  # type: ignore[no-untyped-def]
        qtbot, monkeypatch, replica: Replica, institute: Institute) -> None:
    calls = _record_preloads(monkeypatch)
    desk = DeskApp(replica)
    desk.start()
    qtbot.addWidget(desk.login)
    qtbot.waitUntil(lambda: calls == [1], timeout=CHARTS_PRELOAD_DELAY_MS + 3000)
    desk.shutdown()


def test_no_chart_preload_starts_after_sign_in(  # type: ignore[no-untyped-def]
        qtbot, monkeypatch, replica: Replica, institute: Institute) -> None:
    calls = _record_preloads(monkeypatch)
    desk = DeskApp(replica)
    desk.start()
    qtbot.addWidget(desk.login)
    desk.login.email.setText("faculty@example.org")
    desk.login.password.setText(PASSWORD)
    with qtbot.waitSignal(desk.sig_main_window_shown, timeout=5000):
        desk.login.sign_in_button.click()
    qtbot.wait(CHARTS_PRELOAD_DELAY_MS + 300)
    assert calls == []
    desk.shutdown()


def test_a_desk_whose_sign_in_cannot_be_kept_says_so_once_signed_in(  # type: ignore[no-untyped-def]
        qtbot, institute: Institute, replica: Replica) -> None:
    from institute_core.sync.credentials import MemoryCredentials

    # Connected to a server that is not there now: the sign-in falls back to this desk.
    replica.set_state("server_url", "http://127.0.0.1:9")
    replica.set_state("email", "faculty@example.org")
    desk = DeskApp(replica, credentials=MemoryCredentials(persistent=False),
                   sync_function=lambda _state: SyncOutcome("", 0, False))
    desk.start()
    qtbot.addWidget(desk.login)
    desk.login.email.setText("faculty@example.org")
    desk.login.password.setText(PASSWORD)
    with qtbot.waitSignal(desk.sig_main_window_shown, timeout=30000) as shown:
        desk.login.sign_in_button.click()
    window: MainWindow = shown.args[0]
    assert "the sign-in is not remembered" in window.statusBar().currentMessage()
    desk.shutdown()
