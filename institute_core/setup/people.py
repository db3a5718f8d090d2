"""Staff accounts, faculty profiles and students: what an admin sets up before teaching starts.

Every function takes the replica, the `Actor` the change is recorded for and the signed-in
person (`viewer`, anything with a `role`) whose rights are checked. Bad input raises
`InvalidInput` naming the field; a refusal of rights raises `NotAllowed`. Nothing is ever
hard-deleted: accounts are deactivated, students change status.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from institute_core.access.check import counselling_roles, role_permissions
from institute_core.branches.defaults import desk_branch
from institute_core.enums import Role, UserStatus
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    Branch,
    Enrollment,
    Faculty,
    FacultyMove,
    LocalCredential,
    PasswordReset,
    Student,
    User,
    UserBranch,
)
from institute_core.services.auth import MIN_PASSWORD_LENGTH, hash_password
from institute_core.services.common import faculty_id_of
from institute_core.services.pace import expected_for
from institute_core.services.schedule import WEEKDAYS
from institute_core.setup.access import HasRole, require_admin, require_may_manage
from institute_core.setup.week import Week
from institute_core.validation import InvalidInput

USER_FIELDS = frozenset({"email", "first_name", "last_name", "phone", "role", "status"})
STUDENT_FIELDS = frozenset({"enrollment_no", "date_of_birth", "address",
                            "emergency_contact_name", "emergency_contact_phone",
                            "admission_date", "counselor_id", "learning_style",
                            "preferred_schedule", "status"})
# Seed 000: students.preferred_schedule {preferred_days: [], preferred_times: []}; the demo
# and the editor use these parts of the day (other stored values are kept as they are).
PREFERRED_TIMES = ("morning", "afternoon", "evening")
FACULTY_FIELDS = frozenset({"employee_id", "specialization", "qualification", "experience_years",
                            "hourly_rate", "max_hours_per_day", "max_students_per_day",
                            "status"})


def _check_fields(table: str, given: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise InvalidInput(table, sorted(unknown)[0], "cannot be set here")


def _email(value: str) -> str:
    email = value.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("users", "email", "must be an email address", value)
    return email


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("users", "password",
                           f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    return hash_password(value)


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise InvalidInput("users", "id", "no such account", str(user_id))
    return user


def _email_free(session: Session, email: str, own: uuid.UUID | None) -> None:
    other = session.scalar(select(User.id).where(func.lower(User.email) == email))
    if other is not None and other != own:
        raise InvalidInput("users", "email", "another account already uses this email", email)


# --- user accounts ------------------------------------------------------------------------

@dataclass(frozen=True)
class NewUser:
    email: str
    first_name: str
    last_name: str
    role: str
    phone: str | None = None
    password: str | None = None  # a sign-in on this desk (standalone institutes)


def _may_give(session: Session, viewer: HasRole, role: str) -> None:
    """The role exists here and the viewer may hold accounts of it (nobody grants, through an
    account, a permission they lack)."""
    granted = role_permissions(session, role)
    if granted is None:
        raise InvalidInput("users", "role", "is not a role", role)
    require_may_manage(viewer, role, granted)


def create_user(replica: Replica, actor: Actor, viewer: HasRole, new: NewUser) -> uuid.UUID:
    email = _email(new.email)
    with replica.write(actor) as session:
        _may_give(session, viewer, new.role)
        _email_free(session, email, None)
        user = User(id=uuid.uuid4(), email=email, first_name=new.first_name.strip(),
                    last_name=new.last_name.strip(), phone=new.phone, role=new.role,
                    status=UserStatus.ACTIVE,
                    password_hash=_password(new.password) if new.password else None)
        session.add(user)
        if new.role != Role.STUDENT.value:
            # Staff work in the desk's branch until Setup → Branches says otherwise.
            branch = desk_branch(session, actor.user_id)
            if branch is not None:
                session.add(UserBranch(user_id=user.id, branch_id=branch))
    return user.id


def update_user(replica: Replica, actor: Actor, viewer: HasRole, user_id: uuid.UUID,
                **changes: Any) -> None:
    """Change account fields (email, names, phone, role, status)."""
    _check_fields("users", changes, USER_FIELDS)
    with replica.write(actor) as session:
        user = _user(session, user_id)
        _may_give(session, viewer, user.role)  # the account as it is ...
        if "role" in changes:
            _may_give(session, viewer, changes["role"])  # ... and as it would be
        if "email" in changes:
            changes["email"] = _email(changes["email"])
            _email_free(session, changes["email"], user_id)
        for key, value in changes.items():
            setattr(user, key, value.strip() if isinstance(value, str) else value)


def deactivate_user(replica: Replica, actor: Actor, viewer: HasRole,
                    user_id: uuid.UUID) -> None:
    if actor.user_id == user_id:
        raise InvalidInput("users", "status", "you cannot deactivate your own account")
    update_user(replica, actor, viewer, user_id, status=UserStatus.INACTIVE.value)


def reactivate_user(replica: Replica, actor: Actor, viewer: HasRole,
                    user_id: uuid.UUID) -> None:
    update_user(replica, actor, viewer, user_id, status=UserStatus.ACTIVE.value)


def reset_password(replica: Replica, actor: Actor, viewer: HasRole, user_id: uuid.UUID,
                   new_password: str) -> None:
    """Set a new password: the local verifier here, a synced `password_resets` row (desks that
    sync it stop accepting their cached verifiers of the old password) and the audit entry
    (without the password). This desk's cached verifiers of the user are dropped at once."""
    verifier = _password(new_password)
    with replica.write(actor) as session:
        user = _user(session, user_id)
        _may_give(session, viewer, user.role)
        user.password_hash = verifier
        # Synced: other desks stop trusting their cached verifiers of the old password.
        session.add(PasswordReset(user_id=user_id, reset_by=actor.user_id, verifier=verifier))
    with replica.engine.begin() as connection:
        connection.execute(delete(LocalCredential).where(LocalCredential.user_id == user_id))


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str
    name: str
    role: str
    status: str
    phone: str | None
    branch_ids: frozenset[uuid.UUID] = frozenset()  # where the account works (user_branches)
    branches: str = ""  # ... and those branches' names


