"""Users, students and faculty (seed 000: users, students, faculties)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    FacultyStatus,
    LearningStyle,
    StudentStatus,
    UserStatus,
)
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import between, checks, not_blank, one_of
from institute_core.schema.types import JsonDoc, money


class User(Synced, Base):
    """A person who can sign in, or whom a student record belongs to."""

    __tablename__ = "users"
    __owner__ = OwnerRule("id")
    # The hash of the password never syncs: replicas keep only their own offline verifier.
    __local_columns__ = frozenset({"password_hash"})
    __table_args__ = (
        UniqueConstraint("email"),
        Index("ix_users_role", "role"),
        Index("ix_users_status", "status"),
        # `role` names a row of `roles` (roles are data since migration 0014): checked by the
        # services and the server's policy, not by a CHECK listing five names.
        *checks(
            not_blank("role"),
            one_of("status", UserStatus),
            not_blank("email"),
            not_blank("first_name"),
        ),
    )

    email: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default=UserStatus.ACTIVE,
                                        server_default=UserStatus.ACTIVE.value)
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Student(Synced, Base):
    __tablename__ = "students"
    # The counselor looks after the student's record; their edits win a concurrent conflict.
    __owner__ = OwnerRule("counselor_id")
    __table_args__ = (
        Index("ix_students_branch_id", "branch_id"),
        UniqueConstraint("enrollment_no"),
        Index("ix_students_counselor_id", "counselor_id"),
        Index("ix_students_status", "status"),
        Index("ix_students_admission_date", "admission_date"),
        Index("ix_students_user_id", "user_id"),
        *checks(
            one_of("learning_style", LearningStyle),
            one_of("status", StudentStatus),
            not_blank("enrollment_no"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enrollment_no: Mapped[str] = mapped_column(String(50))
    date_of_birth: Mapped[date | None]
    address: Mapped[str | None] = mapped_column(Text)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(100))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))
    admission_date: Mapped[date]
    counselor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    learning_style: Mapped[str | None] = mapped_column(String(50))
    # {"preferred_days": [...], "preferred_times": [...]}
    preferred_schedule: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(20), default=StudentStatus.ACTIVE,
                                        server_default=StudentStatus.ACTIVE.value)
    # The branch the student belongs to now (transfers: student_branch_moves).
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))


class Faculty(Synced, Base):
    __tablename__ = "faculties"
    __owner__ = OwnerRule("user_id")
    # Pay is for admins and the faculty member alone; the scope rules strip it for others.
    __private_columns__: ClassVar[frozenset[str]] = frozenset({"hourly_rate"})
    __table_args__ = (
        Index("ix_faculties_branch_id", "branch_id"),
        UniqueConstraint("employee_id"),
        Index("ix_faculties_status", "status"),
        Index("ix_faculties_user_id", "user_id"),
        Index("ix_faculties_specialization", "specialization",
              postgresql_using="gin").ddl_if(dialect="postgresql"),
        *checks(
            between("performance_rating", 0, 5),
            between("experience_years", 0, 99.9),
            between("hourly_rate", 0, None),
            between("max_hours_per_day", 1, 24),
            between("max_students_per_day", 1, None),
            one_of("status", FacultyStatus),
            not_blank("employee_id"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    employee_id: Mapped[str] = mapped_column(String(50))
    # A list of free-text specializations; it points at no rows, so it stays a JSON array.
    specialization: Mapped[list[str] | None] = mapped_column(JsonDoc)
    qualification: Mapped[str | None] = mapped_column(Text)
    experience_years: Mapped[Decimal | None] = mapped_column(money(3, 1))
    hourly_rate: Mapped[Decimal | None] = mapped_column(money(10, 2))
    max_hours_per_day: Mapped[int | None] = mapped_column(Integer, default=8, server_default="8")
    max_students_per_day: Mapped[int | None] = mapped_column(Integer, default=10,
                                                             server_default="10")
    # {"days": [{"day": "monday", "slots": [{"start": "09:00", "end": "17:00"}]}]}
    available_time_slots: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    performance_rating: Mapped[Decimal | None] = mapped_column(money(3, 2))
    status: Mapped[str] = mapped_column(String(20), default=FacultyStatus.ACTIVE,
                                        server_default=FacultyStatus.ACTIVE.value)
    # Home branch; where they work is user_branches (a member may teach in several).
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
