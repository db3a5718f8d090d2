"""What each kind of import can fill, and how a cell's text becomes a value.

A parser gets the stripped cell text (never empty: empty cells are None without asking it) and
returns the value or raises ValueError with a reason a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from institute_core.crm.phones import PhoneProblem, normalize_phone
from institute_core.enums import (
    Channel,
    FacultyStatus,
    GuardianRelation,
    InquirySource,
    InquiryStatus,
    LearningStyle,
    Priority,
    StudentStatus,
    SubjectLevel,
    TopicDifficulty,
)
from institute_core.schema.audit import ImportKind

Parser = Callable[[str], Any]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text(value: str) -> str:
    return value


def email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def a_date(value: str) -> date:
    """ISO (2024-03-01, also with a time) or day first (01/03/2024, 1.3.2024, 01-03-2024)."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    match = _DMY.match(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def phone(value: str) -> str:
    """A phone number in the form the CRM keeps (E.164, "+919876543210"), checked as the CRM
    checks a typed one; a number without a country code is an Indian one."""
    try:
        return normalize_phone(value)
    except PhoneProblem as exc:
        raise ValueError(f"{value!r} is not a phone number: it {exc}") from None


def whole(value: str) -> int:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def decimal(value: str) -> Decimal:
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def items(value: str) -> list[str]:
    """A list typed in one cell: `Python; SQL` or `Python, SQL`."""
    return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]


def choice(options: type[StrEnum]) -> Parser:
    by_text = {o.value: o.value for o in options}
    by_text.update({o.value.replace("_", " "): o.value for o in options})

    def parse(value: str) -> str:
        key = value.strip().lower().replace("-", " ")
        if key in by_text:
            return by_text[key]
        allowed = ", ".join(o.value for o in options)
        raise ValueError(f"{value!r} is not one of: {allowed}")

    return parse


@dataclass(frozen=True)
class Field:
    """One thing an import can fill; `aliases` are header spellings that mean it."""

    name: str
    label: str
    parse: Parser = text
    required: bool = False
    aliases: tuple[str, ...] = ()


STUDENT_FIELDS = (
    Field("enrollment_no", "Enrollment no", required=True,
          aliases=("enrollment number", "enrolment no", "roll no", "student id", "admission no")),
    Field("first_name", "First name", required=True, aliases=("given name", "name")),
    Field("last_name", "Last name", aliases=("surname", "family name")),
    Field("email", "Email", email, aliases=("e-mail", "mail", "email address")),
    Field("phone", "Phone", phone, aliases=("mobile", "phone number", "contact")),
    Field("date_of_birth", "Date of birth", a_date, aliases=("dob", "birth date", "birthday")),
    Field("address", "Address"),
    Field("emergency_contact_name", "Emergency contact",
          aliases=("emergency contact name", "guardian", "parent name")),
    Field("emergency_contact_phone", "Emergency phone", phone,
          aliases=("emergency contact phone", "guardian phone", "parent phone")),
    Field("admission_date", "Admission date", a_date, aliases=("admitted on", "joined")),
    Field("counselor_email", "Counselor email", email, aliases=("counselor", "counsellor")),
    Field("learning_style", "Learning style", choice(LearningStyle)),
    Field("status", "Status", choice(StudentStatus)),
    # The guardian messages go to (issue 19): one per row; a second row of the same
    # enrollment number is refused, so a second guardian is added on the student page.
    Field("guardian_name", "Guardian name",
          aliases=("father name", "mother name", "father s name", "mother s name")),
    Field("guardian_relation", "Guardian relation", choice(GuardianRelation),
          aliases=("relation", "relationship")),
    Field("guardian_mobile", "Guardian mobile", phone,
          aliases=("parent mobile", "father mobile", "mother mobile")),
    Field("guardian_email", "Guardian email", email, aliases=("parent email",)),
    Field("guardian_channel", "Guardian prefers", choice(Channel),
          aliases=("preferred channel", "send by")),
    Field("guardian_language", "Guardian language", aliases=("language",)),
)

FACULTY_FIELDS = (
    Field("employee_id", "Employee id", required=True,
          aliases=("employee no", "emp id", "staff id", "employee number")),
    Field("first_name", "First name", required=True, aliases=("given name", "name")),
    Field("last_name", "Last name", aliases=("surname", "family name")),
    Field("email", "Email", email, required=True, aliases=("e-mail", "mail")),
    Field("phone", "Phone", phone, aliases=("mobile", "phone number")),
    Field("specialization", "Specializations", items,
          aliases=("specialisation", "specializations", "skills", "subjects")),
    Field("qualification", "Qualification", aliases=("degree",)),
    Field("experience_years", "Experience (years)", decimal,
          aliases=("experience", "years of experience")),
    Field("hourly_rate", "Hourly rate", decimal, aliases=("rate", "pay rate")),
    Field("max_hours_per_day", "Max hours per day", whole, aliases=("max hours",)),
    Field("max_students_per_day", "Max students per day", whole, aliases=("max students",)),
    Field("status", "Status", choice(FacultyStatus)),
)

SUBJECT_FIELDS = (
    Field("subject_code", "Subject code", required=True, aliases=("code", "course code")),
    Field("subject_name", "Subject name", aliases=("subject", "course", "course name")),
    Field("duration_hours", "Duration (hours)", whole, aliases=("hours", "duration")),
    Field("category", "Category"),
    Field("difficulty_level", "Level", choice(SubjectLevel),
          aliases=("subject level", "difficulty level")),
    Field("description", "Description"),
    Field("topic_name", "Topic", aliases=("topic name", "chapter", "module")),
    Field("topic_order", "Topic order", whole, aliases=("order", "sequence", "topic no")),
    Field("topic_minutes", "Topic minutes", whole,
          aliases=("minutes", "estimated minutes", "topic duration")),
    Field("topic_difficulty", "Topic difficulty", choice(TopicDifficulty),
          aliases=("difficulty",)),
    Field("learning_objectives", "Learning objectives", items, aliases=("objectives",)),
)

INQUIRY_FIELDS = (
    Field("student_name", "Name", required=True,
          aliases=("student name", "full name", "lead name", "name")),
    Field("email", "Email", email, aliases=("e-mail", "mail")),
    Field("phone", "Phone", phone, aliases=("mobile", "phone number", "contact")),
    Field("source", "Source", choice(InquirySource), aliases=("lead source", "channel")),
    Field("status", "Status", choice(InquiryStatus)),
    Field("priority", "Priority", choice(Priority)),
    Field("counselor_email", "Counselor email", email, aliases=("counselor", "counsellor")),
    Field("notes", "Notes", aliases=("remarks", "comments")),
    Field("tags", "Tags", items),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    ImportKind.STUDENTS: STUDENT_FIELDS,
    ImportKind.FACULTY: FACULTY_FIELDS,
    ImportKind.SUBJECTS: SUBJECT_FIELDS,
    ImportKind.INQUIRIES: INQUIRY_FIELDS,
}


def fields_of(kind: str) -> tuple[Field, ...]:
    try:
        return FIELDS[ImportKind(kind)]
    except ValueError:
        raise ValueError(f"unknown import kind {kind!r}; choose one of: "
                         f"{', '.join(k.value for k in ImportKind)}") from None