def list_users(replica: Replica, viewer: HasRole, *, roles: set[str] | None = None
               ) -> list[UserRow]:
    require_admin(viewer, "manage user accounts")
    statement = select(User).where(User.deleted_at.is_(None))
    if roles:
        statement = statement.where(User.role.in_(roles))
    with replica.read() as session:
        names = dict(session.execute(select(Branch.id, Branch.name)).tuples().all())
        works_in: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for user_id, branch_id in session.execute(select(UserBranch.user_id, UserBranch.branch_id)
                                                  .where(UserBranch.deleted_at.is_(None))):
            works_in[user_id].add(branch_id)
        return [UserRow(u.id, u.email, u.full_name, u.role, u.status, u.phone,
                        frozenset(works_in.get(u.id, ())),
                        ", ".join(sorted(names.get(b, "?") for b in works_in.get(u.id, ()))))
                for u in session.scalars(statement.order_by(User.first_name, User.last_name))]


# --- faculty profiles ---------------------------------------------------------------------

def save_faculty(replica: Replica, actor: Actor, viewer: HasRole, user_id: uuid.UUID,
                 **fields: Any) -> uuid.UUID:
    """Create or change the faculty profile of `user_id` (one per account)."""
    require_admin(viewer, "manage faculty profiles")
    _check_fields("faculties", fields, FACULTY_FIELDS)
    with replica.write(actor) as session:
        _user(session, user_id)
        faculty = session.scalar(select(Faculty).where(Faculty.user_id == user_id))
        if faculty is None:
            faculty = Faculty(id=uuid.uuid4(), user_id=user_id, **fields)
            session.add(faculty)
        else:
            for key, value in fields.items():
                setattr(faculty, key, value)
        return faculty.id


def set_availability(replica: Replica, actor: Actor, viewer: HasRole, faculty_id: uuid.UUID,
                     week: Week) -> None:
    """Store a faculty member's weekly availability (the week grid)."""
    require_admin(viewer, "change faculty availability")
    with replica.write(actor) as session:
        faculty = session.get(Faculty, faculty_id)
        if faculty is None:
            raise InvalidInput("faculties", "id", "no such faculty member", str(faculty_id))
        faculty.available_time_slots = week.to_json()


def availability_of(replica: Replica, faculty_id: uuid.UUID) -> Week:
    with replica.read() as session:
        faculty = session.get(Faculty, faculty_id)
        return Week.from_json(faculty.available_time_slots if faculty else None)


