"""Rewards and penalties, and student feedback."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    FeedbackStatus,
    FeedbackType,
    RewardCategory,
    RewardStatus,
    RewardType,
    Sentiment,
)
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import between, checks, not_blank, one_of, positive
from institute_core.schema.types import money


class RewardPenalty(Synced, Base):
    __tablename__ = "rewards_penalties"
    __owner__ = OwnerRule("created_by")
    __table_args__ = (
        Index("ix_rewards_penalties_student_id", "student_id"),
        *checks(
            one_of("type", RewardType),
            one_of("category", RewardCategory),
            one_of("status", RewardStatus),
            # The type carries the sign; points are a magnitude.
            positive("points"),
            not_blank("reason"),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    faculty_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("faculties.id"))
    type: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)
    date: Mapped[date]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=RewardStatus.ACTIVE,
                                        server_default=RewardStatus.ACTIVE.value)
    # An appeal: why the student disputes it, then whether it was accepted (the points then no
    # longer count) and the note of whoever decided.
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appeal_accepted: Mapped[bool | None] = mapped_column(Boolean)
    appeal_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]


class Feedback(Synced, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_student_id", "student_id"),
        Index("ix_feedback_faculty_id", "faculty_id"),
        *checks(
            between("rating", 1, 5),
            one_of("feedback_type", FeedbackType),
            one_of("sentiment", Sentiment),
            one_of("status", FeedbackStatus),
            between("sentiment_score", -1, 1),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    faculty_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("faculties.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learning_sessions.id", ondelete="CASCADE"))
    rating: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(Text)
    feedback_type: Mapped[str] = mapped_column(String(20))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=FeedbackStatus.PENDING,
                                        server_default=FeedbackStatus.PENDING.value)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    # Anonymous feedback still belongs to a student (scopes need it); screens hide who gave it.
    # Nullable: rows written before this column (bulk loads, older desks) mean "not anonymous".
    is_anonymous: Mapped[bool | None] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    # VADER's compound score (-1 … 1) of the comments; `sentiment` is its label.
    sentiment_score: Mapped[Decimal | None] = mapped_column(money(5, 4))
    action_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
