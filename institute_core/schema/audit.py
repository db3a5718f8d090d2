"""The audit trail (seeds 002–004 `audit_logs`), import runs and faculty-move history.

All three are synced tables: the audit log reaches the server like any other row, so an admin on
any desk (or the server) sees who changed what, when and from which device.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import checks, one_of
from institute_core.schema.types import JsonDoc


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    LOGIN = "login"
    IMPORT = "import"
    UNDO_IMPORT = "undo_import"


class ImportKind(StrEnum):
    STUDENTS = "students"
    FACULTY = "faculty"
    SUBJECTS = "subjects"
    INQUIRIES = "inquiries"


class ImportStatus(StrEnum):
    APPLIED = "applied"
    UNDONE = "undone"


class AuditEntry(Synced, Base):
    """One change, login or import: by whom (`user_id`), when (`created_at`), from which device.

    No foreign keys: an entry is a record of the past and must never block a sync or a delete,
    and it may name rows of tables the reader cannot see.
    """

    __tablename__ = "audit_log"
    # Entries are append-only; the author's copy is the true one.
    __owner__ = OwnerRule("user_id")
    __table_args__ = (
        Index("ix_audit_log_user_id", "user_id"),
        Index("ix_audit_log_table_name_row_id", "table_name", "row_id"),
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_import_id", "import_id"),
        *checks(one_of("action", AuditAction)),
    )

    user_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID | None]
    # Only the fields that changed (all of them for a create); secrets are never recorded.
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # The import run a change belongs to: what undoing that import reverts.
    import_id: Mapped[uuid.UUID | None]


class ImportRun(Synced, Base):
    """One accepted import of a spreadsheet: what it created and changed is in the audit log."""

    __tablename__ = "import_runs"
    __owner__ = OwnerRule("user_id")
    __table_args__ = (
        *checks(one_of("kind", ImportKind), one_of("status", ImportStatus)),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(500))
    rows_created: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.APPLIED,
                                        server_default=ImportStatus.APPLIED.value)
    undone_at: Mapped[datetime | None]


class FacultyMove(Synced, Base):
    """A student's enrollment handed from one faculty member to another (the history kept)."""

    __tablename__ = "enrollment_faculty_moves"
    __table_args__ = (
        Index("ix_enrollment_faculty_moves_enrollment_id", "enrollment_id"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("student_subject_enrollments.id", ondelete="CASCADE"))
    from_faculty_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("faculties.id"))
    to_faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id"))
    moved_on: Mapped[date]
    moved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class PasswordReset(Synced, Base):
    """An administrator set a new password for `user_id`.

    It syncs so that every desk holding an offline verifier of the user's old password stops
    accepting it (`services.auth.login_offline`), and so that the server can adopt `verifier`
    (an argon2 hash of the new password) for the next online sign-in.
    """

    __tablename__ = "password_resets"
    __owner__ = OwnerRule("reset_by")
    # Pushed to the server (which signs in with it), never pulled from it (see
    # sync/policy.py); the audit log records only that it changed.
    __secret_columns__: ClassVar[frozenset[str]] = frozenset({"verifier"})
    __table_args__ = (
        Index("ix_password_resets_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reset_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # NULL on desks: the verifier never leaves the server (policy: secret column).
    verifier: Mapped[str | None] = mapped_column(String(255))
