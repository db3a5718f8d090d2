"""Fee heads (what the institute charges) and fee plans (what one student owes, when).

A subject's fee heads are the defaults; a batch's head of the same kind overrides the subject's.
A plan is made at enrollment from a head or by hand: one-time, monthly, or N instalments; its
instalments add up to the total to the paisa (GST included: exclusive pricing adds the tax
before splitting). Discounts wait for an admin above the institute's threshold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import (
    DiscountReason,
    DiscountStatus,
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
    Branch,
    Enrollment,
    FeeDiscount,
    FeeHead,
    FeeInstalment,
    FeePlan,
    Student,
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


def _head_view(h: FeeHead) -> HeadView:
    return HeadView(h.id, h.name, h.kind, h.amount, h.frequency, h.gst_mode, h.gst_rate,
                    h.subject_id, h.batch_id, h.branch_id)


def add_fee_head(replica: Replica, actor: Actor, *, name: str, amount: Decimal | str,
                 kind: str = FeeKind.COURSE.value, subject_id: uuid.UUID | None = None,
                 batch_id: uuid.UUID | None = None, frequency: str = "one_time",
                 gst_mode: str = GstMode.NONE.value, gst_rate: Decimal | str = "0",
                 branch_id: uuid.UUID | None = None) -> uuid.UUID:
    """A fee a branch charges (admins: fees.configure); `branch_id` none: the desk's branch."""
    if not name.strip():
        raise InvalidInput("fee_heads", "name", "is required: what is the fee called?")
    price = entered(amount, "Fee head amount")
    with replica.write(actor) as session:
        require_admin(session, actor.user_id, "configure fees")
        head = FeeHead(name=name.strip(), amount=price, kind=FeeKind(kind).value,
                       subject_id=subject_id, batch_id=batch_id, frequency=frequency,
                       gst_mode=GstMode(gst_mode).value, gst_rate=Decimal(str(gst_rate)),
                       branch_id=branch_id)
        session.add(head)
        session.flush()
        return head.id


def heads_for(session: Session, subject_id: uuid.UUID | None,
              batch_id: uuid.UUID | None = None, branch_id: uuid.UUID | None = None
              ) -> list[HeadView]:
    """The fee heads that apply to a subject taken in a batch (in `branch_id`'s price list,
    when given): the batch's head of a kind overrides the subject's of the same kind."""
    query = select(FeeHead).where(
        FeeHead.deleted_at.is_(None), FeeHead.status == "active",
        (FeeHead.subject_id == subject_id) | (FeeHead.batch_id == batch_id)
        if batch_id is not None else FeeHead.subject_id == subject_id)
    if branch_id is not None:
        query = query.where(FeeHead.branch_id == branch_id)
    rows = session.execute(query).scalars()
    by_kind: dict[str, FeeHead] = {}
    for head in sorted(rows, key=lambda h: (h.batch_id is not None, h.name)):
        by_kind[head.kind] = head  # batch heads come last and win
    return [_head_view(h) for h in by_kind.values()]


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
    head" choice and the fee heads screen."""
    with replica.read() as session:
        query = select(FeeHead).where(FeeHead.deleted_at.is_(None), FeeHead.status == "active")
        if branch_id is not None:
            query = query.where(FeeHead.branch_id == branch_id)
        rows = session.execute(query.order_by(FeeHead.name)).scalars()
        return tuple(_head_view(h) for h in rows)
