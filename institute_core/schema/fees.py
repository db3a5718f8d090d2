"""Fees and the institute's money (issue 18; seed 004's Financial Management).

Fee heads are what an institute charges (per subject, overridden per batch); a fee plan is what
one student owes for an enrollment, due in instalments, less approved discounts. Payments,
their allocations to instalments, what later happened to them (a cheque clearing or bouncing, a
cancellation) and refunds are FACTS: the sync policy lets them be inserted only, never edited
or deleted, so two desks' receipts are never merged field by field; a correction is a new row.
Receipt and credit-note numbers come from the issuing desk's series (institute_core/numbering.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    ActiveStatus,
    DiscountKind,
    DiscountReason,
    DiscountStatus,
    ExpenseCategory,
    FeeFrequency,
    FeeKind,
    FollowUpStatus,
    FollowUpType,
    GstMode,
    PaymentEventKind,
    PaymentMode,
    PlanKind,
    SalaryBasis,
)
from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import between, checks, not_blank, one_of, positive
from institute_core.schema.types import UTCDateTime, money

# Rupees up to ten crore less a paisa: more than any fee, salary or expense of an institute.
AMOUNT = (12, 2)
NUMBER_LENGTH = 32


def _amount() -> Mapped[Decimal]:
    return mapped_column(money(*AMOUNT))


def _tax() -> Mapped[Decimal]:
    return mapped_column(money(*AMOUNT), default=Decimal("0"), server_default="0")


class FeeHead(Synced, Base):
    """A fee the institute charges for a subject (the default) or a batch (an override)."""

    __tablename__ = "fee_heads"
    __table_args__ = (
        Index("ix_fee_heads_subject_id", "subject_id"),
        Index("ix_fee_heads_batch_id", "batch_id"),
        *checks(
            not_blank("name"),
            one_of("kind", FeeKind),
            one_of("frequency", FeeFrequency),
            one_of("gst_mode", GstMode),
            one_of("status", ActiveStatus),
            between("amount", 0, None),
            between("gst_rate", 0, 100),
            between("instalments", 1, 60),
        ),
    )

    subject_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("flexible_batches.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default=FeeKind.COURSE,
                                      server_default=FeeKind.COURSE.value)
    amount: Mapped[Decimal] = _amount()
    frequency: Mapped[str] = mapped_column(String(20), default=FeeFrequency.ONE_TIME,
                                           server_default=FeeFrequency.ONE_TIME.value)
    # How many parts a plan from this head is paid in, for the `instalments` frequency
    # (migration 0019); none for one-time and monthly heads.
    instalments: Mapped[int | None] = mapped_column(Integer)
    gst_mode: Mapped[str] = mapped_column(String(20), default=GstMode.NONE,
                                          server_default=GstMode.NONE.value)
    gst_rate: Mapped[Decimal] = mapped_column(money(5, 2), default=Decimal("0"),
                                              server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=ActiveStatus.ACTIVE,
                                        server_default=ActiveStatus.ACTIVE.value)
    # The branch it belongs to (migration 0016): each branch has its own prices.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))


class FeePlan(Synced, Base):
    """What one student owes for an enrollment, and how GST applies to it."""

    __tablename__ = "fee_plans"
    __table_args__ = (
        Index("ix_fee_plans_student_id", "student_id"),
        Index("ix_fee_plans_enrollment_id", "enrollment_id"),
        *checks(
            not_blank("name"),
            one_of("kind", PlanKind),
            one_of("gst_mode", GstMode),
            between("total", 0, None),
            between("gst_rate", 0, 100),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("student_subject_enrollments.id", ondelete="SET NULL"))
    fee_head_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("fee_heads.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=PlanKind.ONE_TIME,
                                      server_default=PlanKind.ONE_TIME.value)
    # Before discounts; the instalments carry what is due after them.
    total: Mapped[Decimal] = _amount()
    gst_mode: Mapped[str] = mapped_column(String(20), default=GstMode.NONE,
                                          server_default=GstMode.NONE.value)
    gst_rate: Mapped[Decimal] = mapped_column(money(5, 2), default=Decimal("0"),
                                              server_default="0")
    # The student lives in another state than the institute: IGST instead of CGST + SGST.
    inter_state: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)


class FeeInstalment(Synced, Base):
    """One due of a plan: how much (GST included), by when."""

    __tablename__ = "fee_instalments"
    # Instalment N of a plan is one row wherever it was made.
    __natural_key__ = ("plan_id", "number")
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        Index("ix_fee_instalments_student_id", "student_id"),
        Index("ix_fee_instalments_due_on", "due_on"),
        *checks(positive("number"), between("amount", 0, None)),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_plans.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date]
    amount: Mapped[Decimal] = _amount()


class FeeDiscount(Synced, Base):
    """A discount on a plan with its reason; one above the admin's threshold waits for an
    admin's approval (`approved_by`)."""

    __tablename__ = "fee_discounts"
    __table_args__ = (
        Index("ix_fee_discounts_plan_id", "plan_id"),
        Index("ix_fee_discounts_student_id", "student_id"),
        *checks(
            one_of("kind", DiscountKind),
            one_of("reason", DiscountReason),
            one_of("status", DiscountStatus),
            between("value", 0, None),
            between("amount", 0, None),
        ),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fee_plans.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # Per cent for a percentage discount, rupees for a fixed one; `amount` is the rupees off.
    value: Mapped[Decimal] = _amount()
    amount: Mapped[Decimal] = _amount()
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=DiscountStatus.PENDING,
                                        server_default=DiscountStatus.PENDING.value)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # When the admin decided (approved or rejected); none for a discount within the limit.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Payment(Synced, Base):
    """Money received, with its receipt number (a fact: never edited nor deleted)."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("receipt_no"),
        Index("ix_payments_student_id", "student_id"),
        Index("ix_payments_paid_on", "paid_on"),
        *checks(
            not_blank("receipt_no"),
            one_of("mode", PaymentMode),
            positive("amount"),
            between("taxable", 0, None),
            between("cgst", 0, None),
            between("sgst", 0, None),
            between("igst", 0, None),
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    receipt_no: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    paid_on: Mapped[date]
    amount: Mapped[Decimal] = _amount()
    mode: Mapped[str] = mapped_column(String(20))
    # UPI's UTR, a card's approval code, a cheque's or DD's number, a transfer's reference.
    reference: Mapped[str | None] = mapped_column(String(64))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    bank: Mapped[str | None] = mapped_column(String(100))
    instrument_date: Mapped[date | None]
    taxable: Mapped[Decimal] = _tax()
    cgst: Mapped[Decimal] = _tax()
    sgst: Mapped[Decimal] = _tax()
    igst: Mapped[Decimal] = _tax()
    received_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    # Where the money was taken (migration 0016): a student who moves keeps it there.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))


class PaymentAllocation(Synced, Base):
    """Which instalment a payment (or part of it) paid."""

    __tablename__ = "payment_allocations"
    __table_args__ = (
        Index("ix_payment_allocations_payment_id", "payment_id"),
        Index("ix_payment_allocations_instalment_id", "instalment_id"),
        Index("ix_payment_allocations_student_id", "student_id"),
        *checks(positive("amount")),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    instalment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("fee_instalments.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = _amount()


class PaymentEvent(Synced, Base):
    """What happened to a payment after its receipt: a cheque deposited, cleared or bounced,
    or the receipt cancelled by an admin. A bounce or cancellation reopens what it paid."""

    __tablename__ = "payment_events"
    __table_args__ = (
        Index("ix_payment_events_payment_id", "payment_id"),
        Index("ix_payment_events_student_id", "student_id"),
        *checks(one_of("kind", PaymentEventKind)),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    happened_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class Refund(Synced, Base):
    """Money paid back, as a credit note with a number of its own."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("credit_note_no"),
        Index("ix_refunds_student_id", "student_id"),
        *checks(not_blank("credit_note_no"), one_of("mode", PaymentMode), positive("amount"),
                not_blank("reason")),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL"))
    credit_note_no: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    refunded_on: Mapped[date]
    amount: Mapped[Decimal] = _amount()
    mode: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    refunded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # The branch it belongs to (migration 0016): where it was paid out.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))


