"""Rescheduling or cancelling a session from Today tells the guardian: the screen's path
through `sessions.reschedule` / `sessions.cancel` ends in a queued message of the trigger's
template (issue 19), and a refused move changes nothing."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDate, QTime
from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.today.reschedule_dialog import RescheduleDialog
from desktop_app.today.view import TodayView
from institute_core.display import date_text
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.replica import Replica
from institute_core.schema import LearningSession, Message
from tests.services.fixtures import Institute
from tests.support.shots import shot


def _set_up_messages(replica: Replica, institute: Institute) -> None:
    office = replica.actor(institute.admin_id)
    admin.save_template(replica, office, event="session_rescheduled", language="en",
                        channel="sms", body="{student_first_name}'s {subject_name} session of "
                        "{session_date} moves to {new_date}.")
    admin.save_template(replica, office, event="session_cancelled", language="en",
                        channel="sms", body="{student_first_name}'s {subject_name} session of "
                        "{session_date} is cancelled.")
    for event in ("session_rescheduled", "session_cancelled"):
        admin.save_trigger(replica, office, name=event, event=event, enabled=True)
    save_guardian(replica, office, institute.student_ids[0], GuardianInput(
        name="Meena", relation="mother", phone="98765 43210", is_primary=True))


def _messages(replica: Replica) -> list[tuple[str, str, str]]:
    with replica.read() as s:
        return [(m.event, m.recipient, m.body) for m in s.execute(select(Message)).scalars()]


def _today(qtbot, ctx: AppContext, institute: Institute) -> TodayView:  # type: ignore[no-untyped-def]
    view = TodayView(ctx, on=institute.today)
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    qtbot.waitUntil(lambda: view.sessions_model.rowCount() == 2, timeout=5000)
    return view


def test_rescheduling_from_today_moves_the_session_and_tells_the_guardian(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, faculty_ctx: AppContext) -> None:
    _set_up_messages(replica, institute)
    view = _today(qtbot, faculty_ctx, institute)
    view.sessions.setCurrentIndex(view.sessions_model.index(1, 0))  # the batch
    assert not view.reschedule_button.isEnabled()
    view.sessions.setCurrentIndex(view.sessions_model.index(0, 0))
    assert view.reschedule_button.isEnabled()
    dialog = view.open_reschedule()
    assert isinstance(dialog, RescheduleDialog)
    # An end before the start: refused by name, nothing moved or queued.
    dialog.start.setTime(QTime(15, 0))
    dialog.end.setTime(QTime(14, 0))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=5000)
    assert dialog.message.text().startswith("End time: is not after the start")
    assert _messages(replica) == []
    tomorrow = institute.today + timedelta(days=1)
    dialog.on.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    dialog.end.setTime(QTime(16, 0))
    shot(dialog, "today_reschedule")
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: view.sessions_model.rowCount() == 1, timeout=5000)
    assert view.message.text().startswith("Rescheduled to ")
    with replica.read() as s:
        moved = s.get(LearningSession, institute.individual_session_id)
        assert moved is not None
        assert (moved.session_date, moved.start_time.hour, moved.end_time.hour) == (
            tomorrow, 15, 16)
    assert _messages(replica) == [(
        "session_rescheduled", "+919876543210",
        f"Asha's Python Programming session of {date_text(institute.today)} moves to "
        f"{date_text(tomorrow)}.")]
    shot(view, "today_after_reschedule")


def test_cancelling_from_today_tells_the_guardian(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, faculty_ctx: AppContext,
        monkeypatch) -> None:
    _set_up_messages(replica, institute)
    view = _today(qtbot, faculty_ctx, institute)
    view.sessions.setCurrentIndex(view.sessions_model.index(0, 0))
    monkeypatch.setattr(view, "confirm", lambda *_a: True)
    with qtbot.waitSignal(view.sig_saved, timeout=5000):
        view.cancel_button.click()
    assert _messages(replica) == [(
        "session_cancelled", "+919876543210",
        f"Asha's Python Programming session of {date_text(institute.today)} is cancelled.")]
