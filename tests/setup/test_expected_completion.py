"""Enrolling sets when the course should be finished; finishing it records when it was."""

from __future__ import annotations

import math
from datetime import date, timedelta

from institute_core.enums import AttendanceStatus
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import Enrollment, Subject, Topic
from institute_core.services import attendance
from institute_core.services.pace import INDIVIDUAL_MINUTES_A_WEEK, SLACK
from institute_core.setup import batches, people
from tests.services.fixtures import Institute
from tests.setup.conftest import ADMIN

JOINED = date(2026, 7, 6)


def _enrollment(replica: Replica, student_id: object, subject_id: object) -> Enrollment:
    with replica.read() as s:
        row = s.get(Enrollment, natural_id("student_subject_enrollments", student_id,
                                           subject_id))
        assert row is not None
        return row


def _sql_subject(replica: Replica, institute: Institute) -> object:
    """SQL Basics: three topics, 60 + 90 + 120 = 270 minutes of teaching."""
    with replica.write(replica.actor(institute.admin_id)) as s:
        subject = Subject(name="SQL Basics", code="SQL101", duration_hours=10)
        s.add(subject)
        s.flush()
        s.add_all([Topic(subject_id=subject.id, name=n, order_index=i,
                         estimated_duration_minutes=m)
                   for i, (n, m) in enumerate((("Select", 60), ("Join", 90), ("Group", 120)))])
        return subject.id


def test_enrolling_sets_the_expected_date_from_topics_and_pace(
        replica: Replica, institute: Institute) -> None:
    subject = _sql_subject(replica, institute)
    student = institute.student_ids[0]
    actor = replica.actor(institute.admin_id)
    people.enroll(replica, actor, ADMIN, student, subject, institute.faculty_id, on=JOINED)
    weeks = math.ceil(270 * SLACK / INDIVIDUAL_MINUTES_A_WEEK)  # one 90-minute session a week
    assert _enrollment(replica, student, subject).expected_completion_date == \
        JOINED + timedelta(weeks=weeks) == date(2026, 8, 10)

    # Joining a batch that meets twice a week for two hours brings the date forward.
    batch_id = batches.save_batch(
        replica, actor, ADMIN, name="SQL mornings", subject_id=subject,
        faculty_id=institute.faculty_id, batch_type="temporary", start_date=JOINED,
        schedule={"weekly": [{"day": "monday", "start": "10:00", "end": "12:00"},
                             {"day": "thursday", "start": "10:00", "end": "12:00"}]})
    batches.add_member(replica, actor, ADMIN, batch_id, student, on=JOINED)
    assert _enrollment(replica, student, subject).expected_completion_date == \
        JOINED + timedelta(weeks=math.ceil(270 * SLACK / 240)) == date(2026, 7, 20)


def test_a_typed_expected_date_stays_when_joining_a_batch(replica: Replica,
                                                          institute: Institute) -> None:
    subject = _sql_subject(replica, institute)
    student = institute.student_ids[1]
    actor = replica.actor(institute.admin_id)
    people.enroll(replica, actor, ADMIN, student, subject, institute.faculty_id, on=JOINED)
    agreed = date(2026, 12, 31)
    with replica.write(actor) as s:
        row = s.get(Enrollment, natural_id("student_subject_enrollments", student, subject))
        assert row is not None
        row.expected_completion_date = agreed
    batch_id = batches.save_batch(
        replica, actor, ADMIN, name="SQL evenings", subject_id=subject,
        faculty_id=institute.faculty_id, batch_type="temporary", start_date=JOINED,
        schedule={"weekly": [{"day": "friday", "start": "16:00", "end": "18:00"}]})
    batches.add_member(replica, actor, ADMIN, batch_id, student, on=JOINED)
    assert _enrollment(replica, student, subject).expected_completion_date == agreed


def test_completing_the_last_topic_records_the_completion_date(
        replica: Replica, institute: Institute) -> None:
    student, key = institute.student_ids[0], institute.individual_key
    actor = replica.actor(institute.faculty_user_id)
    attendance.mark(replica, actor, key, student, AttendanceStatus.PRESENT)
    *first, last = institute.topic_ids
    for topic in first:
        attendance.tag_topic(replica, actor, key, topic, [student], level=4)
    assert _enrollment(replica, student, institute.subject_id).actual_completion_date is None
    attendance.tag_topic(replica, actor, key, last, [student], level=4)
    finished = _enrollment(replica, student, institute.subject_id)
    assert finished.completion_percentage == 100
    assert finished.actual_completion_date == institute.today
    # The last topic re-rated 2 is not completed after all: neither is the course.
    attendance.set_level(replica, actor, key, student, last, 2)
    reopened = _enrollment(replica, student, institute.subject_id)
    assert reopened.completion_percentage < 100 and reopened.actual_completion_date is None