# --- students -----------------------------------------------------------------------------

def update_student(replica: Replica, actor: Actor, viewer: HasRole, student_id: uuid.UUID,
                   **fields: Any) -> None:
    require_admin(viewer, "change student records here", "students.manage")
    _check_fields("students", fields, STUDENT_FIELDS)
    if "preferred_schedule" in fields:
        fields["preferred_schedule"] = clean_preferred_schedule(fields["preferred_schedule"])
    with replica.write(actor) as session:
        student = session.get(Student, student_id)
        if student is None:
            raise InvalidInput("students", "id", "no such student", str(student_id))
        for key, value in fields.items():
            setattr(student, key, value)


def clean_preferred_schedule(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """A preferred schedule with known weekdays in week order and each time once; None when
    nothing is preferred. Keys other than the two the seed names are kept untouched."""
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise InvalidInput("students", "preferred_schedule",
                           "must list preferred days and times", doc)
    days = [str(d).strip().lower() for d in doc.get("preferred_days") or []]
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown:
        raise InvalidInput("students", "preferred_schedule",
                           f"{unknown[0]!r} is not a day of the week")
    times = list(dict.fromkeys(t for t in (str(x).strip() for x in
                                           doc.get("preferred_times") or []) if t))
    cleaned = {k: v for k, v in doc.items() if k not in ("preferred_days", "preferred_times")}
    if days:
        cleaned["preferred_days"] = sorted(set(days), key=WEEKDAYS.index)
    if times:
        cleaned["preferred_times"] = times
    return cleaned or None


def enroll(replica: Replica, actor: Actor, viewer: HasRole, student_id: uuid.UUID,
           subject_id: uuid.UUID, faculty_id: uuid.UUID, on: date | None = None) -> uuid.UUID:
    """Enroll a student in a subject with a faculty member (an earlier, dropped enrollment in
    the same subject comes back)."""
    require_admin(viewer, "enroll students", "students.manage")
    with replica.write(actor) as session:
        existing = session.scalar(select(Enrollment).where(
            Enrollment.student_id == student_id, Enrollment.subject_id == subject_id))
        if existing is not None and existing.deleted_at is None \
                and existing.status != "dropped":
            raise InvalidInput("student_subject_enrollments", "subject_id",
                               "the student is already enrolled in this subject")
        if existing is None:
            enrolled = on or date.today()
            existing = Enrollment(student_id=student_id, subject_id=subject_id,
                                  faculty_id=faculty_id, enrollment_date=enrolled,
                                  expected_completion_date=expected_for(
                                      session, student_id, subject_id, enrolled))
            session.add(existing)
        else:
            existing.deleted_at, existing.status = None, "active"
            if existing.faculty_id != faculty_id:
                _record_move(session, actor, existing, faculty_id, on, "re-enrolled")
        session.flush()
        return existing.id


def _record_move(session: Session, actor: Actor, enrollment: Enrollment,
                 to_faculty: uuid.UUID, on: date | None, reason: str | None) -> None:
    session.add(FacultyMove(enrollment_id=enrollment.id, from_faculty_id=enrollment.faculty_id,
                            to_faculty_id=to_faculty, moved_on=on or date.today(),
                            moved_by=actor.user_id, reason=reason))
    enrollment.faculty_id = to_faculty


def move_to_faculty(replica: Replica, actor: Actor, viewer: HasRole,
                    enrollment_id: uuid.UUID, to_faculty: uuid.UUID, *,
                    reason: str | None = None, on: date | None = None) -> None:
    """Hand a student's enrollment to another faculty member; the move is kept as history."""
    require_admin(viewer, "move students between faculty", "attendance.manage")
    with replica.write(actor) as session:
        enrollment = session.get(Enrollment, enrollment_id)
        if enrollment is None or enrollment.deleted_at is not None:
            raise InvalidInput("student_subject_enrollments", "id", "no such enrollment")
        target = session.get(Faculty, to_faculty)
        if target is None or target.deleted_at is not None:
            raise InvalidInput("faculties", "id", "no such faculty member", str(to_faculty))
        if target.status != "active":
            raise InvalidInput("faculties", "status",
                               f"{target.employee_id} is {target.status.replace('_', ' ')}; "
                               "choose an active faculty member")
        if enrollment.faculty_id == to_faculty:
            raise InvalidInput("student_subject_enrollments", "faculty_id",
                               "the student is already with this faculty member")
        _record_move(session, actor, enrollment, to_faculty, on, reason)


@dataclass(frozen=True)
class Move:
    moved_on: date
    from_faculty_id: uuid.UUID | None
    to_faculty_id: uuid.UUID
    reason: str | None


def moves_of(replica: Replica, enrollment_id: uuid.UUID) -> list[Move]:
    with replica.read() as session:
        return [Move(m.moved_on, m.from_faculty_id, m.to_faculty_id, m.reason)
                for m in session.scalars(select(FacultyMove).where(
                    FacultyMove.enrollment_id == enrollment_id,
                    FacultyMove.deleted_at.is_(None)).order_by(FacultyMove.created_at))]


def faculty_of_user(replica: Replica, user_id: uuid.UUID) -> uuid.UUID | None:
    with replica.read() as session:
        return faculty_id_of(session, user_id)


@dataclass(frozen=True)
class StudentRow:
    id: uuid.UUID
    enrollment_no: str
    name: str
    status: str
    branch_id: uuid.UUID | None = None  # for the branch filter


@dataclass(frozen=True)
class EnrollmentRow:
    id: uuid.UUID
    subject: str
    faculty_id: uuid.UUID
    faculty: str
    status: str
    moves: int


def list_students(replica: Replica, viewer: HasRole) -> list[StudentRow]:
    require_admin(viewer, "manage students here", "students.manage")
    with replica.read() as session:
        rows = session.execute(
            select(Student.id, Student.enrollment_no, User.first_name, User.last_name,
                   Student.status, Student.branch_id)
            .join(User, User.id == Student.user_id).where(Student.deleted_at.is_(None))
            .order_by(Student.enrollment_no))
        return [StudentRow(sid, no, f"{first} {last}".strip(), status, branch)
                for sid, no, first, last, status, branch in rows]


def enrollments_of(replica: Replica, student_id: uuid.UUID) -> list[EnrollmentRow]:
    from institute_core.schema import Subject

    moves = (select(FacultyMove.enrollment_id, func.count().label("n"))
             .where(FacultyMove.deleted_at.is_(None)).group_by(FacultyMove.enrollment_id)
             .subquery())
    with replica.read() as session:
        rows = session.execute(
            select(Enrollment.id, Subject.code, Subject.name, Enrollment.faculty_id,
                   User.first_name, User.last_name, Faculty.employee_id, Enrollment.status,
                   func.coalesce(moves.c.n, 0))
            .join(Subject, Subject.id == Enrollment.subject_id)
            .join(Faculty, Faculty.id == Enrollment.faculty_id)
            .join(User, User.id == Faculty.user_id)
            .outerjoin(moves, moves.c.enrollment_id == Enrollment.id)
            .where(Enrollment.student_id == student_id, Enrollment.deleted_at.is_(None))
            .order_by(Subject.code))
        return [EnrollmentRow(eid, f"{code} · {name}", fid, f"{first} {last} ({emp})",
                              status, int(n))
                for eid, code, name, fid, first, last, emp, status, n in rows]


def faculty_choices(replica: Replica) -> list[tuple[uuid.UUID, str]]:
    """(faculties.id, "Name (EMP-1)") of every active faculty member, for pickers."""
    with replica.read() as session:
        rows = session.execute(
            select(Faculty.id, User.first_name, User.last_name, Faculty.employee_id)
            .join(User, User.id == Faculty.user_id)
            .where(Faculty.deleted_at.is_(None), Faculty.status == "active")
            .order_by(User.first_name, User.last_name))
        return [(fid, f"{first} {last} ({emp})") for fid, first, last, emp in rows]


def student_profile(replica: Replica, student_id: uuid.UUID) -> Student:
    with replica.read() as session:
        student = session.get(Student, student_id)
        if student is None:
            raise InvalidInput("students", "id", "no such student", str(student_id))
        return student


def counselor_choices(replica: Replica) -> list[tuple[uuid.UUID, str]]:
    with replica.read() as session:
        rows = session.execute(select(User.id, User.first_name, User.last_name).where(
            User.role.in_(counselling_roles(session)), User.deleted_at.is_(None),
            User.status == UserStatus.ACTIVE.value).order_by(User.first_name))
        return [(uid, f"{first} {last}".strip()) for uid, first, last in rows]
