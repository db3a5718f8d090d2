"""Which pushed changes a user may make: a small rule table, one entry per role and table.

Each rule gets the row as it is on the server (`old`, None for a new row) and as the change
would leave it (`new`), and returns None (allowed) or a reason a person can read. Admins and
super admins may change everything; rows a rule table does not name are refused.

| role      | may change                                                                      |
|-----------|---------------------------------------------------------------------------------|
| faculty   | sessions, enrollments, assessments, batches (+members, attendance, topics) that |
|           | are theirs (and may not hand them to another faculty); attendance and its       |
|           | topics in their own sessions; progress, rewards, feedback and student reports   |
|           | of their students; their own faculty row (not the pay rate); their own name and |
|           | phone; their faculty reports. Never CRM, syllabus, other accounts.              |
| counselor | CRM (inquiries, their subjects, follow-ups); students and student accounts (an  |
|           | inquiry becomes a student); enrollments, sessions, batch members, rewards,      |
|           | feedback, student reports; their own name and phone. Never marks or attendance. |
| student   | nothing.                                                                        |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select

from institute_core.enums import Role
from institute_core.sync.owners import owner_of
from institute_core.sync.scopes import Viewer, faculty_students
from sync_server.sync.store import BatchStore

Row = Mapping[str, Any]
OWN_ACCOUNT_FIELDS = frozenset({"first_name", "last_name", "phone", "avatar_url", "updated_at"})
OWN_FACULTY_FIELDS = frozenset({"specialization", "qualification", "available_time_slots",
                                "max_hours_per_day", "max_students_per_day", "updated_at"})


@dataclass(frozen=True)
class WriteCheck:
    """Everything a rule may look at."""

    store: BatchStore
    viewer: Viewer
    table: str
    old: Row | None
    new: Row
    changed: frozenset[str]

    def owned(self, row: Row) -> bool:
        return owner_of(self.store.owner_row, self.table, row) == self.viewer.user_id

    def teaches(self, student_id: Any) -> bool:
        if self.viewer.faculty_id is None or student_id is None:
            return False
        key = ("teaches", self.viewer.faculty_id, student_id)
        if key in self.store.memo:
            return True
        ids = faculty_students(self.viewer.faculty_id).subquery()
        found = bool(self.store.connection().execute(select(exists().where(
            ids.c[0] == student_id))).scalar())
        if found:  # a student stays taught for the rest of the push; a "no" is asked again
            self.store.memo[key] = True
        return found


Rule = Callable[[WriteCheck], str | None]


def _never(reason: str) -> Rule:
    return lambda _check: reason


def _always(_check: WriteCheck) -> str | None:
    return None


def _faculty_owns(what: str) -> Rule:
    """The row (before and after) belongs to the faculty member through its owner chain."""

    def rule(check: WriteCheck) -> str | None:
        if check.old is not None and not check.owned(check.old):
            return f"this {what} belongs to another faculty member"
        if not check.owned(check.new):
            return (f"this {what} would belong to another faculty member; only administrators "
                    "can move it" if check.old is not None
                    else f"this {what} belongs to another faculty member")
        return None

    return rule


def _faculty_student(what: str) -> Rule:
    def rule(check: WriteCheck) -> str | None:
        for row in (check.old, check.new):
            if row is not None and not check.teaches(row.get("student_id")):
                return f"you can only change {what} of your own students"
        return None

    return rule


def _own_account(check: WriteCheck) -> str | None:
    if check.old is not None and check.old["id"] == check.viewer.user_id \
            and check.changed <= OWN_ACCOUNT_FIELDS:
        return None
    return "only administrators can change user accounts (you may edit your own name and phone)"


def _counselor_account(check: WriteCheck) -> str | None:
    if _own_account(check) is None:
        return None
    if (check.old is None or check.old.get("role") == Role.STUDENT.value) \
            and check.new.get("role") == Role.STUDENT.value:
        return None
    return "counselors can only add and edit student accounts"


def _own_faculty_row(check: WriteCheck) -> str | None:
    if "hourly_rate" in check.changed:
        return "only administrators can change pay rates"
    if check.old is not None and check.old.get("user_id") == check.viewer.user_id \
            and check.changed <= OWN_FACULTY_FIELDS:
        return None
    return "only administrators can change faculty records (you may edit your own profile)"


def _own_faculty_report(check: WriteCheck) -> str | None:
    for row in (check.old, check.new):
        if row is not None and row.get("faculty_id") != check.viewer.faculty_id:
            return "you can only write your own faculty reports"
    return None


def _own_audit_entry(check: WriteCheck) -> str | None:
    # Every desk records its user's changes and logins (issue 5); entries are append-only.
    if check.old is None and check.new.get("user_id") == check.viewer.user_id:
        return None
    return "audit entries are written once, by the person they record"


SYLLABUS_ADMIN = "only administrators can change the syllabus"
NO_CRM = "faculty cannot edit inquiries or follow-ups"
NO_MARKS = "counselors cannot change marks, progress or attendance"

FACULTY_RULES: dict[str, Rule] = {
    "users": _own_account,
    "subjects": _never(SYLLABUS_ADMIN),
    "subject_prerequisites": _never(SYLLABUS_ADMIN),
    "topics": _never(SYLLABUS_ADMIN),
    "topic_prerequisites": _never(SYLLABUS_ADMIN),
    "students": _faculty_student("the records"),
    "faculties": _own_faculty_row,
    "student_subject_enrollments": _faculty_owns("enrollment"),
    "learning_sessions": _faculty_owns("session"),
    "session_attendance": _faculty_owns("session"),
    "attendance_topics": _faculty_owns("session"),
    "student_topic_progress": _faculty_student("topic progress"),
    "flexible_batches": _faculty_owns("batch"),
    "batch_members": _faculty_owns("batch"),
    "batch_session_attendance": _faculty_owns("batch"),
    "batch_attendance_topics": _faculty_owns("batch"),
    "assessments": _faculty_owns("assessment"),
    "crm_inquiries": _never(NO_CRM),
    "inquiry_subjects": _never(NO_CRM),
    "follow_ups": _never(NO_CRM),
    "rewards_penalties": _faculty_student("rewards and penalties"),
    "feedback": _faculty_student("feedback"),
    "student_reports": _faculty_student("reports"),
    "faculty_reports": _own_faculty_report,
    "audit_log": _own_audit_entry,
}

COUNSELOR_RULES: dict[str, Rule] = {
    "users": _counselor_account,
    "subjects": _never(SYLLABUS_ADMIN),
    "subject_prerequisites": _never(SYLLABUS_ADMIN),
    "topics": _never(SYLLABUS_ADMIN),
    "topic_prerequisites": _never(SYLLABUS_ADMIN),
    "students": _always,
    "faculties": _never("only administrators can change faculty records"),
    "student_subject_enrollments": _always,
    "learning_sessions": _always,
    "session_attendance": _never(NO_MARKS),
    "attendance_topics": _never(NO_MARKS),
    "student_topic_progress": _never(NO_MARKS),
    "flexible_batches": _never("only faculty and administrators can change batches"),
    "batch_members": _always,
    "batch_session_attendance": _never(NO_MARKS),
    "batch_attendance_topics": _never(NO_MARKS),
    "assessments": _never(NO_MARKS),
    "crm_inquiries": _always,
    "inquiry_subjects": _always,
    "follow_ups": _always,
    "rewards_penalties": _always,
    "feedback": _always,
    "student_reports": _always,
    "faculty_reports": _never("only faculty and administrators write faculty reports"),
    "audit_log": _own_audit_entry,
}

RULES_BY_ROLE: dict[str, dict[str, Rule]] = {
    Role.FACULTY.value: FACULTY_RULES,
    Role.COUNSELOR.value: COUNSELOR_RULES,
}


def refusal(store: BatchStore, viewer: Viewer, table: str, old: Row | None, new: Row,
            changed: frozenset[str]) -> str | None:
    """Why `viewer` may not make this change, or None when they may."""
    if viewer.is_admin:
        return None
    rules = RULES_BY_ROLE.get(viewer.role)
    if rules is None:
        return f"a {viewer.role} account cannot change data"
    rule = rules.get(table)
    if rule is None:
        return f"{table} cannot be changed by a {viewer.role}"
    if viewer.role == Role.FACULTY.value and viewer.faculty_id is None and table != "users":
        return "your account has no faculty record yet; ask an administrator"
    return rule(WriteCheck(store, viewer, table, old, new, changed))
