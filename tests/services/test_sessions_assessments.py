"""Scheduling warns instead of refusing silently; assessments compute percentage and grade."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from institute_core.enums import SessionStatus
from institute_core.replica import Replica
from institute_core.schema import Assessment, FlexibleBatch, LearningSession
from institute_core.services import assessments, sessions, today
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def test_an_overlapping_session_needs_confirmation(replica: Replica,
                                                   institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    args = {"faculty_id": institute.faculty_id, "student_id": institute.student_ids[3],
            "subject_id": institute.subject_id, "on": institute.today, "start": time(10, 30),
            "end": time(11, 30)}
    with pytest.raises(sessions.NeedsConfirmation) as caught:
        sessions.schedule_individual(replica, actor, **args)
    assert caught.value.warnings == ("overlaps an individual session (10:00–11:00)",)
    done = sessions.schedule_individual(replica, actor, **args, confirm=True)
    assert done.warnings == caught.value.warnings


def test_availability_and_daily_hours_are_warned(replica: Replica, institute: Institute) -> None:
    warnings = sessions.plan_individual(replica, faculty_id=institute.faculty_id,
                                        student_id=institute.student_ids[3], on=institute.today,
                                        start=time(7, 0), end=time(12, 30))
    assert any("outside the faculty member's available hours" in w for w in warnings)
    assert any("more than the maximum of 6" in w for w in warnings)


def test_batch_meeting_cancel_and_no_show(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    sessions.cancel(replica, actor, institute.batch_key)
    assert len(today.today_sessions(replica, institute.faculty_id, institute.today)) == 1
    sessions.schedule_batch_meeting(replica, actor, batch_id=institute.batch_id,
                                    on=institute.today, start=time(14), end=time(15))
    listed = today.today_sessions(replica, institute.faculty_id, institute.today)
    assert [s.start for s in listed] == [time(10), time(14)]
    with replica.read() as s:
        doc = s.get(FlexibleBatch, institute.batch_id).schedule  # type: ignore[union-attr]
        assert doc["cancelled"] == [] and doc["extra"][0]["start"] == "14:00"
    sessions.mark_no_show(replica, actor, institute.individual_session_id)
    with replica.read() as s:
        assert s.get(LearningSession, institute.individual_session_id).status == \
            SessionStatus.NO_SHOW  # type: ignore[union-attr]


def test_end_before_start_is_refused(replica: Replica, institute: Institute) -> None:
    with pytest.raises(InvalidInput, match="earlier than the end"):
        sessions.plan_individual(replica, faculty_id=institute.faculty_id,
                                 student_id=institute.student_ids[0], on=institute.today,
                                 start=time(12), end=time(11))


@pytest.mark.parametrize(("marks", "total", "percentage", "grade"), [
    ("45", "50", Decimal("90.00"), "A+"), (33, 50, Decimal("66.00"), "C"),
    ("0", "20", Decimal("0.00"), "F"), ("2", "3", Decimal("66.67"), "C"),
])
def test_score(marks: str, total: str, percentage: Decimal, grade: str) -> None:
    assert assessments.score(Decimal(marks), Decimal(total)) == (percentage, grade)


def test_pending_assessment_is_graded_later(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    pending = assessments.record(replica, actor, student_id=institute.student_ids[0],
                                 subject_id=institute.subject_id, kind="quiz", title="Loops quiz",
                                 total_marks="20", on=institute.today)
    assert (pending.status, pending.percentage) == ("pending", None)
    graded = assessments.grade(replica, actor, pending.id, "15")
    assert (graded.status, graded.percentage, graded.grade) == ("graded", Decimal("75.00"), "B")
    with replica.read() as s:
        row = s.execute(select(Assessment)).scalar_one()
        assert row.faculty_id == institute.faculty_id and row.marks_obtained == Decimal("15")
    with pytest.raises(InvalidInput, match="between 0 and the total marks"):
        assessments.grade(replica, actor, pending.id, "21")
    with pytest.raises(InvalidInput, match="must be one of"):
        assessments.record(replica, actor, student_id=institute.student_ids[0],
                           subject_id=institute.subject_id, kind="oral", title="x",
                           total_marks=10, on=institute.today)
