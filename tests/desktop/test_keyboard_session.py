"""A faculty member's whole class from the keyboard: every key goes to whatever widget has the
focus, as it would for a person, and the keys are counted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from desktop_app.app import DeskApp
from desktop_app.crm.capture import CaptureForm
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.navigation import shortcuts_for
from desktop_app.today.view import TodayView
from institute_core.enums import AttendanceStatus as S
from institute_core.enums import Role
from institute_core.replica import Replica
from institute_core.schema import StudentTopicProgress
from institute_core.services import attendance
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import PASSWORD, Institute

ABSENT = (10, 20, 30)  # roll numbers
RATINGS = (4, 3, 5, 2, 4)  # for the first five students, in roster order
KEY_BUDGET = 50  # the issue measured 92 before the keyboard paths were shortened


class Keyboard:
    """Presses keys on the focused widget, as a keyboard does, and counts them."""

    def __init__(self, qtbot) -> None:  # type: ignore[no-untyped-def]
        self.qtbot = qtbot
        self.count = 0

    def focused(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def press(self, key: Qt.Key,
              modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(self.focused(), key, modifier)
        self.count += 1

    def type(self, text: str) -> None:
        for char in text:
            key = Qt.Key.Key_Space if char == " " else getattr(Qt.Key, f"Key_{char.upper()}")
            QTest.keyClick(self.focused(), key, Qt.KeyboardModifier.NoModifier, -1)
            self.count += 1


def _shown(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Show a widget as the active window: keys and shortcuts go where a person's would."""
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=5000)


def _signed_in(qtbot, replica: Replica, email: str) -> tuple[DeskApp, MainWindow]:  # type: ignore[no-untyped-def]
    desk = DeskApp(replica)
    desk.start()
    qtbot.addWidget(desk.login)
    desk.login.email.setText(email)
    desk.login.password.setText(PASSWORD)
    with qtbot.waitSignal(desk.sig_main_window_shown, timeout=5000) as shown:
        desk.login.sign_in_button.click()
    window: MainWindow = shown.args[0]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5000)
    return desk, window


