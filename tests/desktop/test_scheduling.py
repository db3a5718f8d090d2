"""Scheduling from Today: warnings to confirm (not silent refusals), cancel, no-show."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate, QTime
from sqlalchemy import func, select

from desktop_app.context import AppContext
from desktop_app.today.schedule_dialog import BATCH, ScheduleDialog
from desktop_app.today.view import TodayView
from desktop_app.widgets import index_of
from institute_core.replica import Replica
from institute_core.schema import LearningSession
from tests.services.fixtures import Institute


def _today(qtbot, ctx: AppContext, institute: Institute, days: int = 0) -> TodayView:  # type: ignore[no-untyped-def]
    view = TodayView(ctx, on=institute.today + timedelta(days=days))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.sessions_model.rowCount() > 0, timeout=5000)
    return view


def _dialog(qtbot, view: TodayView) -> ScheduleDialog:  # type: ignore[no-untyped-def]
    dialog = view.open_schedule()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


def _sessions(replica: Replica) -> int:
    with replica.read() as s:
        return int(s.execute(select(func.count()).select_from(LearningSession)).scalar_one())


def _titles(view: TodayView) -> list[tuple[str, str, str]]:
    m = view.sessions_model
    return [(m.data(m.index(r, 0)), m.data(m.index(r, 1)), m.data(m.index(r, 6)))
            for r in range(m.rowCount())]


def test_an_overlapping_session_is_warned_then_scheduled_when_confirmed(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, faculty_ctx: AppContext) -> None:
    view = _today(qtbot, faculty_ctx, institute)
    before = _sessions(replica)
    dialog = _dialog(qtbot, view)
    ravi = index_of(dialog.student, institute.student_ids[1])
    assert ravi >= 0
    dialog.student.setCurrentIndex(ravi)
    assert dialog.subject.currentText() == "Python Programming"
    dialog.start.setTime(QTime(10, 30))
    dialog.end.setTime(QTime(11, 30))
    dialog.schedule_button.click()
    qtbot.waitUntil(dialog.warnings.isVisible, timeout=5000)
    assert "overlaps an individual session (10:00–11:00)" in dialog.warnings.text()
    assert dialog.schedule_button.text() == "Schedule anyway"
    assert _sessions(replica) == before  # warned, nothing saved yet
    # Changing the plan takes the confirmation back: it is checked again.
    dialog.end.setTime(QTime(11, 45))
    assert dialog.schedule_button.text() == "Schedule" and not dialog.warnings.isVisible()
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: dialog.schedule_button.text() == "Schedule anyway", timeout=5000)
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        dialog.schedule_button.click()
    assert _sessions(replica) == before + 1
    qtbot.waitUntil(lambda: view.sessions_model.rowCount() == 3, timeout=5000)
    assert _titles(view)[1] == ("10:30–11:45", "Ravi S02", "scheduled")
    assert "overlaps" in view.message.text()


def test_no_show_and_cancel_from_today(qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
                                       faculty_ctx: AppContext, monkeypatch) -> None:
    view = _today(qtbot, faculty_ctx, institute)
    assert [t[1] for t in _titles(view)] == ["Asha S01", "Python Evening"]
    view.sessions.setCurrentIndex(view.sessions_model.index(1, 0))
    assert view.cancel_button.isEnabled() and not view.no_show_button.isEnabled()  # a batch
    view.sessions.setCurrentIndex(view.sessions_model.index(0, 0))
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        view.no_show_button.click()
    qtbot.waitUntil(lambda: _titles(view)[0][2] == "no show", timeout=5000)
    assert not view.no_show_button.isEnabled() and not view.cancel_button.isEnabled()

    view.sessions.setCurrentIndex(view.sessions_model.index(1, 0))
    answers = iter([False, True])
    monkeypatch.setattr(view, "confirm", lambda *_a: next(answers))
    view.cancel_button.click()  # "Keep it": nothing happens
    assert view.sessions_model.rowCount() == 2
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        view.cancel_button.click()
    # A cancelled batch meeting is off today's list; tomorrow's still happens.
    qtbot.waitUntil(lambda: view.sessions_model.rowCount() == 1, timeout=5000)
    tomorrow = _today(qtbot, faculty_ctx, institute, days=1)
    assert [t[1] for t in _titles(tomorrow)] == ["Python Evening"]


def test_an_extra_batch_meeting_shows_on_its_day(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                 institute: Institute,
                                                 faculty_ctx: AppContext) -> None:
    view = _today(qtbot, faculty_ctx, institute)
    view.sessions.setCurrentIndex(view.sessions_model.index(1, 0))  # the batch is preselected
    dialog = _dialog(qtbot, view)
    assert dialog.kind.currentData() == BATCH and dialog.batch.currentText() == "Python Evening"
    assert not dialog.student.isVisible() and dialog.batch.isVisible()
    day = institute.today + timedelta(days=2)
    dialog.on.setDate(QDate(day.year, day.month, day.day))
    dialog.start.setTime(QTime(15, 0))
    dialog.end.setTime(QTime(16, 0))
    with qtbot.waitSignal(dialog.sig_scheduled, timeout=5000):
        dialog.schedule_button.click()
    later = _today(qtbot, faculty_ctx, institute, days=2)
    assert _titles(later) == [("15:00–16:00", "Python Evening", "scheduled")]


def test_an_end_before_the_start_is_refused_and_the_form_kept(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                             institute: Institute,
                                                             faculty_ctx: AppContext) -> None:
    view = _today(qtbot, faculty_ctx, institute)
    before = _sessions(replica)
    dialog = _dialog(qtbot, view)
    dialog.start.setTime(QTime(15, 0))
    dialog.end.setTime(QTime(14, 0))
    dialog.location.setText("Room 4")
    dialog.schedule_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=5000)
    assert dialog.message.text().startswith("Start time: ") and "earlier than the end" in \
        dialog.message.text()
    assert dialog.isVisible() and dialog.location.text() == "Room 4"
    assert _sessions(replica) == before
