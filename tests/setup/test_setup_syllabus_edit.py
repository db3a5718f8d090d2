"""The syllabus tab edits what exists: subjects, topics, subject prerequisites, topic order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from desktop_app.context import AppContext
from desktop_app.setup.syllabus_tab import SyllabusTab
from desktop_app.setup.topic_order import TopicOrderModel
from desktop_app.setup.view import SetupView
from desktop_app.widgets import index_of
from institute_core.replica import Replica
from institute_core.setup import syllabus
from institute_core.setup.syllabus import TopicInfo
from tests.services.fixtures import Institute

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def ctx(admin_ctx: AppContext) -> AppContext:
    return admin_ctx


@pytest.fixture
def open_tab(qtbot: QtBot, admin_ctx: AppContext,
             open_setup: Callable[[], SetupView]) -> Callable[[], SyllabusTab]:
    def open_() -> SyllabusTab:
        view = open_setup()
        view.tabs.setCurrentWidget(view.syllabus)
        tab = view.syllabus
        qtbot.waitUntil(lambda: tab.topic_model.rowCount() == 6 and admin_ctx.tasks.idle,
                        timeout=5000)
        return tab
    return open_


def _order(replica: Replica, institute: Institute) -> list[str]:
    return [t.name for t in syllabus.topics_of(replica, institute.subject_id)]


def _topic(tab: SyllabusTab, name: str) -> TopicInfo:
    model = tab.topic_model
    return next(model.topic_at(r) for r in range(model.rowCount())
                if model.topic_at(r).name == name)


ORIGINAL = ["Variables", "Conditions", "Loops", "Functions", "Classes", "Modules"]


def test_an_existing_subject_is_edited_and_a_taken_code_changes_nothing(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    syllabus.save_subject(replica, ctx.actor, ctx.user, name="Web", code="WEB1",
                          duration_hours=20)
    tab = open_tab()
    qtbot.waitUntil(lambda: tab.subject.count() == 2, timeout=5000)
    tab.select_subject(institute.subject_id)
    dialog = tab.subject_dialog(syllabus.subject_info(replica, institute.subject_id))
    assert (dialog.name.text(), dialog.code.text(), dialog.hours.value()) == (
        "Python Programming", "PY101", 40)
    dialog.name.setText("Python for Everyone")
    dialog.description.setPlainText("From variables to modules.")
    dialog.hours.setValue(48)
    dialog.category.setText("Programming")
    dialog.level.setCurrentIndex(dialog.level.findData("beginner"))
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        dialog.submit()
    saved = syllabus.subject_info(replica, institute.subject_id)
    assert (saved.name, saved.code, saved.description, saved.duration_hours, saved.category,
            saved.difficulty_level) == ("Python for Everyone", "PY101",
                                        "From variables to modules.", 48, "Programming",
                                        "beginner")
    assert tab.subject.currentText() == "PY101 · Python for Everyone"
    assert tab.message.text() == "Subject saved."

    again = tab.subject_dialog(saved)
    again.code.setText("WEB1")  # another subject's code
    again.hours.setValue(99)
    again.submit()
    qtbot.waitUntil(lambda: bool(again.error.text()), timeout=5000)
    assert "code" in again.error.text()
    assert again.code.text() == "WEB1"  # what was typed stays for correcting
    unchanged = syllabus.subject_info(replica, institute.subject_id)
    assert (unchanged.code, unchanged.duration_hours) == ("PY101", 48)
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_an_existing_topic_is_edited_keeping_every_kind_of_resource(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    loops = next(t for t in syllabus.topics_of(replica, institute.subject_id)
                 if t.name == "Loops")
    syllabus.save_topic(replica, ctx.actor, ctx.user, institute.subject_id, loops.id,
                        resources={"videos": ["https://video.example/loops"],
                                   "documents": ["/share/loops.docx"]})
    tab = open_tab()
    dialog = tab.topic_dialog(_topic(tab, "Loops"))
    assert dialog.resources["videos"].toPlainText() == "https://video.example/loops"
    dialog.minutes.setValue(90)
    dialog.difficulty.setCurrentIndex(dialog.difficulty.findData("hard"))
    dialog.objectives.setPlainText("write a for loop\n\nstop a loop early with break\n")
    dialog.description.setPlainText("for, while, break, continue")
    dialog.resources["links"].setPlainText("https://docs.python.org/3/tutorial/")
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        dialog.submit()
    [saved] = [t for t in syllabus.topics_of(replica, institute.subject_id) if t.id == loops.id]
    assert (saved.estimated_duration_minutes, saved.difficulty_level, saved.description) == (
        90, "hard", "for, while, break, continue")
    assert saved.learning_objectives == ["write a for loop", "stop a loop early with break"]
    assert saved.resources == {"links": ["https://docs.python.org/3/tutorial/"],
                               "videos": ["https://video.example/loops"],
                               "documents": ["/share/loops.docx"]}
    assert tab.topic_model.index(2).data() == "3. Loops  ·  90 min  ·  needs Conditions"

    blank = tab.topic_dialog(_topic(tab, "Loops"))
    blank.name.setText("   ")
    blank.submit()
    qtbot.waitUntil(lambda: bool(blank.error.text()), timeout=5000)
    assert blank.error.text().startswith("Name: ")
    assert _order(replica, institute) == ORIGINAL  # the name was not blanked
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_subject_prerequisites_are_added_refused_as_a_named_cycle_and_removed(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    web = syllabus.save_subject(replica, ctx.actor, ctx.user, name="Web", code="WEB1",
                                duration_hours=20)
    tab = open_tab()
    qtbot.waitUntil(lambda: tab.subject.count() == 2, timeout=5000)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.select_subject(web)
    assert tab.subject_needs_label.text() == "Needs no other subject first."
    assert [tab.subject_needs.itemText(i) for i in range(tab.subject_needs.count())] == [
        "PY101 · Python Programming"]  # never the subject itself
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_subject_prereq.click()  # WEB1 needs PY101
    assert syllabus.subject_prerequisites_of(replica, web) == [institute.subject_id]
    assert tab.subject_needs_label.text() == "Needs first: PY101 · Python Programming"
    assert tab.message.text() == "Subject prerequisite added."

    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.select_subject(institute.subject_id)
    tab.subject_needs.setCurrentIndex(index_of(tab.subject_needs, web))
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_subject_prereq.click()  # PY101 needs WEB1: a loop
    assert tab.message.text() == "would make a cycle: PY101 → WEB1 → PY101"
    assert syllabus.subject_prerequisites_of(replica, institute.subject_id) == []
    tab.remove_subject_prereq.click()  # PY101 does not need WEB1: said, nothing written
    assert tab.message.text() == ("WEB1 · Web is not a prerequisite of PY101 · Python "
                                  "Programming; nothing to remove.")

    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.select_subject(web)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.remove_subject_prereq.click()
    assert syllabus.subject_prerequisites_of(replica, web) == []
    assert tab.subject_needs_label.text() == "Needs no other subject first."
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_a_topic_prerequisite_is_removed_from_the_tab(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    tab = open_tab()
    loops, conditions = _topic(tab, "Loops"), _topic(tab, "Conditions")
    tab.topics.setCurrentIndex(tab.topic_model.index(2))
    tab.needs.setCurrentIndex(index_of(tab.needs, conditions.id))
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.remove_prereq.click()
    assert syllabus.prerequisites_of(replica, loops.id) == []
    assert tab.topic_model.index(2).data() == "3. Loops  ·  60 min"
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_dropping_a_dragged_topic_saves_the_new_order(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    tab = open_tab()
    model = tab.topic_model
    # What the view does at the end of a drag: the dragged row's mime data dropped in a gap.
    dragged = model.mimeData([model.index(4)])  # Classes
    assert model.canDropMimeData(dragged, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        assert model.dropMimeData(dragged, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    expected = ["Variables", "Classes", "Conditions", "Loops", "Functions", "Modules"]
    assert _order(replica, institute) == expected
    assert model.index(1).data().startswith("2. Classes")
    assert tab.message.text() == "New order saved."
    # The list view's own drop path calls moveRows: Variables to the end.
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), model.rowCount())
    assert _order(replica, institute) == [*expected[1:], "Variables"]
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_the_keyboard_moves_the_selected_topic_and_keeps_it_selected(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    tab = open_tab()
    tab.topics.setFocus()
    tab.topics.setCurrentIndex(tab.topic_model.index(0))
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        qtbot.keyClick(tab.topics, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert _order(replica, institute)[:2] == ["Conditions", "Variables"]
    assert tab.topics.currentIndex().row() == 1  # the moved topic stays selected
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        qtbot.keyClick(tab.topics, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(tab.sig_saved, timeout=5000):
        tab.move_up.click()
    assert _order(replica, institute) == ORIGINAL[1:2] + ORIGINAL[:1] + ORIGINAL[2:]
    # At the top there is nowhere to go: nothing is saved, the order stays.
    tab.topics.setCurrentIndex(tab.topic_model.index(0))
    with qtbot.assertNotEmitted(tab.topic_model.order_changed):
        tab.move_up.click()
    assert _order(replica, institute)[0] == "Conditions"
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def test_a_refused_order_is_reported_and_the_stored_order_shown_again(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab]) -> None:
    tab = open_tab()
    # Another desk's topic arrives after the list was loaded: the shown order is incomplete.
    syllabus.save_topic(replica, ctx.actor, ctx.user, institute.subject_id, name="Async",
                        estimated_duration_minutes=45)
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.topic_model.move(5, -1)
    assert tab.message.text() == "the new order must list every topic of the subject once"
    assert _order(replica, institute) == [*ORIGINAL, "Async"]
    assert [tab.topic_model.topic_at(r).name for r in range(tab.topic_model.rowCount())] == [
        *ORIGINAL, "Async"]
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)


def _info(name: str) -> TopicInfo:
    return TopicInfo(uuid.uuid4(), uuid.uuid4(), name, None, 0, 30, None, None, None, "active")


def test_the_order_model_moves_rows_without_a_view(qtbot: QtBot) -> None:
    model = TopicOrderModel()
    model.set_topics([_info(n) for n in "ABCD"], {})
    ids = model.order()
    with qtbot.waitSignal(model.order_changed) as moved:
        assert model.move(3, -1) == 2
    assert moved.args == [[ids[0], ids[1], ids[3], ids[2]]]
    assert model.index(2).data() == "3. D  ·  30 min"
    # No-op or impossible moves change nothing and announce nothing.
    with qtbot.assertNotEmitted(model.order_changed):
        assert not model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 2)  # onto itself
        assert not model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 9)  # past the end
        assert model.move(0, -1) is None
        assert not model.dropMimeData(model.mimeData([model.index(0), model.index(1)]),
                                      Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert model.order() == [ids[0], ids[1], ids[3], ids[2]]
    # Dropped "on" a row (row -1, parent that row) it lands before that row.
    with qtbot.waitSignal(model.order_changed):
        assert model.dropMimeData(model.mimeData([model.index(3)]), Qt.DropAction.MoveAction,
                                  -1, -1, model.index(0))
    assert [model.topic_at(r).name for r in range(4)] == ["C", "A", "B", "D"]


def test_a_topic_may_need_a_topic_of_another_subject(
        qtbot: QtBot, ctx: AppContext, replica: Replica, institute: Institute,
        open_tab: Callable[[], SyllabusTab], tmp_path: Path) -> None:
    web = syllabus.save_subject(replica, ctx.actor, ctx.user, name="Web", code="WEB1",
                                duration_hours=20)
    html = syllabus.save_topic(replica, ctx.actor, ctx.user, web, name="HTML",
                               estimated_duration_minutes=60)
    tab = open_tab()
    labels = [tab.needs.itemText(i) for i in range(tab.needs.count())]
    assert labels[:6] == ORIGINAL and labels[-1] == "WEB1 · HTML"  # own topics first
    classes = _topic(tab, "Classes")
    tab.topics.setCurrentIndex(tab.topic_model.index(tab.topic_model.row_of(classes.id)))
    tab.needs.setCurrentIndex(index_of(tab.needs, html))
    with qtbot.waitSignal(tab.loaded, timeout=5000):
        tab.add_prereq.click()
    assert html in syllabus.prerequisites_of(replica, classes.id)
    row = tab.topic_model.row_of(classes.id)
    needs = tab.topic_model.index(row).data().split("needs ")[1]
    assert set(needs.split(", ")) == {"Functions", "WEB1 · HTML"}  # named, not "another's"
    tab.window().grab().save(str(tmp_path / "syllabus_cross_subject.png"))
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=5000)
