"""Branches (centres) of one institute, who works in which, and the moves of students, batches
and faculty members between them (issue 17; seed 004's `branches` and `branchId`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import GstMode
from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import between, checks, differs, not_blank, one_of
from institute_core.schema.types import money

# The branch an institute that predates branches lives in (migration 0009 makes it on every
# database, server and replica alike, so they agree on its id without a sync).
MAIN_BRANCH_ID = uuid.UUID("3b0c5a0e-9d1f-5e7a-8c2b-000000000001")
MAIN_BRANCH_CODE = "MAIN"
# Rows migration 0009 writes carry this time on every database (replicas equal the server).
MIGRATED_AT = datetime(2026, 12, 5, tzinfo=UTC)


class Branch(Synced, Base):
    """A centre of the institute: its code is short and appears in document numbers."""

    __tablename__ = "branches"
    __table_args__ = (
        UniqueConstraint("code"),
        *checks(not_blank("name"), not_blank("code"), not_blank("time_zone"),
                one_of("gst_mode", GstMode), between("gst_rate", 0, 100),
                between("discount_limit_percent", 0, 100),
                between("discount_limit_amount", 0, None)),
    )

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    # Only once fees exist does a branch need its own GST registration.
    gstin: Mapped[str | None] = mapped_column(String(15))
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata",
                                           server_default="Asia/Kolkata")
    # Fee settings of the centre (issue 18, migration 0016): the state it is registered in
    # (a student of another state pays IGST), how new fee heads price GST, and the discount
    # above which a counselor's discount waits for an admin (either limit; none: no limit).
    gst_state: Mapped[str | None] = mapped_column(String(50))
    gst_mode: Mapped[str] = mapped_column(String(20), default=GstMode.NONE,
                                          server_default=GstMode.NONE.value)
    gst_rate: Mapped[Decimal] = mapped_column(money(5, 2), default=Decimal("18"),
                                              server_default="18")
    discount_limit_percent: Mapped[Decimal | None] = mapped_column(money(5, 2))
    discount_limit_amount: Mapped[Decimal | None] = mapped_column(money(12, 2))


class UserBranch(Synced, Base):
    """A staff account works in a branch (a faculty member teaching in two centres has two)."""

    __tablename__ = "user_branches"
    __natural_key__ = ("user_id", "branch_id")
    __table_args__ = (
        UniqueConstraint("user_id", "branch_id"),
        Index("ix_user_branches_branch_id", "branch_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))


class StudentBranchMove(Synced, Base):
    """A student moved from one branch to another: the history a transfer keeps."""

    __tablename__ = "student_branch_moves"
    __table_args__ = (
        Index("ix_student_branch_moves_student_id", "student_id"),
        *checks(differs("to_branch_id", "from_branch_id", "the branch the student left")),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    from_branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    to_branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    moved_on: Mapped[date]
    moved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class BatchBranchMove(Synced, Base):
    """A batch moved to another branch: its current members went with it (each with a
    student_branch_moves row), and its future meetings follow the batch (docs/branches.md)."""

    __tablename__ = "batch_branch_moves"
    __table_args__ = (
        Index("ix_batch_branch_moves_batch_id", "batch_id"),
        *checks(differs("to_branch_id", "from_branch_id", "the branch the batch left")),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flexible_batches.id", ondelete="CASCADE"))
    from_branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    to_branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    moved_on: Mapped[date]
    moved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    students_moved: Mapped[int] = mapped_column(default=0, server_default="0")
    sessions_moved: Mapped[int] = mapped_column(default=0, server_default="0")


class FacultyBranchMove(Synced, Base):
    """A faculty member's home branch changed; `kept_old`: they still teach in the old one."""

    __tablename__ = "faculty_branch_moves"
    __table_args__ = (
        Index("ix_faculty_branch_moves_faculty_id", "faculty_id"),
        *checks(differs("to_branch_id", "from_branch_id", "the branch the faculty member left")),
    )

    faculty_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("faculties.id", ondelete="CASCADE"))
    from_branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    to_branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    moved_on: Mapped[date]
    moved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    kept_old: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
