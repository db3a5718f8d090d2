"""Setup services: accounts and who may manage them, faculty, students, syllabus, batches."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest
from sqlalchemy import select

from institute_core.audit import log
from institute_core.audit.log import AuditFilter
from institute_core.ids import natural_id
from institute_core.replica import Replica
from institute_core.schema import Enrollment, Student, TopicPrerequisite, User
from institute_core.services import auth
from institute_core.setup import batches, people, syllabus
from institute_core.setup.access import NotAllowed
from institute_core.setup.week import Week
from institute_core.validation import InvalidInput
from tests.services.fixtures import PASSWORD, Institute
from tests.setup.conftest import ADMIN, COUNSELOR, FACULTY, SUPER


def _new(role: str, email: str = "new@example.org") -> people.NewUser:
    return people.NewUser(email=email, first_name="Nia", last_name="New", role=role,
                          password="a long password")


# --- accounts ---------------------------------------------------------------------------

def test_admins_manage_staff_but_only_a_super_admin_manages_admins(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    counselor = people.create_user(replica, actor, ADMIN, _new("counselor"))
    with pytest.raises(NotAllowed, match="only a super admin"):
        people.create_user(replica, actor, ADMIN, _new("admin", "boss@example.org"))
    with pytest.raises(NotAllowed, match="only a super admin"):
        people.update_user(replica, actor, ADMIN, counselor, role="admin")
    with pytest.raises(NotAllowed, match="it takes the permission"):
        people.create_user(replica, actor, COUNSELOR, _new("faculty", "f2@example.org"))
    admin = people.create_user(replica, actor, SUPER, _new("admin", "boss@example.org"))
    with pytest.raises(NotAllowed):
        people.deactivate_user(replica, actor, ADMIN, admin)
    with replica.read() as s:
        assert s.get(User, counselor).role == "counselor"  # type: ignore[union-attr]
        assert s.get(User, admin).status == "active"  # type: ignore[union-attr]


def test_a_taken_email_is_refused_by_name(replica: Replica, institute: Institute) -> None:
    with pytest.raises(InvalidInput, match=r"users\.email: another account already uses"):
        people.create_user(replica, replica.actor(institute.admin_id), ADMIN,
                           _new("faculty", "Faculty@Example.org"))


def test_deactivated_accounts_cannot_sign_in_and_nobody_deactivates_themself(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    people.deactivate_user(replica, actor, ADMIN, institute.counselor_id)
    with pytest.raises(auth.LoginFailed) as refused:
        auth.login_offline(replica, "counselor@example.org", PASSWORD)
    assert refused.value.problem is auth.LoginProblem.INACTIVE
    with pytest.raises(InvalidInput, match="your own account"):
        people.deactivate_user(replica, actor, ADMIN, institute.admin_id)
    people.reactivate_user(replica, actor, ADMIN, institute.counselor_id)
    assert auth.login_offline(replica, "counselor@example.org", PASSWORD).role == "counselor"


def test_a_password_reset_replaces_every_verifier_on_this_desk(
        replica: Replica, institute: Institute) -> None:
    auth.remember_verifier(replica, institute.faculty_user_id, "faculty@example.org", PASSWORD)
    people.reset_password(replica, replica.actor(institute.admin_id), ADMIN,
                          institute.faculty_user_id, "brand new secret")
    with pytest.raises(auth.LoginFailed):
        auth.login_offline(replica, "faculty@example.org", PASSWORD)
    assert auth.login_offline(replica, "faculty@example.org", "brand new secret").user_id == \
        institute.faculty_user_id
    [entry] = log.list_entries(replica, ADMIN, AuditFilter(row_id=institute.faculty_user_id,
                                                           action="update"))
    assert entry.new_values == {"password_hash": "(secret)"}
    with pytest.raises(InvalidInput, match="at least 8"):
        people.reset_password(replica, replica.actor(institute.admin_id), ADMIN,
                              institute.faculty_user_id, "short")


# --- faculty and students ---------------------------------------------------------------

def test_weekly_availability_round_trips_merging_touching_slots(
        replica: Replica, institute: Institute) -> None:
    week = Week()
    week.set_slots("monday", [(time(9), time(11)), (time(11), time(12)), (time(14), time(17))])
    week.set_slots("saturday", [(time(10), time(13))])
    people.set_availability(replica, replica.actor(institute.admin_id), ADMIN,
                            institute.faculty_id, week)
    stored = people.availability_of(replica, institute.faculty_id)
    assert stored.slots("monday") == [(time(9), time(12)), (time(14), time(17))]
    assert stored.total_minutes() == 3 * 60 + 3 * 60 + 3 * 60
    assert stored.is_free("saturday", time(12, 30)) and not stored.is_free("sunday", time(10))
    with pytest.raises(InvalidInput, match="must end after it starts"):
        week.set_slots("tuesday", [(time(15), time(9))])


def test_moving_a_student_to_another_faculty_keeps_the_history(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    other_user = people.create_user(replica, actor, ADMIN, _new("faculty", "nia@example.org"))
    other = people.save_faculty(replica, actor, ADMIN, other_user, employee_id="F-002")
    enrollment_id = natural_id("student_subject_enrollments", institute.student_ids[0],
                               institute.subject_id)
    people.move_to_faculty(replica, actor, ADMIN, enrollment_id, other, reason="evening slot",
                           on=date(2026, 3, 1))
    with replica.read() as s:
        assert s.get(Enrollment, enrollment_id).faculty_id == other  # type: ignore[union-attr]
    [move] = people.moves_of(replica, enrollment_id)
    assert (move.from_faculty_id, move.to_faculty_id, move.reason, move.moved_on) == (
        institute.faculty_id, other, "evening slot", date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="already with this faculty"):
        people.move_to_faculty(replica, actor, ADMIN, enrollment_id, other)
    people.save_faculty(replica, actor, ADMIN, institute.faculty_user_id, status="on_leave")
    with pytest.raises(InvalidInput, match="F-001 is on leave"):
        people.move_to_faculty(replica, actor, ADMIN, enrollment_id, institute.faculty_id)


def test_student_fields_are_checked_and_unknown_ones_refused(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    people.update_student(replica, actor, ADMIN, institute.student_ids[1],
                          emergency_contact_name="Mother", learning_style="visual")
    with pytest.raises(InvalidInput, match=r"students\.status"):
        people.update_student(replica, actor, ADMIN, institute.student_ids[1], status="gone")
    with pytest.raises(InvalidInput, match=r"students\.user_id: cannot be set here"):
        people.update_student(replica, actor, ADMIN, institute.student_ids[1],
                              user_id=uuid.uuid4())
    with pytest.raises(NotAllowed):
        people.update_student(replica, actor, FACULTY, institute.student_ids[1], address="x")
    with replica.read() as s:
        student = s.get(Student, institute.student_ids[1])
        assert student is not None and student.status == "active"
        assert student.learning_style == "visual"


# --- syllabus ---------------------------------------------------------------------------

def test_a_topic_prerequisite_cycle_is_refused_naming_the_loop(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    t = syllabus.topics_of(replica, institute.subject_id)
    a, b, c = t[0], t[1], t[2]
    syllabus.add_topic_prerequisite(replica, actor, ADMIN, b.id, a.id)  # b needs a
    syllabus.add_topic_prerequisite(replica, actor, ADMIN, c.id, b.id)  # c needs b
    with pytest.raises(syllabus.PrerequisiteCycle) as caught:
        syllabus.add_topic_prerequisite(replica, actor, ADMIN, a.id, c.id)
    assert caught.value.cycle == [a.name, c.name, b.name, a.name]
    assert f"would make a cycle: {a.name} → {c.name} → {b.name} → {a.name}" in str(caught.value)
    with pytest.raises(syllabus.PrerequisiteCycle, match="cycle"):
        syllabus.add_topic_prerequisite(replica, actor, ADMIN, a.id, a.id)
    assert syllabus.prerequisites_of(replica, a.id) == []  # nothing of the refusal was kept


def test_removing_a_prerequisite_breaks_the_loop_and_re_adding_reuses_the_row(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    a, b = syllabus.topics_of(replica, institute.subject_id)[3:5]
    syllabus.add_topic_prerequisite(replica, actor, ADMIN, b.id, a.id)
    syllabus.remove_topic_prerequisite(replica, actor, ADMIN, b.id, a.id)
    syllabus.add_topic_prerequisite(replica, actor, ADMIN, a.id, b.id)  # no loop any more
    syllabus.remove_topic_prerequisite(replica, actor, ADMIN, a.id, b.id)
    syllabus.add_topic_prerequisite(replica, actor, ADMIN, b.id, a.id)
    with replica.read() as s:
        rows = s.scalars(select(TopicPrerequisite).where(
            TopicPrerequisite.topic_id == b.id, TopicPrerequisite.prerequisite_id == a.id)).all()
    assert len(rows) == 1 and rows[0].deleted_at is None


def test_subject_prerequisite_cycles_are_refused_by_code(replica: Replica,
                                                         institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    web = syllabus.save_subject(replica, actor, ADMIN, name="Web", code="WEB1", duration_hours=20)
    js = syllabus.save_subject(replica, actor, ADMIN, name="JS", code="JS1", duration_hours=20)
    syllabus.add_subject_prerequisite(replica, actor, ADMIN, js, web)
    syllabus.add_subject_prerequisite(replica, actor, ADMIN, web, institute.subject_id)
    with pytest.raises(syllabus.PrerequisiteCycle,
                       match="PY101 → JS1 → WEB1 → PY101"):
        syllabus.add_subject_prerequisite(replica, actor, ADMIN, institute.subject_id, js)
    with pytest.raises(NotAllowed):
        syllabus.add_subject_prerequisite(replica, actor, COUNSELOR, web, js)


def test_topics_reorder_and_keep_their_resources(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    topics = syllabus.topics_of(replica, institute.subject_id)
    new_order = [t.id for t in reversed(topics)]
    syllabus.reorder_topics(replica, actor, ADMIN, institute.subject_id, new_order)
    assert [t.id for t in syllabus.topics_of(replica, institute.subject_id)] == new_order
    with pytest.raises(InvalidInput, match="every topic"):
        syllabus.reorder_topics(replica, actor, ADMIN, institute.subject_id, new_order[:2])
    added = syllabus.save_topic(replica, actor, ADMIN, institute.subject_id, name="Async",
                                estimated_duration_minutes=45,
                                resources={"links": ["https://docs.python.org", " "],
                                           "files": ["/share/async.pdf"]})
    last = syllabus.topics_of(replica, institute.subject_id)[-1]
    assert last.id == added and last.order_index == len(topics)
    assert last.resources == {"links": ["https://docs.python.org"],
                              "files": ["/share/async.pdf"]}
    with pytest.raises(InvalidInput, match="unknown kind of resource"):
        syllabus.save_topic(replica, actor, ADMIN, institute.subject_id, added,
                            resources={"podcasts": ["x"]})


# --- batches ----------------------------------------------------------------------------

def test_batch_capacity_is_respected_with_a_clear_message(replica: Replica,
                                                          institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    batch = batches.save_batch(replica, actor, ADMIN, name="Weekend Workshop",
                               subject_id=institute.subject_id, faculty_id=institute.faculty_id,
                               batch_type="workshop", start_date=date(2026, 12, 5),
                               max_students=2)
    first, second, third = institute.student_ids[:3]
    batches.add_member(replica, actor, ADMIN, batch, first)
    batches.add_member(replica, actor, ADMIN, batch, second)
    with pytest.raises(batches.BatchFull, match=r"'Weekend Workshop' is full \(2 of 2"):
        batches.add_member(replica, actor, ADMIN, batch, third)
    with pytest.raises(InvalidInput, match="already in this batch"):
        batches.add_member(replica, actor, ADMIN, batch, first)
    with pytest.raises(InvalidInput, match="has 2 students"):
        batches.save_batch(replica, actor, ADMIN, batch, max_students=1)
    batches.remove_member(replica, actor, ADMIN, batch, first)
    batches.add_member(replica, actor, ADMIN, batch, third)
    assert {m[0] for m in batches.members_of(replica, batch)} == {second, third}
    with pytest.raises(NotAllowed):
        batches.add_member(replica, actor, COUNSELOR, batch, first)


def test_a_synced_password_reset_makes_other_desks_cached_verifiers_stale(
        replica: Replica, institute: Institute) -> None:
    from institute_core.schema import PasswordReset
    from institute_core.setup.passwords import STALE_VERIFIER

    # This desk cached the faculty's verifier at an online sign-in; then a reset arrives.
    auth.remember_verifier(replica, institute.faculty_user_id, "faculty@example.org", PASSWORD)
    assert auth.login_offline(replica, "faculty@example.org", PASSWORD).role == "faculty"
    with replica.write(replica.actor(institute.admin_id)) as s:  # as sync would bring it
        s.add(PasswordReset(user_id=institute.faculty_user_id, reset_by=institute.admin_id,
                            verifier=auth.hash_password("brand new secret")))
    with pytest.raises(auth.LoginFailed) as refused:
        auth.login_offline(replica, "faculty@example.org", PASSWORD)
    assert str(refused.value) == STALE_VERIFIER
    # After the next online sign-in the desk caches the new password and works offline again.
    auth.remember_verifier(replica, institute.faculty_user_id, "faculty@example.org",
                           "brand new secret")
    assert auth.login_offline(replica, "faculty@example.org", "brand new secret").role == \
        "faculty"
    [entry] = log.list_entries(replica, ADMIN, AuditFilter(table_name="password_resets"))
    assert entry.new_values is not None and entry.new_values["verifier"] == "(secret)"
