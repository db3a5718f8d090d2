"""A student's preferred schedule (seed 000: preferred days and times) in the Students tab."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.context import AppContext
from desktop_app.setup.preferred_schedule import PreferredScheduleEditor
from desktop_app.setup.view import SetupView
from institute_core.replica import Replica
from institute_core.setup import people
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute
from tests.setup.conftest import ADMIN

pytestmark = pytest.mark.usefixtures("qapp")


def test_the_editor_ticks_days_and_times_and_keeps_what_it_does_not_know(
        qtbot: QtBot) -> None:
    editor = PreferredScheduleEditor()
    qtbot.addWidget(editor)
    assert editor.value() is None
    editor.set_value({"preferred_days": ["friday", "Monday"],
                      "preferred_times": ["evening", "after 6 pm"], "notes": "no Sundays"})
    assert [d for d, box in editor.days.items() if box.isChecked()] == ["monday", "friday"]
    assert editor.times["after 6 pm"].isChecked()  # shown as its own box, ticked
    with qtbot.waitSignal(editor.changed):
        editor.days["wednesday"].click()
    editor.times["evening"].click()  # untick
    assert editor.value() == {"notes": "no Sundays",
                              "preferred_days": ["monday", "wednesday", "friday"],
                              "preferred_times": ["after 6 pm"]}


def test_the_profile_form_saves_a_preferred_schedule(
        qtbot: QtBot, admin_ctx: AppContext, replica: Replica, institute: Institute,
        open_setup: Callable[[], SetupView]) -> None:
    student_id = institute.student_ids[1]
    view = open_setup()
    view.tabs.setCurrentWidget(view.students)
    tab = view.students
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0 and admin_ctx.tasks.idle, timeout=5000)
    tab.select_student(student_id)
    dialog = tab.profile_dialog(people.student_profile(replica, student_id),
                                people.counselor_choices(replica))
    assert dialog.preferred.value() is None  # none stored yet
    for day in ("tuesday", "saturday"):
        dialog.preferred.days[day].setChecked(True)
    dialog.preferred.times["morning"].setChecked(True)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        dialog.submit()
    assert people.student_profile(replica, student_id).preferred_schedule == {
        "preferred_days": ["tuesday", "saturday"], "preferred_times": ["morning"]}
    assert tab.message.text() == "Profile saved."

    again = tab.profile_dialog(people.student_profile(replica, student_id), [])
    assert again.preferred.days["saturday"].isChecked()  # what is stored shows again
    for box in (*again.preferred.days.values(), *again.preferred.times.values()):
        box.setChecked(False)
    with qtbot.waitSignal(again.accepted, timeout=5000):
        again.submit()
    assert people.student_profile(replica, student_id).preferred_schedule is None
    qtbot.waitUntil(lambda: admin_ctx.tasks.idle, timeout=5000)


def test_a_day_that_is_not_a_weekday_is_refused_and_nothing_changes(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    student_id = institute.student_ids[0]
    people.update_student(replica, actor, ADMIN, student_id, preferred_schedule={
        "preferred_days": ["Friday", "monday", "friday"], "preferred_times": [" evening ", ""]})
    assert people.student_profile(replica, student_id).preferred_schedule == {
        "preferred_days": ["monday", "friday"], "preferred_times": ["evening"]}
    with pytest.raises(InvalidInput, match="'funday' is not a day of the week"):
        people.update_student(replica, actor, ADMIN, student_id, status="hold",
                              preferred_schedule={"preferred_days": ["funday"]})
    saved = people.student_profile(replica, student_id)
    assert saved.status == "active" and saved.preferred_schedule == {
        "preferred_days": ["monday", "friday"], "preferred_times": ["evening"]}
