"""Fee heads (what the institute charges) and fee plans (what one student owes, when).

A subject's fee heads are the defaults; a batch's head of the same kind overrides the subject's.
A plan is made at enrollment from a head or by hand: one-time, monthly, or N instalments; its
instalments add up to the total to the paisa (GST included: exclusive pricing adds the tax
before splitting). Discounts wait for an admin above the institute's threshold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from institute_core.enums import (
    DiscountReason,
    DiscountStatus,
    FeeFrequency,
    FeeKind,
    GstMode,
    PlanKind,
)
from institute_core.fees import gst
from institute_core.fees.access import is_admin, require_admin, require_money_access
from institute_core.fees.discounts import Discount, amount_off, needs_approval
from institute_core.fees.instalments import schedule
from institute_core.fees.money import entered
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    BatchMember,
    Branch,
    Enrollment,
    FeeDiscount,
    FeeHead,
    FeeInstalment,
    FeePlan,
    FlexibleBatch,
    Student,
    Subject,
)
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput


@dataclass(frozen=True)
class HeadView:
    id: uuid.UUID
    name: str
    kind: str
    amount: Decimal
    frequency: str
    gst_mode: str
    gst_rate: Decimal
    subject_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    branch_id: uuid.UUID | None = None
    instalments: int | None = None
    subject: str = ""  # the subject's name ("" for a branch-wide head)
    batch: str = ""  # the batch's name for a batch's override


def _head_view(h: FeeHead, subject: str | None = None, batch: str | None = None) -> HeadView:
    return HeadView(h.id, h.name, h.kind, h.amount, h.frequency, h.gst_mode, h.gst_rate,
                    h.subject_id, h.batch_id, h.branch_id, h.instalments, subject or "",
                    batch or "")


def _placed(session: Session, subject_id: uuid.UUID | None, batch_id: uuid.UUID | None,
            branch_id: uuid.UUID | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(subject, branch) of a head: a batch's override is for the batch's subject, in its
    branch; a choice that contradicts them is refused naming the field."""
    if batch_id is None:
        if subject_id is not None and session.get(Subject, subject_id) is None:
            raise InvalidInput("fee_heads", "subject_id", "no such subject on this desk")
        return subject_id, branch_id
    batch = session.get(FlexibleBatch, batch_id)
    if batch is None or batch.deleted_at is not None:
        raise InvalidInput("fee_heads", "batch_id", "no such batch on this desk")
    if subject_id is not None and subject_id != batch.subject_id:
        raise InvalidInput("fee_heads", "batch_id",
                           f"batch {batch.name} teaches another subject than the one chosen")
    if branch_id is not None and branch_id != batch.branch_id:
        raise InvalidInput("fee_heads", "batch_id",
                           f"batch {batch.name} belongs to another branch than the one chosen")
    return batch.subject_id, batch.branch_id


def _frequency(frequency: str, instalments: int | None) -> int | None:
    if frequency not in {f.value for f in FeeFrequency}:
        raise InvalidInput("fee_heads", "frequency", "one-time, monthly or instalments",
                           frequency)
    if frequency != FeeFrequency.INSTALMENTS.value:
        return None
    if instalments is None or not 2 <= instalments <= 60:
        raise InvalidInput("fee_heads", "instalments",
                           "a fee paid in instalments needs 2 to 60 of them", instalments)
    return instalments


def add_fee_head(replica: Replica, actor: Actor, *, name: str, amount: Decimal | str,
                 kind: str = FeeKind.COURSE.value, subject_id: uuid.UUID | None = None,
                 batch_id: uuid.UUID | None = None, frequency: str = "one_time",
                 gst_mode: str = GstMode.NONE.value, gst_rate: Decimal | str = "0",
                 branch_id: uuid.UUID | None = None, instalments: int | None = None
                 ) -> uuid.UUID:
    """A fee a branch charges (admins: fees.configure): branch-wide, a subject's default, or a
    batch's override of the subject's head of the same kind; `branch_id` none: the desk's
    branch (a batch's own for an override)."""
    if not name.strip():
        raise InvalidInput("fee_heads", "name", "is required: what is the fee called?")
    price = entered(amount, "Fee head amount")
    parts = _frequency(frequency, instalments)
    with replica.write(actor) as session:
        require_admin(session, actor.user_id, "configure fees")
        subject_id, branch_id = _placed(session, subject_id, batch_id, branch_id)
        head = FeeHead(name=name.strip(), amount=price, kind=FeeKind(kind).value,
                       subject_id=subject_id, batch_id=batch_id, frequency=frequency,
                       gst_mode=GstMode(gst_mode).value, gst_rate=Decimal(str(gst_rate)),
                       branch_id=branch_id, instalments=parts)
        session.add(head)
        session.flush()
        return head.id


