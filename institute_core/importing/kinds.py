"""Per kind of import: how a row of parsed values becomes targets, matched to what exists.

Matching (so that importing the same file twice creates nothing new): students by enrollment
number, faculty by employee id (then email), subjects by code and their topics by name,
inquiries by email (then phone, then name). A match that was soft-deleted (an undone import)
is restored. Empty cells never erase what is stored.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from institute_core.access import permissions as perms
from institute_core.crm.phones import try_normalize
from institute_core.enums import Channel, Role
from institute_core.importing.fields import FIELDS, Field
from institute_core.importing.targets import Target, changed
from institute_core.schema import (
    Faculty,
    Guardian,
    Inquiry,
    RoleRecord,
    Student,
    Subject,
    Synced,
    Topic,
    User,
)
from institute_core.schema.audit import ImportKind
from institute_core.validation import InvalidInput

Row = dict[str, Any]
# Students often have no email; their account gets a unique placeholder nobody can receive.
PLACEHOLDER_DOMAIN = "no-email.invalid"
DEFAULT_TOPIC_MINUTES = 60


class RowRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def placeholder_email(key: str) -> str:
    return f"{re.sub(r'[^a-z0-9]+', '-', key.lower()).strip('-') or 'student'}@{PLACEHOLDER_DOMAIN}"


def _rows(session: Session, model: type[Synced]) -> list[Row]:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return [dict(r) for r in session.execute(select(table)).mappings()]


def _present(values: Row, names: Iterable[str]) -> Row:
    return {n: values[n] for n in names if values.get(n) is not None}


def target_for(model: type[Synced], existing: Row | None, wanted: Row,
               extra: Row | None = None) -> Target:
    if existing is None:
        return Target(model, uuid.uuid4(), _present(wanted, wanted), None, extra=extra or {})
    return Target(model, existing["id"], changed(existing, wanted), existing,
                  restore=existing.get("deleted_at") is not None)


class Planner:
    """Turns rows into targets; remembers keys seen in the file to refuse duplicates."""

    kind: ImportKind

    def __init__(self, session: Session) -> None:
        self.session = session
        self.labels = {f.name: f.label for f in FIELDS[self.kind]}
        self.seen: dict[tuple[str, Any], int] = {}
        users = _rows(session, User)
        self.users_by_email = {u["email"].lower(): u for u in users}
        self.user_names = {u["id"]: f"{u['first_name']} {u['last_name']}".strip() for u in users}
        # Who may look after a student (their counselor): roles that counsel or manage them.
        counselling = {r["name"] for r in _rows(session, RoleRecord) if r["deleted_at"] is None
                       and perms.of_role(r["name"], r) & {"students.counsel",
                                                          "students.manage"}}
        self.staff_by_email = {u["email"].lower(): u["id"] for u in users
                               if u["role"] in counselling and u["deleted_at"] is None}

    @property
    def fields(self) -> tuple[Field, ...]:
        return FIELDS[self.kind]

    def plan(self, line: int, values: Row) -> list[Target]:
        raise NotImplementedError

    # --- helpers shared by the kinds ----------------------------------------------------

    def once(self, reasons: list[str], what: str, key: Any, line: int) -> None:
        """Refuse a key the file already used on an earlier line."""
        if key is None:
            return
        first = self.seen.get((what, key))
        if first is not None and first != line:
            reasons.append(f"{what} {key} is also on line {first}")

    def remember(self, line: int, *keys: tuple[str, Any]) -> None:
        for what, key in keys:
            if key is not None:
                self.seen.setdefault((what, key), line)

    def counselor(self, reasons: list[str], values: Row) -> uuid.UUID | None:
        email = values.get("counselor_email")
        if email is None:
            return None
        found = self.staff_by_email.get(email)
        if found is None:
            reasons.append(f"{self.labels['counselor_email']}: no counselor or admin has the "
                           f"email {email}")
        return found

    def email_owner_clash(self, reasons: list[str], email: str | None,
                          own_user_id: uuid.UUID | None) -> None:
        if email is None:
            return
        other = self.users_by_email.get(email)
        if other is not None and other["id"] != own_user_id:
            reasons.append(f"{self.labels['email']}: {email} already belongs to "
                           f"{self.user_names[other['id']]} ({other['role']})")

    def checked(self, reasons: list[str], targets: list[Target]) -> list[Target]:
        for target in targets:
            try:
                target.validate()
            except InvalidInput as exc:
                label = self.labels.get(f"{exc.table}.{exc.field}") or self.labels.get(
                    exc.field or "", (exc.field or exc.table).replace("_", " "))
                got = "" if exc.value is None else f" (got {exc.value!r})"
                reasons.append(f"{label}: {exc.message}{got}")
        if reasons:
            raise RowRefused(reasons)
        return targets


class StudentPlanner(Planner):
    kind = ImportKind.STUDENTS
    USER = ("email", "first_name", "last_name", "phone")
    STUDENT = ("enrollment_no", "date_of_birth", "address", "emergency_contact_name",
               "emergency_contact_phone", "admission_date", "learning_style", "status")

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.students = {s["enrollment_no"]: s for s in _rows(session, Student)}
        self.users_by_id = {u["id"]: u for u in self.users_by_email.values()}
        self.guardians: dict[uuid.UUID, list[Row]] = {}
        for guardian in _rows(session, Guardian):
            self.guardians.setdefault(guardian["student_id"], []).append(guardian)

    def plan(self, line: int, values: Row) -> list[Target]:
        reasons: list[str] = []
        number, email = values["enrollment_no"], values.get("email")
        self.once(reasons, "enrollment no", number, line)
        self.once(reasons, "email", email, line)
        student = self.students.get(number)
        user = self.users_by_id.get(student["user_id"]) if student else None
        self.email_owner_clash(reasons, email, user["id"] if user else None)
        wanted_user = _present(values, self.USER)
        wanted_student = _present(values, self.STUDENT)
        counselor = self.counselor(reasons, values)
        if counselor is not None:
            wanted_student["counselor_id"] = counselor
        if user is None:
            wanted_user.setdefault("email", placeholder_email(number))
            wanted_user.setdefault("last_name", "")
            wanted_user["role"] = Role.STUDENT.value
            wanted_student.setdefault("admission_date", date.today())
        user_target = target_for(User, user, wanted_user)
        student_target = target_for(Student, student, wanted_student,
                                    {"user_id": user_target.row_id})
        self.remember(line, ("enrollment no", number), ("email", email))
        targets = [user_target, student_target]
        if values.get("guardian_name") is not None:
            targets.append(self._guardian(reasons, values, student, student_target.row_id))
        return self.checked(reasons, targets)

    def _guardian(self, reasons: list[str], values: Row, student: Row | None,
                  student_id: uuid.UUID) -> Target:
        """The row's guardian, matched by name among the student's guardians (a re-import
        changes it instead of adding another); the first one becomes the primary."""
        name = values["guardian_name"]
        theirs = self.guardians.get(student["id"], []) if student is not None else []
        existing = next((g for g in theirs if g["name"].strip().lower() == name.lower()), None)
        phone, email = values.get("guardian_mobile"), values.get("guardian_email")
        channel = values.get("guardian_channel") or (
            Channel.EMAIL.value if phone is None and email is not None else Channel.SMS.value)
        if channel == Channel.EMAIL and email is None and (existing or {}).get("email") is None:
            reasons.append(f"{self.labels['guardian_email']}: is needed when the guardian "
                           f"prefers email")
        if channel != Channel.EMAIL and phone is None \
                and (existing or {}).get("phone_normalized") is None:
            reasons.append(f"{self.labels['guardian_mobile']}: is needed when the guardian "
                           f"prefers {channel}")
        wanted = _present({"name": name, "relation": values.get("guardian_relation"),
                           "phone": phone, "phone_normalized": phone, "email": email,
                           "preferred_channel": values.get("guardian_channel"),
                           "language": values.get("guardian_language")},
                          ("name", "relation", "phone", "phone_normalized", "email",
                           "preferred_channel", "language"))
        if existing is None:
            wanted["preferred_channel"] = channel
            wanted["is_primary"] = not any(g["deleted_at"] is None for g in theirs)
        return target_for(Guardian, existing, wanted, {"student_id": student_id})


class FacultyPlanner(Planner):
    kind = ImportKind.FACULTY
    USER = ("email", "first_name", "last_name", "phone")
    FACULTY = ("employee_id", "specialization", "qualification", "experience_years",
               "hourly_rate", "max_hours_per_day", "max_students_per_day", "status")

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        rows = _rows(session, Faculty)
        self.by_employee = {f["employee_id"]: f for f in rows}
        self.by_user = {f["user_id"]: f for f in rows}
        self.users_by_id = {u["id"]: u for u in self.users_by_email.values()}

    def plan(self, line: int, values: Row) -> list[Target]:
        reasons: list[str] = []
        employee, email = values["employee_id"], values["email"]
        self.once(reasons, "employee id", employee, line)
        self.once(reasons, "email", email, line)
        faculty = self.by_employee.get(employee)
        user = self.users_by_id.get(faculty["user_id"]) if faculty else \
            self.users_by_email.get(email)
        if faculty is None and user is not None:
            other = self.by_user.get(user["id"])
            if other is not None:
                reasons.append(f"{self.labels['email']}: {email} belongs to faculty member "
                               f"{other['employee_id']}, not {employee}")
        self.email_owner_clash(reasons, email, user["id"] if user else None)
        wanted_user = _present(values, self.USER)
        if user is None:
            wanted_user.setdefault("last_name", "")
            wanted_user["role"] = Role.FACULTY.value
        user_target = target_for(User, user, wanted_user)
        faculty_target = target_for(Faculty, faculty, _present(values, self.FACULTY),
                                    {"user_id": user_target.row_id})
        self.remember(line, ("employee id", employee), ("email", email))
        return self.checked(reasons, [user_target, faculty_target])


class SubjectPlanner(Planner):
    """One row per topic; a row without a topic names only its subject."""

    kind = ImportKind.SUBJECTS
    SUBJECT: ClassVar[dict[str, str]] = {
        "subject_code": "code", "subject_name": "name", "duration_hours": "duration_hours",
        "category": "category", "difficulty_level": "difficulty_level",
        "description": "description"}
    TOPIC: ClassVar[dict[str, str]] = {
        "topic_name": "name", "topic_order": "order_index",
        "topic_minutes": "estimated_duration_minutes", "topic_difficulty": "difficulty_level",
        "learning_objectives": "learning_objectives"}

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.labels.update({f"subjects.{column}": self.labels[name]
                            for name, column in self.SUBJECT.items()})
        self.labels.update({f"topics.{column}": self.labels[name]
                            for name, column in self.TOPIC.items()})
        self.subjects = {s["code"]: s for s in _rows(session, Subject)}
        self.topics: dict[tuple[uuid.UUID, str], Row] = {}
        self.next_order: dict[uuid.UUID, int] = {}
        for topic in _rows(session, Topic):
            self.topics[(topic["subject_id"], topic["name"].lower())] = topic
            self.next_order[topic["subject_id"]] = max(self.next_order.get(topic["subject_id"], 0),
                                                       topic["order_index"] + 1)
        # Subjects this file creates, by code: later rows add topics to the same new subject.
        self.new_subjects: dict[str, Target] = {}

    def plan(self, line: int, values: Row) -> list[Target]:
        reasons: list[str] = []
        code = values["subject_code"]
        wanted = {column: values.get(name) for name, column in self.SUBJECT.items()}
        targets: list[Target] = []
        pending = self.new_subjects.get(code)
        if pending is not None:  # a further topic row of a subject this file creates
            subject_id = pending.row_id
            clash = [self.labels[n] for n, c in self.SUBJECT.items()
                     if wanted[c] is not None and pending.changes.get(c) != wanted[c]]
            if clash:
                reasons.append(f"{', '.join(clash)} differ from line "
                               f"{self.seen[('subject code', code)]} for subject {code}")
        else:
            subject = self.subjects.get(code)
            first = self.seen.get(("subject code", code))
            if subject is not None and first is not None:  # existing subject, edited once
                wanted = {"code": code}
            target = target_for(Subject, subject, wanted)
            subject_id = target.row_id
            if target.is_new:
                self.new_subjects[code] = target
            targets.append(target)
        name = values.get("topic_name")
        if name is not None:
            key = (subject_id, name.lower())
            first_line = self.seen.get(("topic", key))
            if first_line is not None:
                reasons.append(f"{self.labels['topic_name']} {name!r} of {code} is also on line "
                               f"{first_line}")
            topic = self.topics.get(key)
            wanted_topic = {column: values.get(n) for n, column in self.TOPIC.items()}
            if topic is None:
                if wanted_topic["estimated_duration_minutes"] is None:
                    wanted_topic["estimated_duration_minutes"] = DEFAULT_TOPIC_MINUTES
                if wanted_topic["order_index"] is None:
                    wanted_topic["order_index"] = self.next_order.get(subject_id, 1)
            order = wanted_topic.get("order_index")
            if order is not None:
                self.next_order[subject_id] = max(self.next_order.get(subject_id, 1), order + 1)
            targets.append(target_for(Topic, topic, wanted_topic, {"subject_id": subject_id}))
            self.seen.setdefault(("topic", key), line)
        self.seen.setdefault(("subject code", code), line)
        return self.checked(reasons, targets)


class InquiryPlanner(Planner):
    kind = ImportKind.INQUIRIES
    INQUIRY = ("student_name", "email", "phone", "source", "status", "priority", "notes", "tags")

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        rows = _rows(session, Inquiry)
        self.by_email = {r["email"].lower(): r for r in rows if r["email"]}
        self.by_phone = {_phone_key(r["phone"]): r for r in rows if r["phone"]}
        self.by_name = {r["student_name"].lower(): r for r in rows
                        if not r["email"] and not r["phone"]}

    def plan(self, line: int, values: Row) -> list[Target]:
        reasons: list[str] = []
        email, phone = values.get("email"), values.get("phone")
        self.once(reasons, "email", email, line)
        self.once(reasons, "phone", phone, line)
        existing = (self.by_email.get(email) if email else None) \
            or (self.by_phone.get(phone) if phone else None) \
            or (self.by_name.get(values["student_name"].lower())
                if not email and not phone else None)
        wanted = _present(values, self.INQUIRY)
        if phone:  # already normalized by the field's parser
            wanted["phone_normalized"] = phone
        counselor = self.counselor(reasons, values)
        if counselor is not None:
            wanted["counselor_id"] = counselor
        self.remember(line, ("email", email), ("phone", phone))
        return self.checked(reasons, [target_for(Inquiry, existing, wanted)])


def _phone_key(phone: str) -> str:
    """Stored phones compare in their E.164 form (digits only when it cannot be read)."""
    return try_normalize(phone) or re.sub(r"\D", "", phone)


PLANNERS: dict[ImportKind, type[Planner]] = {
    ImportKind.STUDENTS: StudentPlanner,
    ImportKind.FACULTY: FacultyPlanner,
    ImportKind.SUBJECTS: SubjectPlanner,
    ImportKind.INQUIRIES: InquiryPlanner,
}
