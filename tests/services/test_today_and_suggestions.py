"""Today's sessions in time order, next topics, and topics missed while absent."""

from __future__ import annotations

from datetime import time, timedelta

from institute_core.enums import AttendanceStatus as S
from institute_core.replica import Replica
from institute_core.services import attendance, suggestions, today
from institute_core.services.common import SessionKey
from tests.services.fixtures import Institute


def test_today_lists_individual_then_batch_by_start_time(replica: Replica,
                                                         institute: Institute) -> None:
    sessions = today.today_sessions(replica, institute.faculty_id, institute.today)
    assert [(s.key.kind, s.start) for s in sessions] == [("individual", time(10)),
                                                         ("batch", time(17))]
    batch = sessions[1]
    assert batch.title == "Python Evening" and batch.location == "Lab 2"
    assert len(batch.students) == 30
    assert [t.name for t in batch.students[0].next_topics] == ["Variables"]


def test_next_topics_follow_order_and_prerequisites(replica: Replica,
                                                    institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    student = institute.student_ids[0]
    key = institute.individual_key
    attendance.mark(replica, actor, key, student, S.PRESENT)
    for topic in institute.topic_ids[:4]:
        attendance.tag_topic(replica, actor, key, topic, [student], level=3)
    with replica.read() as s:
        found = suggestions.suggest_for_student(s, student, institute.subject_id)
        syllabus = suggestions.load_syllabus(s, institute.subject_id)
    # Classes and Modules both have their prerequisites met now.
    assert [t.name for t in found] == ["Classes", "Modules"]
    assert [t.name for t in syllabus.search("ON")] == ["Conditions", "Functions"]


def test_topics_covered_while_absent_are_listed_as_missed(replica: Replica,
                                                          institute: Institute) -> None:
    actor = replica.actor(institute.faculty_user_id)
    away, excused = institute.student_ids[0], institute.student_ids[1]
    yesterday = SessionKey.batch(institute.batch_id, institute.today - timedelta(days=1))
    attendance.mark(replica, actor, yesterday, away, S.ABSENT)
    attendance.mark(replica, actor, yesterday, excused, S.EXCUSED)
    attendance.mark_all(replica, actor, yesterday)
    attendance.tag_topic(replica, actor, yesterday, institute.topic_ids[0], level=3)
    batch = today.today_sessions(replica, institute.faculty_id, institute.today)[1]
    due = {d.student_id: d for d in batch.students}
    assert [t.name for t in due[away].missed_topics] == ["Variables"]
    assert [t.name for t in due[excused].missed_topics] == ["Variables"]
    assert due[institute.student_ids[2]].missed_topics == ()
    assert [t.name for t in due[institute.student_ids[2]].next_topics] == ["Conditions"]
