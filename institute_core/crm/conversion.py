""""Enroll": an inquiry becomes a user, a student and subject enrollments in one transaction,
each subject with a faculty member suggested by specialization and current load."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.crm.access import counsels, require_crm_access
from institute_core.crm.inquiries import TABLE, NeedsConfirmation, clean_contact, live_inquiry
from institute_core.enums import EnrollmentStatus, FacultyStatus, InquiryStatus, Role
from institute_core.replica import Actor, Replica
from institute_core.schema import Enrollment, Faculty, Student, Subject, User
from institute_core.schema.types import utcnow
from institute_core.services.common import full_name
from institute_core.services.pace import expected_for
from institute_core.validation import InvalidInput


@dataclass(frozen=True)
class FacultySuggestion:
    """A faculty member who could teach a subject: specialists first, then the least loaded."""

    faculty_id: uuid.UUID
    name: str
    specialized: bool
    active_students: int
    capacity: int | None

    def describe(self) -> str:
        fit = "specialist" if self.specialized else "not a specialist"
        return f"{self.name} – {fit}, {self.active_students} active students"


def _specialized(specializations: list[str] | None, subject: Subject) -> bool:
    wanted = {x.lower() for x in (subject.name, subject.code, subject.category or "") if x}
    return any(s.lower() in wanted or subject.name.lower() in s.lower()
               for s in specializations or [])


def suggest_faculty(session: Session, subject_id: uuid.UUID) -> list[FacultySuggestion]:
    """Active faculty for a subject, best first: specialists, then by active students."""
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise LookupError(f"no subject with id {subject_id}")
    load = dict(session.execute(
        select(Enrollment.faculty_id, func.count()).where(
            Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.deleted_at.is_(None))
        .group_by(Enrollment.faculty_id)).tuples().all())
    suggestions = [
        FacultySuggestion(f.id, full_name(u.first_name, u.last_name),
                          _specialized(f.specialization, subject), int(load.get(f.id, 0)),
                          f.max_students_per_day)
        for f, u in session.execute(
            select(Faculty, User).join(User, User.id == Faculty.user_id).where(
                Faculty.status == FacultyStatus.ACTIVE, Faculty.deleted_at.is_(None),
                User.deleted_at.is_(None)))]
    suggestions.sort(key=lambda s: (not s.specialized, s.active_students, s.name))
    return suggestions


@dataclass(frozen=True)
class EnrollPlan:
    """What the Enroll dialog confirmed: the person, and a faculty per subject."""

    first_name: str
    last_name: str
    email: str
    phone: str | None
    subjects: Mapping[uuid.UUID, uuid.UUID]  # subject id -> faculty id
    admission_date: date


def _next_enrollment_no(session: Session, year: int) -> str:
    prefix = f"ENR-{year}-"
    taken = set(session.execute(select(Student.enrollment_no).where(
        Student.enrollment_no.like(f"{prefix}%"))).scalars())
    n = len(taken) + 1
    while f"{prefix}{n:05d}" in taken:
        n += 1
    return f"{prefix}{n:05d}"


def enroll_inquiry(replica: Replica, actor: Actor, inquiry_id: uuid.UUID, plan: EnrollPlan, *,
                   confirmed: bool = False) -> uuid.UUID:
    """Make the student; returns the new students.id. Any failure leaves nothing written."""
    contact = clean_contact(f"{plan.first_name} {plan.last_name}", plan.phone, plan.email)
    if not plan.email.strip():
        raise InvalidInput("users", "email", "is required: a student signs in with it")
    if not plan.first_name.strip():
        raise InvalidInput("users", "first_name", "is required")
    if not plan.subjects:
        raise InvalidInput("student_subject_enrollments", "subject_id",
                           "choose at least one subject to enroll in")
    with replica.write(actor) as session:
        held = require_crm_access(session, actor.user_id)
        inquiry = live_inquiry(session, inquiry_id)
        if inquiry.status == InquiryStatus.ENROLLED:
            raise InvalidInput(TABLE, "status", "is enrolled already")
        if inquiry.status == InquiryStatus.LOST and not confirmed:
            raise NeedsConfirmation(f"{inquiry.student_name} was lost ({inquiry.lost_reason}) "
                                    "and has had no new contact; enroll anyway?")
        email = (contact.email or "").lower()
        if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
            raise InvalidInput("users", "email", "another account already uses this email",
                               email)
        user = User(email=email, first_name=plan.first_name.strip(),
                    last_name=plan.last_name.strip(), phone=contact.phone, role=Role.STUDENT)
        session.add(user)
        session.flush()
        # A counselor converting a colleague's lead looks after the student themselves: the
        # server lets counselors create students only in their own care (sync/policy.py).
        counselor = actor.user_id if counsels(held) else inquiry.counselor_id
        student = Student(user_id=user.id, admission_date=plan.admission_date,
                          enrollment_no=_next_enrollment_no(session, plan.admission_date.year),
                          counselor_id=counselor,
                          branch_id=inquiry.branch_id)  # the branch that won the lead
        session.add(student)
        session.flush()
        for subject_id, faculty_id in plan.subjects.items():
            if session.get(Faculty, faculty_id) is None:
                raise InvalidInput("student_subject_enrollments", "faculty_id",
                                   "refers to a faculty member that does not exist")
            session.add(Enrollment(
                student_id=student.id, subject_id=subject_id, faculty_id=faculty_id,
                enrollment_date=plan.admission_date,
                expected_completion_date=expected_for(session, student.id, subject_id,
                                                      plan.admission_date)))
        inquiry.status = InquiryStatus.ENROLLED.value
        inquiry.student_id = student.id
        inquiry.converted_at = utcnow()
        inquiry.next_follow_up_date = None
        inquiry.lost_reason = None
        session.flush()
        return student.id


def faculty_suggestions(replica: Replica, user_id: uuid.UUID, subject_ids: list[uuid.UUID]
                        ) -> dict[uuid.UUID, list[FacultySuggestion]]:
    """`suggest_faculty` for each subject, read in one go for the Enroll dialog."""
    with replica.read() as session:
        require_crm_access(session, user_id)
        return {subject_id: suggest_faculty(session, subject_id) for subject_id in subject_ids}