class Expense(Synced, Base):
    __tablename__ = "expenses"
    __table_args__ = (
        Index("ix_expenses_spent_on", "spent_on"),
        *checks(one_of("category", ExpenseCategory), positive("amount"),
                not_blank("deleted_reason")),
    )

    category: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = _amount()
    spent_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # The branch it belongs to (migration 0016): whose money it was.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))
    # Why an admin deleted a mistaken row (migration 0019); the audit log keeps it with who
    # deleted it and when.
    deleted_reason: Mapped[str | None] = mapped_column(Text)


class SalaryPayment(Synced, Base):
    """Pay to a faculty or staff member for a month: fixed, or hours taught at a rate."""

    __tablename__ = "salary_payments"
    __table_args__ = (
        Index("ix_salary_payments_user_id", "user_id"),
        Index("ix_salary_payments_paid_on", "paid_on"),
        *checks(one_of("basis", SalaryBasis), positive("amount"), between("hours", 0, None),
                between("rate", 0, None), not_blank("deleted_reason")),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date]  # the first day of the month paid for
    basis: Mapped[str] = mapped_column(String(20), default=SalaryBasis.FIXED,
                                       server_default=SalaryBasis.FIXED.value)
    hours: Mapped[Decimal | None] = mapped_column(money(7, 2))
    rate: Mapped[Decimal | None] = mapped_column(money(10, 2))
    amount: Mapped[Decimal] = _amount()
    paid_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # The branch it belongs to (migration 0016): whose payroll it was.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"))
    # Why an admin deleted a mistaken row (migration 0019), as for expenses.
    deleted_reason: Mapped[str | None] = mapped_column(Text)


class FeeFollowUp(Synced, Base):
    """A defaulter to chase: call (or visit, message) a student about overdue fees by a time,
    and what came of it. The CRM's follow-ups belong to inquiries; this is their twin for a
    student's dues, in the counselor's follow-ups and on the dues list."""

    __tablename__ = "fee_follow_ups"
    __table_args__ = (
        Index("ix_fee_follow_ups_student_id", "student_id"),
        Index("ix_fee_follow_ups_due_at", "due_at"),
        *checks(one_of("kind", FollowUpType), one_of("status", FollowUpStatus)),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    # Who is to make the call (the student's counselor by default).
    counselor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20), default=FollowUpType.CALL,
                                      server_default=FollowUpType.CALL.value)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=FollowUpStatus.PENDING,
                                        server_default=FollowUpStatus.PENDING.value)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
