"""Restoring a conflict's losing value is a new edit; the student list and page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from institute_core.enums import AttendanceStatus as S
from institute_core.replica import Replica
from institute_core.schema import ConflictLogEntry, OutboxEntry, Student
from institute_core.services import assessments, attendance, conflicts, students
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def _conflict(replica: Replica, institute: Institute, lost: object = "hold") -> uuid.UUID:
    conflict_id = uuid.uuid4()
    with replica.engine.begin() as c:
        c.execute(ConflictLogEntry.__table__.insert().values(  # type: ignore[attr-defined]
            id=conflict_id, table_name="students", row_id=institute.student_ids[0],
            field="status", kind="overwritten", kept_value="active", lost_value=lost,
            kept_by=institute.counselor_id, lost_by=institute.faculty_user_id,
            server_version=7))
    return conflict_id


def test_restoring_the_lost_value_is_a_new_edit(replica: Replica, institute: Institute) -> None:
    conflict_id = _conflict(replica, institute)
    assert conflicts.open_conflicts(replica) == 1
    [row] = conflicts.list_conflicts(replica)
    assert (row.row_label, row.kept_by, row.lost_by) == ("PY-001", "Cyrus Counselor",
                                                         "Farah Faculty")
    before = replica.pending_changes()
    conflicts.restore_lost_value(replica, replica.actor(institute.faculty_user_id), conflict_id)
    with replica.read() as s:
        assert s.get(Student, institute.student_ids[0]).status == "hold"  # type: ignore[union-attr]
        entry = s.execute(select(OutboxEntry).where(OutboxEntry.table_name == "students")
                          .order_by(OutboxEntry.seq.desc())).scalars().first()
        assert entry is not None and entry.fields["status"] == "hold"
    assert replica.pending_changes() > before  # a new edit, waiting to sync
    assert conflicts.open_conflicts(replica) == 0


def test_a_lost_value_that_no_longer_fits_is_refused_and_nothing_changes(
        replica: Replica, institute: Institute) -> None:
    conflict_id = _conflict(replica, institute, lost="on_the_moon")
    before = replica.pending_changes()
    with pytest.raises(InvalidInput, match="status"):
        conflicts.restore_lost_value(replica, replica.actor(institute.admin_id), conflict_id)
    assert replica.pending_changes() == before
    assert conflicts.open_conflicts(replica) == 1


def test_student_list_and_page(replica: Replica, institute: Institute) -> None:
    rows = students.list_students(replica)
    assert len(rows) == 30 and rows[0].enrollment_no == "PY-001"
    assert "asha s01" in rows[0].haystack
    actor = replica.actor(institute.faculty_user_id)
    attendance.mark(replica, actor, institute.batch_key, institute.student_ids[0], S.PRESENT)
    attendance.tag_topic(replica, actor, institute.batch_key, institute.topic_ids[0], level=5)
    assessments.record(replica, actor, student_id=institute.student_ids[0],
                       subject_id=institute.subject_id, kind="exam", title="Mid",
                       total_marks=100, marks_obtained=81, on=institute.today)
    page = students.student_page(replica, institute.student_ids[0])
    assert page.name == "Asha S01"
    assert [(e.subject, str(e.completion_percentage)) for e in page.enrollments] == [
        ("Python Programming", "16.67")]
    assert [(p.topic, p.status) for p in page.progress] == [("Variables", "mastered")]
    assert [(a.what, a.status) for a in page.attendance] == [("Python Evening", "present")]
    assert page.attendance_rate == 1.0
    assert [(a.title, a.grade) for a in page.assessments] == [("Mid", "A")]
    with pytest.raises(LookupError):
        students.student_page(replica, uuid.uuid4())