def heads_for(session: Session, subject_id: uuid.UUID | None,
              batch_id: uuid.UUID | None = None, branch_id: uuid.UUID | None = None
              ) -> list[HeadView]:
    """The fee heads that apply to a subject taken in a batch (in `branch_id`'s price list,
    when given), one per kind: the batch's override wins over the subject's default, which
    wins over a branch-wide head (no subject, no batch: a registration fee for everyone)."""
    query = select(FeeHead).where(
        FeeHead.deleted_at.is_(None), FeeHead.status == "active",
        (FeeHead.subject_id == subject_id) & FeeHead.batch_id.is_(None)
        | (FeeHead.subject_id.is_(None) & FeeHead.batch_id.is_(None))
        | ((FeeHead.batch_id == batch_id) if batch_id is not None else false()))
    if branch_id is not None:
        query = query.where(FeeHead.branch_id == branch_id)
    rows = session.execute(query).scalars()
    by_kind: dict[str, FeeHead] = {}
    for head in sorted(rows, key=lambda h: (h.batch_id is not None, h.subject_id is not None,
                                            h.name)):
        by_kind[head.kind] = head  # the most particular head comes last and wins
    return [_head_view(h) for h in by_kind.values()]


def heads_for_student(replica: Replica, student_id: uuid.UUID) -> tuple[HeadView, ...]:
    """What a student's plan is made from: for each subject they are enrolled in, the heads of
    their branch that apply, the override of the batch they are in for it (if any) winning
    over the subject's default; each head once."""
    with replica.read() as session:
        student = session.get(Student, student_id)
        if student is None:
            raise LookupError(f"no student with id {student_id}")
        subjects: list[uuid.UUID | None] = list(session.execute(
            select(Enrollment.subject_id).where(Enrollment.student_id == student_id,
                                                Enrollment.deleted_at.is_(None))
            .order_by(Enrollment.enrollment_date)).scalars())
        batch_of = {subject: batch for batch, subject in session.execute(
            select(BatchMember.batch_id, FlexibleBatch.subject_id)
            .join(FlexibleBatch, FlexibleBatch.id == BatchMember.batch_id)
            .where(BatchMember.student_id == student_id, BatchMember.left_on.is_(None),
                   BatchMember.deleted_at.is_(None), FlexibleBatch.deleted_at.is_(None))
            .order_by(BatchMember.joined_on))}
        found: dict[uuid.UUID, HeadView] = {}
        for subject in subjects or [None]:
            for head in heads_for(session, subject, batch_of.get(subject), student.branch_id):
                found.setdefault(head.id, head)
        return _named(session, found.values())


def _named(session: Session, heads: Iterable[HeadView]) -> tuple[HeadView, ...]:
    """Heads with their subject's and batch's names, for lists and choices."""
    subjects = {i: n for i, n in session.execute(select(Subject.id, Subject.name))}
    batches = {i: n for i, n in session.execute(select(FlexibleBatch.id, FlexibleBatch.name))}
    return tuple(replace(h, subject=subjects.get(h.subject_id, "") if h.subject_id else "",
                         batch=batches.get(h.batch_id, "") if h.batch_id else "")
                 for h in heads)


@dataclass(frozen=True)
class HeadTargets:
    """What a fee head can be for: subjects, and batches (with their subject and branch)."""

    subjects: tuple[tuple[uuid.UUID, str], ...]
    batches: tuple[tuple[uuid.UUID, str, uuid.UUID, uuid.UUID], ...]


def head_targets(replica: Replica) -> HeadTargets:
    with replica.read() as session:
        return HeadTargets(
            tuple(session.execute(select(Subject.id, Subject.name).where(
                Subject.deleted_at.is_(None)).order_by(Subject.name)).tuples()),
            tuple(session.execute(select(FlexibleBatch.id, FlexibleBatch.name,
                                         FlexibleBatch.subject_id, FlexibleBatch.branch_id)
                                  .where(FlexibleBatch.deleted_at.is_(None))
                                  .order_by(FlexibleBatch.name)).tuples()))


@dataclass(frozen=True)
class PlanRequest:
    """What the desk asks for: `price` as the student is told it (GST per `gst_mode`)."""

    student_id: uuid.UUID
    name: str
    price: Decimal
    kind: str = PlanKind.ONE_TIME.value
    instalments: int = 1
    first_due: date | None = None
    every_months: int = 1
    gst_mode: str = GstMode.NONE.value
    gst_rate: Decimal = Decimal("0")
    inter_state: bool = False
    enrollment_id: uuid.UUID | None = None
    fee_head_id: uuid.UUID | None = None


def _check(request: PlanRequest) -> Decimal:
    price = entered(request.price, "Fee")
    if not request.name.strip():
        raise InvalidInput("fee_plans", "name", "is required: what is the fee for?")
    if request.kind == PlanKind.ONE_TIME.value and request.instalments != 1:
        raise InvalidInput("fee_plans", "kind", "a one-time fee has one instalment")
    if not 1 <= request.instalments <= 60:
        raise InvalidInput("fee_instalments", "number", "between 1 and 60 instalments")
    return price


