"""The notice board and staff notifications (issue 19, seeds 003/004).

`announcements`: what an administrator posts for everyone, one role or one batch, optionally
in one branch (no branch: every branch), pinned and/or expiring. `announcement_reads`: who has
read one (one row per announcement and reader, so its author sees the receipts).
`staff_notifications`: a staff member's own bell — follow-ups due, a conflict, a student at
risk, a bounced cheque — each pointing at the record it is about. A desk makes its user's
notifications from what it already sees, keyed by user, kind and record (natural key), so two
desks of one person make one row and marking it read on one desk clears it on the other.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import Audience, NotificationKind
from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import checks, not_blank, one_of


class Announcement(Synced, Base):
    """A notice on the board of every desk in its audience."""

    __tablename__ = "announcements"
    __table_args__ = (
        Index("ix_announcements_branch_id", "branch_id"),
        Index("ix_announcements_batch_id", "batch_id"),
        *checks(not_blank("title"), not_blank("body"), one_of("audience", Audience)),
    )

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # everyone / role (audience_role names it) / batch (batch_id names it).
    audience: Mapped[str] = mapped_column(String(10), default=Audience.EVERYONE,
                                          server_default=Audience.EVERYONE.value)
    # A role's name as users.role holds it (roles become data in issue 17: no fixed list).
    audience_role: Mapped[str | None] = mapped_column(String(50))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("flexible_batches.id", ondelete="CASCADE"))
    # No branch: the notice is for every branch.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))
    pinned: Mapped[bool] = mapped_column(default=False, server_default=false())
    expires_at: Mapped[datetime | None]
    # Also sent to the audience's students' guardians through the message channels.
    send_to_guardians: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class AnnouncementRead(Synced, Base):
    """A read receipt: `user_id` opened the announcement."""

    __tablename__ = "announcement_reads"
    __natural_key__ = ("announcement_id", "user_id")
    __table_args__ = (
        UniqueConstraint("announcement_id", "user_id"),
        Index("ix_announcement_reads_user_id", "user_id"),
    )

    announcement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    read_at: Mapped[datetime]


class StaffNotification(Synced, Base):
    """One item of a staff member's bell, about one record (`record_table`, `record_id`)."""

    __tablename__ = "staff_notifications"
    __natural_key__ = ("user_id", "kind", "record_id")
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "record_id"),
        *checks(one_of("kind", NotificationKind), not_blank("title"),
                not_blank("record_table")),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    record_table: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[uuid.UUID]
    read_at: Mapped[datetime | None]
