"""Quick attendance from the keyboard alone, saved as it is typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop_app.attendance.view import AttendanceView
from desktop_app.context import AppContext
from institute_core.enums import AttendanceStatus as S
from institute_core.enums import ProgressStatus
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import BatchSessionAttendance, StudentTopicProgress
from institute_core.services import attendance
from tests.services.fixtures import Institute

# One key per student for 30 students: mostly present, some absent, late and excused.
KEYS = "PPAPPLPPPPEPPPPAPPPPPPLPPPPPPA"
STATUS = {"P": S.PRESENT, "A": S.ABSENT, "L": S.LATE, "E": S.EXCUSED}


def _open(qtbot, ctx: AppContext, institute: Institute) -> AttendanceView:  # type: ignore[no-untyped-def]
    view = AttendanceView(ctx)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.controller.sig_loaded, timeout=5000):
        view.open_session(institute.batch_key)
    qtbot.waitUntil(lambda: view.controller.syllabus is not None, timeout=5000)
    return view


def _saved(replica: Replica, institute: Institute) -> dict[int, S | None]:
    return {r.position: r.status for r in attendance.load_roster(replica,
                                                                 institute.batch_key).rows}


def test_a_30_student_batch_marked_entirely_by_keyboard(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                        institute: Institute,
                                                        faculty_ctx: AppContext) -> None:
    view = _open(qtbot, faculty_ctx, institute)
    assert view.model.rowCount() == 30
    for key in KEYS:
        qtbot.keyClick(view.table, getattr(Qt.Key, f"Key_{key}"))
    # A slip, corrected: go back up with k, mark absent, then undo it with Ctrl+Z.
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.controller.idle and faculty_ctx.tasks.idle, timeout=10000)
    expected = {i + 1: STATUS[k] for i, k in enumerate(KEYS)}
    assert _saved(replica, institute) == expected
    assert view.counts.text().startswith("24 present · 3 absent · 2 late · 1 excused · 0 unmarked")
    with replica.read() as s:
        rows = s.execute(select(BatchSessionAttendance)).scalars().all()
        assert all(r.check_in_time is not None for r in rows
                   if r.attendance_status in ("present", "late"))
        assert all(r.check_in_time is None for r in rows if r.attendance_status == "absent")


def test_quick_entry_box_and_mark_all_keep_an_excused_absence(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                              institute: Institute,
                                                              faculty_ctx: AppContext) -> None:
    excused = institute.student_ids[4]
    attendance.mark(replica, faculty_ctx.actor, institute.batch_key, excused, S.EXCUSED)
    view = _open(qtbot, faculty_ctx, institute)
    qtbot.keyClick(view.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(view.quick_entry, "3 5 zoy")
    qtbot.keyClick(view.quick_entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.controller.idle and faculty_ctx.tasks.idle, timeout=10000)
    saved = _saved(replica, institute)
    assert saved[3] is S.ABSENT and saved[28] is S.ABSENT
    assert saved[5] is S.EXCUSED  # named, but excused in advance: stays excused
    assert sum(s is S.PRESENT for s in saved.values()) == 27
    # Ctrl+M with nobody unmarked changes nothing; undo takes the quick entry back.
    view.controller.mark_all()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.controller.idle and faculty_ctx.tasks.idle, timeout=10000)
    saved = _saved(replica, institute)
    assert saved[5] is S.EXCUSED
    assert sum(s is None for s in saved.values()) == 29
    qtbot.keyClick(view.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.controller.idle and faculty_ctx.tasks.idle, timeout=10000)
    saved = _saved(replica, institute)
    assert saved[5] is S.EXCUSED and sum(s is S.PRESENT for s in saved.values()) == 29


def test_an_ambiguous_quick_entry_marks_nothing_and_says_why(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                             institute: Institute,
                                                             faculty_ctx: AppContext) -> None:
    view = _open(qtbot, faculty_ctx, institute)
    qtbot.keyClicks(view.quick_entry, "a")
    qtbot.keyClick(view.quick_entry, Qt.Key.Key_Return)
    assert "matches 3 students" in view.message.text()
    assert view.quick_entry.text() == "a"  # what was typed stays, to be corrected
    assert all(s is None for s in _saved(replica, institute).values())


def test_topic_tagging_and_understanding_update_progress(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                         institute: Institute,
                                                         faculty_ctx: AppContext) -> None:
    view = _open(qtbot, faculty_ctx, institute)
    qtbot.keyClick(view.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.controller.idle, timeout=10000)
    # The first suggestion is the next topic in the syllabus: Variables.
    assert view.topic_model.row_at(0)[0].name == "Variables"
    with qtbot.waitSignal(view.controller.sig_loaded, timeout=5000):
        view.tag_all_button.click()
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(0, 0))
    qtbot.waitUntil(lambda: view.student_topics.count() == 1, timeout=5000)
    qtbot.keyClick(view.table, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: view.controller.idle and faculty_ctx.tasks.idle, timeout=10000)
    student, topic = institute.student_ids[0], institute.topic_ids[0]
    with replica.read() as s:
        row = s.get(StudentTopicProgress, natural_id("student_topic_progress", student, topic))
        assert row is not None
        assert (row.status, row.competency_level, row.session_count) == (
            ProgressStatus.COMPLETED, 4, 1)
        others = s.execute(select(StudentTopicProgress).where(
            StudentTopicProgress.student_id != student)).scalars().all()
        assert len(others) == 29 and {o.status for o in others} == {"in_progress"}
    assert view.model.data(view.model.index(0, 5)) == "Variables (4)"
