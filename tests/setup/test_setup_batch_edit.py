"""The batches tab edits an existing batch: subject, faculty, dates, weekly schedule, capacity."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from desktop_app.context import AppContext
from desktop_app.setup.batches_tab import BatchesTab
from desktop_app.setup.forms import BatchDialog
from desktop_app.setup.view import SetupView
from desktop_app.widgets import index_of
from institute_core.replica import Replica
from institute_core.schema import FlexibleBatch
from institute_core.setup import batches, people, syllabus
from institute_core.setup.week import Week
from tests.services.fixtures import Institute

pytestmark = pytest.mark.usefixtures("qapp")


def _tab(qtbot: QtBot, ctx: AppContext, open_setup: Callable[[], SetupView]) -> BatchesTab:
    view = open_setup()
    view.tabs.setCurrentWidget(view.batches)
    tab = view.batches
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1 and ctx.tasks.idle, timeout=5000)
    return tab


def _edit(tab: BatchesTab, replica: Replica, batch_id: uuid.UUID) -> BatchDialog:
    """The form the Edit batch… button opens for `batch_id`."""
    return tab.batch_dialog(syllabus.subject_choices(replica), people.faculty_choices(replica),
                            batches.batch_detail(replica, batch_id))


def _stored(replica: Replica, batch_id: uuid.UUID) -> FlexibleBatch:
    with replica.read() as s:
        batch = s.get(FlexibleBatch, batch_id)
        assert batch is not None
        return batch


def test_an_existing_batch_is_changed_from_its_form(
        qtbot: QtBot, admin_ctx: AppContext, replica: Replica, institute: Institute,
        open_setup: Callable[[], SetupView]) -> None:
    ctx = admin_ctx
    web = syllabus.save_subject(replica, ctx.actor, ctx.user, name="Web", code="WEB1",
                                duration_hours=20)
    nia = people.create_user(replica, ctx.actor, ctx.user, people.NewUser(
        "nia@example.org", "Nia", "Bose", "faculty"))
    nia_faculty = people.save_faculty(replica, ctx.actor, ctx.user, nia, employee_id="F-002")
    tab = _tab(qtbot, ctx, open_setup)
    tab.edit_button.click()  # the same form, filled on the database thread
    qtbot.waitUntil(lambda: any(isinstance(c, BatchDialog) and c.isVisible()
                                for c in tab.children()), timeout=5000)
    dialog = _edit(tab, replica, institute.batch_id)
    assert dialog.name.text() == "Python Evening" and dialog.location.text() == "Lab 2"
    assert dialog.week.week().slots("monday") == [(time(17), time(18))]
    assert dialog.open_ended.isChecked() and not dialog.end.isEnabled()  # no end date stored
    assert dialog.capacity.toolTip() == "6 students are in the batch now"

    dialog.subject.setCurrentIndex(index_of(dialog.subject, web))
    dialog.faculty.setCurrentIndex(index_of(dialog.faculty, nia_faculty))
    start = institute.today - timedelta(days=7)
    dialog.start.setDate(QDate(start.year, start.month, start.day))
    dialog.open_ended.setChecked(False)
    dialog.end.setDate(QDate(2027, 3, 31))
    dialog.capacity.setValue(12)
    week = Week()
    week.set_slots("tuesday", [(time(18), time(20))])
    week.set_slots("thursday", [(time(18), time(20))])
    dialog.week.set_week(week)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        dialog.submit()
    batch = _stored(replica, institute.batch_id)
    assert (batch.subject_id, batch.faculty_id, batch.start_date, batch.end_date,
            batch.max_students) == (web, nia_faculty, start, date(2027, 3, 31), 12)
    assert batch.schedule == {"weekly": [{"day": "tuesday", "start": "18:00", "end": "20:00"},
                                         {"day": "thursday", "start": "18:00", "end": "20:00"}],
                              "location": "Lab 2"}
    assert tab.model.row_at(0).subject == "WEB1" and tab.model.row_at(0).capacity == 12
    assert tab.message.text() == "Saved Python Evening."
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_capacity_below_the_members_is_refused_and_nothing_changes(
        qtbot: QtBot, admin_ctx: AppContext, replica: Replica, institute: Institute,
        open_setup: Callable[[], SetupView]) -> None:
    tab = _tab(qtbot, admin_ctx, open_setup)
    dialog = _edit(tab, replica, institute.batch_id)
    dialog.name.setText("Python Evening (small)")
    dialog.capacity.setValue(4)  # six students are in it
    dialog.submit()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=5000)
    assert "capacity 4 is too small: the batch has 6 students" in dialog.error.text()
    # The field is named as a person would, never as "flexible_batches.max_students".
    assert dialog.error.text().startswith("Capacity: ")
    assert "_" not in dialog.error.text().split(":")[0]
    assert dialog.capacity.value() == 4  # the form keeps what was typed
    batch = _stored(replica, institute.batch_id)
    assert (batch.name, batch.max_students) == ("Python Evening", None)  # nothing written
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.capacity.setValue(6)  # exactly the members: allowed
        dialog.submit()
    assert _stored(replica, institute.batch_id).max_students == 6
    qtbot.waitUntil(lambda: admin_ctx.tasks.idle, timeout=5000)


def test_an_untouched_schedule_off_the_grid_and_a_faculty_on_leave_are_kept(
        qtbot: QtBot, admin_ctx: AppContext, replica: Replica, institute: Institute,
        open_setup: Callable[[], SetupView]) -> None:
    ctx = admin_ctx
    odd = {"weekly": [{"day": "saturday", "start": "06:15", "end": "07:45"}],
           "location": "Lab 2", "notes": "bring laptops"}
    batches.save_batch(replica, ctx.actor, ctx.user, institute.batch_id, schedule=odd)
    people.save_faculty(replica, ctx.actor, ctx.user, institute.faculty_user_id,
                        status="on_leave")
    tab = _tab(qtbot, ctx, open_setup)
    dialog = _edit(tab, replica, institute.batch_id)
    assert dialog.schedule_note.isVisibleTo(dialog)  # says the grid cannot show it all
    assert dialog.faculty.currentText() == "Farah Faculty (F-001) – not active"
    dialog.name.setText("Python Early Birds")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.submit()
    batch = _stored(replica, institute.batch_id)
    assert batch.name == "Python Early Birds"
    assert batch.schedule == odd and batch.faculty_id == institute.faculty_id
    assert batch.end_date is None
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_a_batch_that_ends_before_it_starts_is_refused_by_name(
        qtbot: QtBot, admin_ctx: AppContext, replica: Replica, institute: Institute,
        open_setup: Callable[[], SetupView]) -> None:
    tab = _tab(qtbot, admin_ctx, open_setup)
    dialog = _edit(tab, replica, institute.batch_id)
    dialog.open_ended.setChecked(False)
    too_early = institute.today - timedelta(days=60)  # it started 30 days ago
    dialog.end.setDate(QDate(too_early.year, too_early.month, too_early.day))
    dialog.submit()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=5000)
    assert "Start date: must not be later than the end date" in dialog.error.text()
    assert _stored(replica, institute.batch_id).end_date is None
    qtbot.waitUntil(lambda: admin_ctx.tasks.idle, timeout=5000)
