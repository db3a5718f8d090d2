"""The counselors' inquiry CRM: inquiries, their subjects of interest, follow-ups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    FollowUpStatus,
    FollowUpType,
    InquirySource,
    InquiryStatus,
    Priority,
)
from institute_core.schema.base import Base, OwnerRule, Synced
from institute_core.schema.rules import checks, not_blank, one_of
from institute_core.schema.types import JsonDoc


class Inquiry(Synced, Base):
    __tablename__ = "crm_inquiries"
    # The counselor assigned to an inquiry owns it in conflicts.
    __owner__ = OwnerRule("counselor_id")
    __table_args__ = (
        Index("ix_crm_inquiries_counselor_id", "counselor_id"),
        Index("ix_crm_inquiries_status", "status"),
        Index("ix_crm_inquiries_phone_normalized", "phone_normalized"),
        Index("ix_crm_inquiries_branch_id", "branch_id"),
        *checks(
            one_of("source", InquirySource),
            one_of("status", InquiryStatus),
            one_of("priority", Priority),
            not_blank("student_name"),
        ),
    )

    counselor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    student_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default=InquiryStatus.NEW,
                                        server_default=InquiryStatus.NEW.value)
    priority: Mapped[str | None] = mapped_column(String(10), default=Priority.MEDIUM,
                                                 server_default=Priority.MEDIUM.value)
    next_follow_up_date: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    # Free-text labels point at no rows, so they stay a JSON array.
    tags: Mapped[list[str] | None] = mapped_column(JsonDoc)
    # The phone as compared for duplicates (E.164, "+919876543210"); `phone` keeps it as typed.
    phone_normalized: Mapped[str | None] = mapped_column(String(20))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    # A duplicate merged into another inquiry: soft-deleted, pointing at the one that kept its
    # history. No foreign key: a pull may bring the tombstone before the inquiry it points at.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(as_uuid=True))
    merged_at: Mapped[datetime | None]
    # The student this inquiry became ("Enroll"), and when.
    student_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="SET NULL"))
    converted_at: Mapped[datetime | None]
    # The branch whose front desk works the lead.
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))


class InquirySubject(Synced, Base):
    """Seed 000's `crm_inquiries.interested_subjects INTEGER[]`, one row per subject."""

    __tablename__ = "inquiry_subjects"
    __natural_key__ = ("inquiry_id", "subject_id")
    __owner__ = OwnerRule(via="inquiry_id", parent="crm_inquiries")
    __table_args__ = (
        UniqueConstraint("inquiry_id", "subject_id"),
        Index("ix_inquiry_subjects_subject_id", "subject_id"),
    )

    inquiry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crm_inquiries.id", ondelete="CASCADE"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))


class FollowUp(Synced, Base):
    __tablename__ = "follow_ups"
    __owner__ = OwnerRule("counselor_id")
    __table_args__ = (
        Index("ix_follow_ups_inquiry_id", "inquiry_id"),
        Index("ix_follow_ups_follow_up_date", "follow_up_date"),
        *checks(
            one_of("follow_up_type", FollowUpType),
            one_of("status", FollowUpStatus),
        ),
    )

    inquiry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crm_inquiries.id", ondelete="CASCADE"))
    counselor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    follow_up_date: Mapped[datetime]
    follow_up_type: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    next_follow_up_date: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=FollowUpStatus.PENDING,
                                        server_default=FollowUpStatus.PENDING.value)
    outcome: Mapped[str | None] = mapped_column(Text)
