"""Enroll: user, student, enrollments and the link back, all or nothing; faculty suggestions."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from institute_core.crm.conversion import EnrollPlan, enroll_inquiry, suggest_faculty
from institute_core.crm.inquiries import InquiryDraft, NeedsConfirmation, create_inquiry, move_stage
from institute_core.crm.listing import list_inquiries
from institute_core.enums import Role
from institute_core.replica import Actor, Replica
from institute_core.schema import Enrollment, Faculty, Inquiry, OutboxEntry, Student, Subject, User
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def _counts(replica: Replica) -> tuple[int, ...]:
    with replica.read() as s:
        return tuple(int(s.execute(select(func.count()).select_from(m)).scalar_one())
                     for m in (User, Student, Enrollment, OutboxEntry))


@pytest.fixture
def second_faculty(replica: Replica, institute: Institute) -> tuple[uuid.UUID, uuid.UUID]:
    """A Python specialist with no students, and a new Design subject nobody specializes in."""
    admin = replica.actor(institute.admin_id)
    with replica.write(admin) as s:
        user = User(email="priya@example.org", first_name="Priya", last_name="Py",
                    role=Role.FACULTY)
        s.add(user)
        s.flush()
        faculty = Faculty(user_id=user.id, employee_id="F-002",
                          specialization=["Python Programming"])
        design = Subject(name="Graphic Design", code="GD101", duration_hours=30)
        s.add_all([faculty, design])
        s.flush()
        return faculty.id, design.id


def test_suggestion_prefers_specialists_then_the_least_loaded(
        replica: Replica, institute: Institute, second_faculty: tuple[uuid.UUID, uuid.UUID]
) -> None:
    priya, design = second_faculty
    with replica.read() as s:
        python = suggest_faculty(s, institute.subject_id)
        assert [x.faculty_id for x in python] == [priya, institute.faculty_id]
        assert python[0].specialized and python[1].active_students == 30
        # Nobody specializes in design: the least loaded comes first.
        assert [x.faculty_id for x in suggest_faculty(s, design)] == [priya, institute.faculty_id]
        assert "specialist" in python[0].describe()


def test_enroll_makes_user_student_and_enrollments_linked_to_the_inquiry(
        replica: Replica, institute: Institute, counselor: Actor,
        second_faculty: tuple[uuid.UUID, uuid.UUID]) -> None:
    priya, design = second_faculty
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft(
        "Neha Joshi", "98450 88888", email="neha@example.in",
        subject_ids=(institute.subject_id,)))
    plan = EnrollPlan("Neha", "Joshi", "Neha@Example.in", "98450 88888",
                      {institute.subject_id: priya, design: institute.faculty_id},
                      date(2026, 11, 23))
    student_id = enroll_inquiry(replica, counselor, inquiry_id, plan)
    with replica.read() as s:
        student = s.get(Student, student_id)
        assert student is not None
        user = s.get(User, student.user_id)
        assert user is not None
        assert (user.email, user.role, user.phone) == ("neha@example.in", "student",
                                                       "98450 88888")
        assert student.counselor_id == institute.counselor_id
        assert student.enrollment_no.startswith("ENR-2026-")
        enrolled = dict(s.execute(select(Enrollment.subject_id, Enrollment.faculty_id).where(
            Enrollment.student_id == student_id)).tuples().all())
        assert enrolled == {institute.subject_id: priya, design: institute.faculty_id}
        inquiry = s.get(Inquiry, inquiry_id)
        assert inquiry is not None
        assert (inquiry.status, inquiry.student_id) == ("enrolled", student_id)
        assert inquiry.converted_at is not None
    row = list_inquiries(replica, institute.counselor_id, institute.today)[0]
    assert (row.status, row.score.value) == ("enrolled", 100)


def test_a_failure_half_way_leaves_nothing(replica: Replica, institute: Institute,
                                           counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Neha", "98450 88888"))
    before = _counts(replica)
    # The second enrollment names a faculty member that does not exist: user, student and the
    # first enrollment were already flushed when it fails.
    plan = EnrollPlan("Neha", "Joshi", "neha@example.in", None,
                      {institute.subject_id: institute.faculty_id, uuid.uuid4(): uuid.uuid4()},
                      date(2026, 11, 23))
    with pytest.raises(InvalidInput):
        enroll_inquiry(replica, counselor, inquiry_id, plan)
    assert _counts(replica) == before
    with replica.read() as s:
        assert s.get(Inquiry, inquiry_id).status == "new"  # type: ignore[union-attr]


def test_email_already_taken_is_explained(replica: Replica, institute: Institute,
                                          counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Neha", "98450 88888"))
    before = _counts(replica)
    plan = EnrollPlan("Neha", "Joshi", "STUDENT01@example.org", None,
                      {institute.subject_id: institute.faculty_id}, date(2026, 11, 23))
    with pytest.raises(InvalidInput, match="already uses this email") as caught:
        enroll_inquiry(replica, counselor, inquiry_id, plan)
    assert caught.value.field == "email"
    assert _counts(replica) == before


def test_enrolling_a_lost_inquiry_asks_first(replica: Replica, institute: Institute,
                                             counselor: Actor) -> None:
    inquiry_id = create_inquiry(replica, counselor, InquiryDraft("Neha", "98450 88888"))
    move_stage(replica, counselor, inquiry_id, "lost", lost_reason="Fees too high")
    plan = EnrollPlan("Neha", "Joshi", "neha@example.in", None,
                      {institute.subject_id: institute.faculty_id}, date(2026, 11, 23))
    with pytest.raises(NeedsConfirmation, match="Fees too high"):
        enroll_inquiry(replica, counselor, inquiry_id, plan)
    enroll_inquiry(replica, counselor, inquiry_id, plan, confirmed=True)
    with replica.read() as s:
        assert s.get(Inquiry, inquiry_id).status == "enrolled"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="enrolled already"):
        enroll_inquiry(replica, counselor, inquiry_id, plan)
