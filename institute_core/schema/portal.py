"""The student and guardian portal's server tables (issue 20); empty on replicas.

- `portal_sessions`: one browser sign-in. Only a hash of its cookie is stored; it expires,
  can be revoked (sign-out, a password reset, a deactivated account, an administrator), and
  carries the token every form of that session must send back (CSRF).
- `portal_sign_in_codes`: one-time codes an administrator prints for a guardian; a code opens
  one student's pages once, until it expires. Only its hash is stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.schema.base import Base
from institute_core.schema.types import utcnow


class PortalSession(Base):
    """A portal sign-in: a student's own account, or a guardian's code for one student."""

    __tablename__ = "portal_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_portal_sessions_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64))
    # "student" (user_id: their account) or "guardian" (student_id: the child the code named).
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PortalSignInCode(Base):
    """A one-time guardian sign-in code for one student, printed by an administrator."""

    __tablename__ = "portal_sign_in_codes"
    __table_args__ = (
        UniqueConstraint("code_hash"),
        Index("ix_portal_sign_in_codes_student_id", "student_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
