"""The replica's one write path: every change is captured, nothing bypasses it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from institute_core.ids import natural_id
from institute_core.replica import HardDeleteRefused, Replica, UncapturedWrite
from institute_core.schema import OutboxEntry, Student, StudentTopicProgress, Subject, Topic, User
from institute_core.validation import InvalidInput


def _seed(replica: Replica) -> dict[str, object]:
    with replica.write(replica.actor(None)) as s:
        user = User(email="asha@example.org", first_name="Asha", last_name="Rao", role="student")
        subject = Subject(name="Python", code="PY101", duration_hours=40)
        s.add_all([user, subject])
        s.flush()
        topic = Topic(subject_id=subject.id, name="Variables", order_index=1,
                      estimated_duration_minutes=60)
        student = Student(user_id=user.id, enrollment_no="ENR-1", admission_date=date(2026, 1, 5))
        s.add_all([topic, student])
        s.flush()
        return {"student": student.id, "topic": topic.id, "user": user.id}


def _outbox(replica: Replica) -> list[OutboxEntry]:
    with replica.read() as s:
        # The audit trail's own entries are tested in tests/setup/test_audit.py.
        return list(s.scalars(select(OutboxEntry).where(OutboxEntry.table_name != "audit_log")
                              .order_by(OutboxEntry.seq)))


def test_inserts_are_captured_with_all_fields_in_order(replica: Replica) -> None:
    _seed(replica)
    entries = _outbox(replica)
    assert [e.table_name for e in entries] == ["users", "subjects", "topics", "students"]
    assert entries[0].fields["email"] == "asha@example.org"
    assert "password_hash" not in entries[0].fields  # never leaves the device
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    stamps = [e.hlc for e in entries]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_update_sends_only_changed_fields_and_soft_delete_is_an_update(replica: Replica) -> None:
    ids = _seed(replica)
    with replica.write(replica.actor(None)) as s:
        student = s.get(Student, ids["student"])
        assert student is not None
        student.address = "12 MG Road"
    with replica.write(replica.actor(None)) as s:
        student = s.get(Student, ids["student"])
        assert student is not None
        student.deleted_at = student.updated_at
    update, delete = _outbox(replica)[-2:]
    assert set(update.fields) == {"address", "updated_at"}
    assert set(delete.fields) == {"deleted_at", "updated_at"}


def test_natural_key_rows_get_the_same_id_on_every_device(replica: Replica) -> None:
    ids = _seed(replica)
    with replica.write(replica.actor(None)) as s:
        progress = StudentTopicProgress(student_id=ids["student"], topic_id=ids["topic"])
        s.add(progress)
        s.flush()
        assert progress.id == natural_id("student_topic_progress", ids["student"], ids["topic"])


def test_invalid_value_is_refused_by_name_and_nothing_is_written(replica: Replica) -> None:
    ids = _seed(replica)
    before = len(_outbox(replica))
    with pytest.raises(InvalidInput, match=r"student_topic_progress\.competency_level"), \
            replica.write(replica.actor(None)) as s:
        s.add(StudentTopicProgress(student_id=ids["student"], topic_id=ids["topic"],
                                   competency_level=7))
    assert len(_outbox(replica)) == before
    with replica.read() as s:
        assert s.scalars(select(StudentTopicProgress)).all() == []


def test_duplicate_enrollment_number_names_table_and_field(replica: Replica) -> None:
    ids = _seed(replica)
    with pytest.raises(InvalidInput, match=r"students\.enrollment_no"), \
            replica.write(replica.actor(None)) as s:
        s.add(Student(user_id=ids["user"], enrollment_no="ENR-1",
                      admission_date=date(2026, 2, 1)))


def test_a_raw_write_to_a_synced_table_is_refused(replica: Replica) -> None:
    _seed(replica)
    with pytest.raises(UncapturedWrite), replica.engine.begin() as conn:
        conn.execute(text("UPDATE students SET address = 'sneaky'"))
    with pytest.raises(UncapturedWrite), replica.write(replica.actor(None)) as s:
        # Core statements inside a unit of work bypass the flush and are refused too.
        s.execute(text("DELETE FROM topics"))


def test_hard_delete_is_refused(replica: Replica) -> None:
    ids = _seed(replica)
    with pytest.raises(HardDeleteRefused), replica.write(replica.actor(None)) as s:
        student = s.get(Student, ids["student"])
        s.delete(student)
    with replica.read() as s:
        assert s.get(Student, ids["student"]) is not None
