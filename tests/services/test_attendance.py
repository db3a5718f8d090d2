"""Marking attendance: saved at once, excused absences kept, quick entry, undo."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from institute_core.enums import AttendanceStatus as S
from institute_core.replica import Replica
from institute_core.schema import BatchSessionAttendance, OutboxEntry
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def test_marking_saves_status_and_check_in_and_records_for_sync(replica: Replica,
                                                                institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key = institute.batch_key
    status, check_in = attendance.mark(replica, actor, key, institute.student_ids[0], S.PRESENT,
                                       at=time(17, 2))
    assert (status, check_in) == (S.PRESENT, time(17, 2))
    status, check_in = attendance.mark(replica, actor, key, institute.student_ids[1], S.ABSENT)
    assert (status, check_in) == (S.ABSENT, None)
    roster = attendance.load_roster(replica, key)
    assert [r.status for r in roster.rows[:3]] == [S.PRESENT, S.ABSENT, None]
    with replica.read() as s:
        assert s.execute(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.table_name == "batch_session_attendance")).scalar_one() == 2


def test_mark_all_sets_only_unmarked_and_keeps_an_excused_absence(replica: Replica,
                                                                 institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key = institute.batch_key
    excused, late = institute.student_ids[3], institute.student_ids[4]
    attendance.mark(replica, actor, key, excused, S.EXCUSED)
    attendance.mark(replica, actor, key, late, S.LATE)
    changed = attendance.mark_all(replica, actor, key)
    assert len(changed) == 28
    rows = {r.student_id: r.status for r in attendance.load_roster(replica, key).rows}
    assert rows[excused] is S.EXCUSED
    assert rows[late] is S.LATE
    assert sum(s is S.PRESENT for s in rows.values()) == 28


def test_undo_clears_a_mark(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key = institute.batch_key
    attendance.mark(replica, actor, key, institute.student_ids[0], S.ABSENT)
    attendance.mark(replica, actor, key, institute.student_ids[0], None)
    assert attendance.load_roster(replica, key).rows[0].status is None
    with replica.read() as s:
        row = s.execute(select(BatchSessionAttendance)).scalar_one()
        assert row.deleted_at is not None  # soft delete: the undo syncs too


def test_quick_entry_marks_named_absent_and_the_rest_present(replica: Replica,
                                                            institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key = institute.batch_key
    attendance.mark(replica, actor, key, institute.student_ids[5], S.EXCUSED)
    rows = attendance.load_roster(replica, key).rows
    # position 2, an enrollment number, and the first letters of a unique name
    entry = attendance.parse_quick_entry("2 py-010 zoy", rows)
    assert entry.problems == ()
    attendance.apply_quick_entry(replica, actor, key, entry, rows)
    after = {r.position: r.status for r in attendance.load_roster(replica, key).rows}
    assert after[2] is S.ABSENT and after[10] is S.ABSENT and after[28] is S.ABSENT
    assert after[6] is S.EXCUSED
    assert sum(s is S.PRESENT for s in after.values()) == 26


def test_quick_entry_names_ambiguous_and_unknown_tokens_and_marks_nothing(
        replica: Replica, institute: Institute) -> None:
    rows = attendance.load_roster(replica, institute.batch_key).rows
    entry = attendance.parse_quick_entry("a 99x", rows)
    assert len(entry.problems) == 2
    assert entry.problems[0].startswith("“a” matches 3 students (Asha S01, Arjun S06, Anil S29)")
    assert entry.problems[1] == "“99x” matches no student"
    with pytest.raises(InvalidInput):
        attendance.apply_quick_entry(replica, replica.actor(institute.faculty_user_id),
                                     institute.batch_key, entry, rows)
    assert all(r.status is None for r in attendance.load_roster(replica, institute.batch_key).rows)


def test_notes_need_a_mark_first_and_then_save(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key, student = institute.batch_key, institute.student_ids[0]
    with pytest.raises(InvalidInput, match="mark the student"):
        attendance.set_notes(replica, actor, key, student, "did well")
    attendance.mark(replica, actor, key, student, S.PRESENT)
    attendance.set_notes(replica, actor, key, student, "did well")
    assert attendance.load_roster(replica, key).rows[0].notes == "did well"


def test_student_not_on_roster_is_refused(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    with pytest.raises(InvalidInput, match="roster"):
        attendance.mark(replica, actor, institute.individual_key, institute.student_ids[1],
                        S.PRESENT)


@pytest.mark.parametrize(("marked", "expected"), [
    (time(14, 30), time(14, 30)),  # half an hour before a 15:00 class: seen arriving
    (time(15, 10), time(15, 10)),
    (time(17, 30), time(17, 30)),  # half an hour after it ends
    (time(11, 50), time(15, 0)),  # marked ahead: the class had not started
    (time(17, 31), time(15, 0)),  # marked after the fact: the class's time, not the typing's
])
def test_check_in_is_the_moment_only_while_the_session_is_on(marked: time,
                                                             expected: time) -> None:
    day = date(2026, 12, 5)
    assert attendance.check_in_time(datetime.combine(day, marked), day, time(15, 0),
                                    time(17, 0)) == expected
    # The next day is after the fact too; unknown times keep the moment of marking.
    assert attendance.check_in_time(datetime.combine(day + timedelta(days=1), marked), day,
                                    time(15, 0), time(17, 0)) == time(15, 0)
    assert attendance.check_in_time(datetime.combine(day, marked), day, None, None) == marked


def test_a_batch_marked_the_next_morning_records_the_class_time(replica: Replica,
                                                                institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    yesterday = SessionKey.batch(institute.batch_id, institute.today - timedelta(days=1))
    _status, check_in = attendance.mark(replica, actor, yesterday, institute.student_ids[0],
                                        S.PRESENT)
    assert check_in == time(17, 0)  # the Python Evening batch meets 17:00-18:00
