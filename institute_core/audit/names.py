"""Records named as a person knows them, for the audit log: "Asha Rao (PY-001)", "Python
Evening", "Loops" – never a raw UUID.

Worked out from the schema, so every table is covered without a list to keep up: a row is named
by its own name column when it has one, a student or faculty member by their user, and any other
row by the named rows it belongs to ("Asha Rao (PY-001) · Python Evening" for a batch member).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from institute_core.schema import Base

# The columns that name a row, in the order they are tried.
NAME_COLUMNS = ("name", "student_name", "title", "enrollment_no", "employee_id", "email")
# Who wrote a row is already the log's "Who": not part of the record's name.
AUTHOR_COLUMNS = frozenset({"created_by", "updated_by", "marked_by", "generated_by",
                            "author_id", "recorded_by", "assigned_by", "user_id"})
MAX_PARTS = 2


# What a person calls one row of each synced table ("inquiry", not "crm inquiries"); a test
# fails when a synced table has no word here.
RECORD_KINDS = {
    "users": "account", "roles": "role", "subjects": "subject",
    "subject_prerequisites": "subject prerequisite",
    "topics": "topic", "topic_prerequisites": "topic prerequisite", "students": "student",
    "faculties": "faculty member", "student_subject_enrollments": "enrollment",
    "learning_sessions": "session", "session_attendance": "attendance mark",
    "attendance_topics": "topic covered", "student_topic_progress": "topic progress",
    "flexible_batches": "batch", "batch_members": "batch member",
    "batch_session_attendance": "batch attendance mark",
    "batch_attendance_topics": "batch topic covered", "assessments": "assessment",
    "crm_inquiries": "inquiry", "inquiry_subjects": "inquiry subject",
    "follow_ups": "follow-up", "rewards_penalties": "reward or penalty",
    "feedback": "feedback", "student_reports": "student report",
    "faculty_reports": "faculty report", "import_runs": "import",
    "enrollment_faculty_moves": "change of faculty", "audit_log": "audit entry",
    "password_resets": "password reset",
    "certificate_templates": "certificate template", "certificates": "certificate",
    "fee_heads": "fee head", "fee_plans": "fee plan", "fee_instalments": "fee instalment",
    "fee_discounts": "fee discount", "payments": "payment",
    "payment_allocations": "payment allocation", "payment_events": "payment event",
    "refunds": "refund", "expenses": "expense", "salary_payments": "salary payment",
    "fee_follow_ups": "fee follow-up",
    "guardians": "guardian", "message_consents": "message opt-out",
    "message_templates": "message template", "message_triggers": "message trigger",
    "messages": "message", "message_deliveries": "message delivery",
    "branches": "branch", "user_branches": "branch assignment",
    "student_branch_moves": "branch transfer", "batch_branch_moves": "batch transfer",
    "faculty_branch_moves": "faculty transfer",
    "announcements": "announcement", "announcement_reads": "read receipt",
    "staff_notifications": "notification",
}


def record_kind(table: str) -> str:
    """The word for one record of `table`, as a person says it."""
    return RECORD_KINDS.get(table) or _singular(table)


def _singular(table: str) -> str:
    words = table.replace("_", " ")
    return words[:-1] if words.endswith("s") else words


class RecordNames:
    """Names of records read on demand and remembered (a log page names the same students,
    batches and users again and again)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._rows: dict[tuple[str, uuid.UUID], dict[str, Any] | None] = {}
        self._names: dict[tuple[str, uuid.UUID], str] = {}

    def _row(self, table: Table, row_id: uuid.UUID) -> dict[str, Any] | None:
        key = (table.name, row_id)
        if key not in self._rows:
            found = self._session.execute(
                select(table).where(table.c.id == row_id)).mappings().first()
            self._rows[key] = dict(found) if found is not None else None
        return self._rows[key]

    def name(self, table_name: str, row_id: uuid.UUID | str | None, *, depth: int = 2) -> str:
        """The record's name, or "<table> <short id>" when it is gone or has no name."""
        if row_id is None:
            return ""
        try:
            key_id = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
        except ValueError:
            return str(row_id)
        table = Base.metadata.tables.get(table_name)
        fallback = f"{record_kind(table_name)} {key_id.hex[:8]}"
        if table is None or "id" not in table.c:
            return fallback
        if (table_name, key_id) in self._names:
            return self._names[(table_name, key_id)]
        row = self._row(table, key_id)
        name = self._name_of(table, row, depth) if row is not None else ""
        self._names[(table_name, key_id)] = name or fallback
        return name or fallback

    def _name_of(self, table: Table, row: dict[str, Any], depth: int) -> str:
        if table.name == "users":
            return f"{row.get('first_name') or ''} {row.get('last_name') or ''}".strip()
        if table.name in ("students", "faculty") and row.get("user_id"):
            person = self.name("users", row["user_id"], depth=0)
            own = row.get("enrollment_no") or row.get("employee_id")
            return f"{person} ({own})" if own else person
        for name_column in NAME_COLUMNS:
            if name_column in table.c and row.get(name_column):
                return str(row[name_column])
        if depth <= 0:
            return ""
        parts = []
        for column in table.c:
            if column.name in AUTHOR_COLUMNS or not row.get(column.name):
                continue
            for fk in column.foreign_keys:
                parent = fk.column.table.name
                if parent != table.name:
                    parts.append(self.name(parent, row[column.name], depth=depth - 1))
            if len(parts) == MAX_PARTS:
                break
        return " · ".join(p for p in parts if p)

    def value(self, table_name: str, field: str, value: Any) -> Any:
        """A field's value as a person reads it: a reference to another row by that row's name;
        anything else as it is."""
        table = Base.metadata.tables.get(table_name)
        if table is None or field not in table.c or value is None:
            return value
        for fk in table.c[field].foreign_keys:
            return self.name(fk.column.table.name, value, depth=1)
        return value