def create_plan(session: Session, actor: Actor, request: PlanRequest, today: date
                ) -> FeePlan:
    """A plan and its instalments, inside the caller's unit of work (Enroll makes one)."""
    require_money_access(session, actor.user_id)
    price = _check(request)
    if session.get(Student, request.student_id) is None:
        raise LookupError(f"no student with id {request.student_id}")
    if request.enrollment_id is not None and session.get(Enrollment,
                                                         request.enrollment_id) is None:
        raise LookupError(f"no enrollment with id {request.enrollment_id}")
    # The total due carries the tax: exclusive pricing adds it before the split.
    total = gst.apply(price, request.gst_mode, request.gst_rate,
                      inter_state=request.inter_state).gross
    plan = FeePlan(student_id=request.student_id, enrollment_id=request.enrollment_id,
                   fee_head_id=request.fee_head_id, name=request.name.strip(),
                   kind=request.kind, total=total, gst_mode=request.gst_mode,
                   gst_rate=Decimal(str(request.gst_rate)), inter_state=request.inter_state)
    session.add(plan)
    session.flush()
    for due in schedule(total, request.instalments, request.first_due or today,
                        request.every_months):
        session.add(FeeInstalment(plan_id=plan.id, student_id=plan.student_id,
                                  number=due.number, due_on=due.due_on, amount=due.amount))
    session.flush()
    return plan


def make_plan(replica: Replica, actor: Actor, request: PlanRequest, today: date) -> uuid.UUID:
    with replica.write(actor) as session:
        return create_plan(session, actor, request, today).id


def discount_limits(session: Session, student_id: uuid.UUID
                    ) -> tuple[Decimal | None, Decimal | None]:
    """The discount limits (per cent, rupees) of the student's branch: above either, a
    counselor's discount waits for an admin."""
    row = session.execute(select(Branch.discount_limit_percent, Branch.discount_limit_amount)
                          .join(Student, Student.branch_id == Branch.id)
                          .where(Student.id == student_id)).first()
    return (None, None) if row is None else (row[0], row[1])


def add_discount(replica: Replica, actor: Actor, plan_id: uuid.UUID, discount: Discount,
                 note: str | None = None) -> tuple[uuid.UUID, str]:
    """A discount on a plan; (its id, its status). An admin's is approved at once (by them,
    now); a counselor's is approved at once within the limits of the student's branch
    (fee settings) and waits for an admin above them. The server checks the same."""
    with replica.write(actor) as session:
        held = require_money_access(session, actor.user_id)
        plan = session.get(FeePlan, plan_id)
        if plan is None or plan.deleted_at is not None:
            raise LookupError(f"no fee plan with id {plan_id}")
        off = amount_off(plan.total, discount)
        admin = is_admin(held)
        limit_percent, limit_amount = discount_limits(session, plan.student_id)
        waits = not admin and needs_approval(plan.total, off, limit_percent, limit_amount)
        status = DiscountStatus.PENDING.value if waits else DiscountStatus.APPROVED.value
        row = FeeDiscount(plan_id=plan.id, student_id=plan.student_id, kind=discount.kind,
                          value=Decimal(str(discount.value)), amount=off,
                          reason=DiscountReason(discount.reason).value, note=note,
                          status=status, requested_by=actor.user_id,
                          approved_by=actor.user_id if admin else None,
                          approved_at=utcnow() if admin else None)
        session.add(row)
        session.flush()
        return row.id, status


def decide_discount(replica: Replica, actor: Actor, discount_id: uuid.UUID,
                    approve: bool) -> None:
    """An admin approves or rejects a waiting discount; the decision is recorded with them
    and its time."""
    with replica.write(actor) as session:
        require_admin(session, actor.user_id, "approve discounts")
        row = session.get(FeeDiscount, discount_id)
        if row is None or row.deleted_at is not None:
            raise LookupError(f"no discount with id {discount_id}")
        if row.status != DiscountStatus.PENDING.value:
            raise InvalidInput("fee_discounts", "status",
                               f"this discount was already {row.status}")
        row.status = (DiscountStatus.APPROVED if approve else DiscountStatus.REJECTED).value
        row.approved_by = actor.user_id
        row.approved_at = utcnow()


def all_heads(replica: Replica, branch_id: uuid.UUID | None = None) -> tuple[HeadView, ...]:
    """Every active fee head (of `branch_id` when given), for the plan dialog's "from a fee
    head" choice and the fee heads screen: branch-wide first, then by subject, the subject's
    default before its batches' overrides."""
    with replica.read() as session:
        query = select(FeeHead).where(FeeHead.deleted_at.is_(None), FeeHead.status == "active")
        if branch_id is not None:
            query = query.where(FeeHead.branch_id == branch_id)
        named = _named(session, [_head_view(h) for h in session.execute(query).scalars()])
        return tuple(sorted(named, key=lambda h: (h.subject, h.batch, h.name)))