def test_a_30_student_class_with_absentees_a_topic_and_ratings_in_under_50_keys(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute) -> None:
    desk, window = _signed_in(qtbot, replica, "faculty@example.org")
    try:
        today = window.page("today")
        assert isinstance(today, TodayView)
        # Signed in, the keyboard is on today's sessions, not on the sidebar.
        assert QApplication.focusWidget() is today.sessions
        qtbot.waitUntil(lambda: today.sessions_model.rowCount() == 2, timeout=5000)
        keys = Keyboard(qtbot)
        keys.press(Qt.Key.Key_Down)  # the batch at 17:00 (the 10:00 session is first)
        view = today.attendance
        with qtbot.waitSignal(view.controller.sig_loaded, timeout=5000):
            keys.press(Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
        qtbot.waitUntil(lambda: view.controller.syllabus is not None, timeout=5000)
        assert QApplication.focusWidget() is view.table

        keys.press(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        keys.type(" ".join(str(n) for n in ABSENT))
        keys.press(Qt.Key.Key_Return)
        keys.press(Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
        with qtbot.waitSignal(view.controller.sig_loaded, timeout=5000):
            keys.press(Qt.Key.Key_Return)  # the suggested topic, for everyone present
        qtbot.waitUntil(lambda: view.student_topics.count() == 1, timeout=5000)
        for level in RATINGS:
            keys.press(getattr(Qt.Key, f"Key_{level}"))
        qtbot.waitUntil(lambda: view.controller.idle and window.ctx.tasks.idle, timeout=10000)

        print(f"\nkeys for the whole class: {keys.count}")
        assert keys.count < KEY_BUDGET
        rows = attendance.load_roster(replica, institute.batch_key).rows
        assert {r.position for r in rows if r.status is S.ABSENT} == set(ABSENT)
        assert sum(r.status is S.PRESENT for r in rows) == 27
        with replica.read() as s:
            progress = {p.student_id: p for p in s.execute(select(StudentTopicProgress).where(
                StudentTopicProgress.topic_id == institute.topic_ids[0])).scalars()}
        present = [r.student_id for r in rows if r.status is S.PRESENT]
        assert set(progress) == set(present)  # tagged for all present, nobody absent
        rated = {r.student_id: level for r, level in zip(rows, RATINGS, strict=False)}
        for student_id, p in progress.items():
            assert p.competency_level == rated.get(student_id, 0)  # 0: not rated
        # Ctrl+1 from the roster: Today again, with the keyboard on the content.
        keys.press(Qt.Key.Key_Escape)
        keys.press(Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
        assert QApplication.focusWidget() is today.sessions
    finally:
        window.close()
        desk.shutdown()


def test_sidebar_tooltips_name_the_keys_that_open_each_section(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    from desktop_app.shell.sync_controller import SyncController

    for email, role in (("faculty@example.org", Role.FACULTY),
                        ("counselor@example.org", Role.COUNSELOR),
                        ("admin@example.org", Role.ADMIN)):
        ctx = make_ctx(replica, tasks, email)
        window = MainWindow(ctx, SyncController(replica, tasks, None))
        _shown(qtbot, window)
        for row, (section, keys) in enumerate(shortcuts_for(role)):
            tooltip = window.nav_model.item(row).toolTip()
            assert keys in tooltip and section.title in tooltip
            other = shortcuts_for(role)[0][0].id if row else shortcuts_for(role)[-1][0].id
            window.open_section(other)
            n = int(keys.removeprefix("Ctrl+"))
            QTest.keyClick(window, getattr(Qt.Key, f"Key_{n}"),
                           Qt.KeyboardModifier.ControlModifier)
            assert window.current_section == section.id, (role, tooltip)
        window.close()


def test_a_counselor_leaves_a_found_duplicate_by_keyboard(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    from institute_core.crm.duplicates import Contact, ContactKind, DuplicateIndex

    ctx = make_ctx(replica, tasks, "counselor@example.org")
    form = CaptureForm(ctx)
    _shown(qtbot, form)
    index = DuplicateIndex()
    known = Contact(ContactKind.INQUIRY, institute.student_ids[0], "Asha Rao", "98765 43210",
                    "+919876543210", None, "new")
    index.add(known)
    form.set_index(index)
    opened: list[object] = []
    form.sig_open_contact.connect(opened.append)
    form.name.setFocus()
    qtbot.waitUntil(form.name.hasFocus, timeout=2000)
    qtbot.keyClicks(form.name, "Asha Rao")
    QTest.keyClick(form.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(form.phone, "9876543210")
    assert form.open_known.isVisible() and form.save_anyway.isVisible()
    QTest.keyClick(form.phone, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    assert opened == [known]
    QTest.keyClick(form.phone, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert opened == [known, known]
    # Tab through the whole form: Notes is left by Tab, with no tab character in it.
    form.notes.setFocus()
    qtbot.keyClicks(form.notes, "walk-in")
    QTest.keyClick(form.notes, Qt.Key.Key_Tab)
    assert not form.notes.hasFocus() and form.notes.toPlainText() == "walk-in"
    # Save anyway from the keyboard: a second inquiry for the same person is created.
    with qtbot.waitSignal(form.sig_saved, timeout=5000):
        QTest.keyClick(form.phone, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)


def test_shift_tab_from_the_capture_form_leaves_the_inquiry_table_in_one_key(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    from desktop_app.crm.inquiries_view import InquiriesView

    ctx = make_ctx(replica, tasks, "counselor@example.org")
    view = InquiriesView(ctx)
    _shown(qtbot, view)
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus, timeout=2000)
    QTest.keyClick(view.table, Qt.Key.Key_Tab)
    assert not view.table.hasFocus()
    view.table.setFocus()
    QTest.keyClick(view.table, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert not view.table.hasFocus()
