"""Topic progress follows attendance by the documented rules, in the same transaction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from institute_core.enums import AttendanceStatus as S
from institute_core.enums import ProgressStatus as P
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import Enrollment, OutboxEntry, StudentTopicProgress
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from institute_core.services.progress import Coverage, derive
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute

D0 = date(2025, 3, 3)


def _progress(replica: Replica, student, topic) -> StudentTopicProgress:  # type: ignore[no-untyped-def]
    with replica.read() as s:
        row = s.get(StudentTopicProgress, natural_id("student_topic_progress", student, topic))
        assert row is not None
        return row


@pytest.mark.parametrize(("levels", "status", "competency"), [
    ([None], P.IN_PROGRESS, 0),
    ([2], P.IN_PROGRESS, 2),
    ([3], P.COMPLETED, 3),
    ([4, 5], P.MASTERED, 5),
    ([5, 2], P.NEEDS_REVIEW, 2),
    ([3, 1, 4], P.COMPLETED, 4),
    ([], P.NOT_STARTED, 0),
])
def test_status_rules(levels: list[int | None], status: P, competency: int) -> None:
    derived = derive(Coverage(D0 + timedelta(days=i), None, 60, level)
                     for i, level in enumerate(levels))
    assert derived.status is status
    assert derived.competency_level == competency
    assert derived.session_count == len(levels)


def test_completion_date_is_when_it_was_last_completed_and_cleared_on_review() -> None:
    done = derive([Coverage(D0, None, 60, 2), Coverage(D0 + timedelta(days=2), None, 60, 4)])
    assert done.completion_date == D0 + timedelta(days=2)
    assert done.first_introduced_date == D0
    review = derive([Coverage(D0, None, 60, 4), Coverage(D0 + timedelta(days=1), None, 60, 1)])
    assert review.completion_date is None


def test_tagging_a_batch_updates_progress_time_and_enrollment(replica: Replica,
                                                             institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key = institute.batch_key
    first, absent = institute.student_ids[0], institute.student_ids[1]
    attendance.mark(replica, actor, key, absent, S.ABSENT)
    attendance.mark_all(replica, actor, key)
    variables, conditions = institute.topic_ids[0], institute.topic_ids[1]
    tagged = attendance.tag_topic(replica, actor, key, variables)
    attendance.tag_topic(replica, actor, key, conditions)
    assert absent not in tagged and len(tagged) == 29
    attendance.set_level(replica, actor, key, first, variables, 4)

    row = _progress(replica, first, variables)
    assert row.status == P.COMPLETED and row.competency_level == 4
    assert row.session_count == 1
    assert row.time_spent_minutes == 30  # a 60-minute meeting shared by two topics
    assert row.first_introduced_date == institute.today
    assert row.completion_date == institute.today
    assert row.last_updated_by == institute.faculty_id
    with replica.read() as s:
        enrollment = s.get(Enrollment, natural_id("student_subject_enrollments", first,
                                                  institute.subject_id))
        assert enrollment is not None
        assert enrollment.completion_percentage == Decimal("16.67")  # 1 of 6 topics
        assert s.execute(select(OutboxEntry).where(
            OutboxEntry.table_name == "student_topic_progress")).first() is not None
    with replica.read() as s:
        assert s.get(StudentTopicProgress, natural_id("student_topic_progress", absent,
                                                      variables)) is None


def test_a_later_low_rating_needs_review_and_absent_undoes_coverage(replica: Replica,
                                                                    institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    student, topic = institute.student_ids[2], institute.topic_ids[0]
    yesterday = SessionKey.batch(institute.batch_id, institute.today - timedelta(days=1))
    attendance.mark(replica, actor, yesterday, student, S.PRESENT)
    attendance.tag_topic(replica, actor, yesterday, topic, [student], level=5)
    assert _progress(replica, student, topic).status == P.MASTERED
    attendance.mark(replica, actor, institute.batch_key, student, S.LATE)
    attendance.tag_topic(replica, actor, institute.batch_key, topic, [student], level=2)
    row = _progress(replica, student, topic)
    assert (row.status, row.session_count, row.time_spent_minutes) == (P.NEEDS_REVIEW, 2, 120)
    # Marked absent after all: today's coverage no longer counts.
    attendance.mark(replica, actor, institute.batch_key, student, S.ABSENT)
    row = _progress(replica, student, topic)
    assert (row.status, row.session_count) == (P.MASTERED, 1)


def test_tagging_an_absent_student_is_refused(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    student = institute.student_ids[0]
    attendance.mark(replica, actor, institute.batch_key, student, S.ABSENT)
    with pytest.raises(InvalidInput, match="present or late"):
        attendance.tag_topic(replica, actor, institute.batch_key, institute.topic_ids[0],
                             [student])
    with pytest.raises(InvalidInput, match="from 1 to 5"):
        attendance.tag_topic(replica, actor, institute.batch_key, institute.topic_ids[0],
                             level=6)


def test_individual_session_tagging_and_untag(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    key, student, topic = institute.individual_key, institute.student_ids[0], \
        institute.topic_ids[0]
    attendance.mark(replica, actor, key, student, S.PRESENT)
    attendance.tag_topic(replica, actor, key, topic, [student], level=3)
    assert _progress(replica, student, topic).time_spent_minutes == 60
    roster = attendance.load_roster(replica, key)
    assert [(t.name, t.level) for t in roster.rows[0].topics] == [("Variables", 3)]
    attendance.untag_topic(replica, actor, key, topic, [student])
    row = _progress(replica, student, topic)
    assert (row.status, row.session_count) == (P.NOT_STARTED, 0)
    prep = attendance.set_prep(replica, actor, key, student, review=[topic], new=[])
    assert attendance.load_roster(replica, key).rows[0].prep == prep
