"""The admin's money screens' services: fee settings per branch, discounts to approve, expenses,
salary payments, and the defaulters' follow-ups (counselors too). Each returns plain values;
each write is one unit of work and names what was wrong when it refuses.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from institute_core.enums import (
    ExpenseCategory,
    FollowUpStatus,
    FollowUpType,
    GstMode,
    Role,
    SalaryBasis,
    SessionStatus,
)
from institute_core.fees.access import (
    CONFIGURE,
    EXPENSES,
    REPORTS,
    require,
    require_money_access,
)
from institute_core.fees.money import PAISA, MoneyProblem, entered
from institute_core.fees.settings import GSTIN
from institute_core.replica import Actor, Replica
from institute_core.reports.common import full_name
from institute_core.schema import (
    Branch,
    Expense,
    Faculty,
    FeeDiscount,
    FeeFollowUp,
    FeePlan,
    LearningSession,
    SalaryPayment,
    Student,
    User,
)
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput

Branches = Collection[uuid.UUID] | None  # None: every branch


def _name(first: str | None, last: str | None, email: str | None = None) -> str:
    return full_name(first, last) or email or "—"


def _amount(table: str, field: str, value: object, what: str) -> Decimal:
    try:
        return entered(value, what)
    except MoneyProblem as exc:
        raise InvalidInput(table, field, str(exc)) from None


def _optional_decimal(table: str, field: str, value: object, high: Decimal | None,
                      what: str) -> Decimal | None:
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except ArithmeticError:
        raise InvalidInput(table, field, f"{what}: '{text}' is not a number") from None
    if not number.is_finite() or number < 0 or (high is not None and number > high):
        limit = f"between 0 and {high}" if high is not None else "0 or more"
        raise InvalidInput(table, field, f"{what} must be {limit}", text)
    if number != number.quantize(PAISA):
        raise InvalidInput(table, field, f"{what}: at most two decimals", text)
    return number


# --- branches and their fee settings ----------------------------------------------------------

@dataclass(frozen=True)
class BranchChoice:
    id: uuid.UUID
    name: str
    code: str


def branch_choices(replica: Replica) -> tuple[BranchChoice, ...]:
    """The branches this desk holds, by name (for the branch filters and pickers)."""
    with replica.read() as session:
        return tuple(BranchChoice(i, n, c) for i, n, c in session.execute(
            select(Branch.id, Branch.name, Branch.code).where(Branch.deleted_at.is_(None))
            .order_by(Branch.name)))


@dataclass(frozen=True)
class FeeSettingsValues:
    """A branch's fee settings as the settings screen shows and saves them."""

    branch_id: uuid.UUID
    branch_name: str
    gstin: str | None
    state: str | None
    gst_mode: str
    gst_rate: Decimal
    limit_percent: Decimal | None
    limit_amount: Decimal | None


def branch_fee_settings(replica: Replica, branch_id: uuid.UUID) -> FeeSettingsValues:
    with replica.read() as session:
        b = session.get(Branch, branch_id)
        if b is None or b.deleted_at is not None:
            raise LookupError(f"no branch with id {branch_id}")
        return FeeSettingsValues(b.id, b.name, b.gstin, b.gst_state, b.gst_mode,
                                 Decimal(b.gst_rate), b.discount_limit_percent,
                                 b.discount_limit_amount)


def save_fee_settings(replica: Replica, actor: Actor, branch_id: uuid.UUID, *,
                      gstin: str | None, state: str | None, gst_mode: str,
                      gst_rate: object, limit_percent: object, limit_amount: object) -> None:
    """An admin saves a branch's GSTIN, state, GST mode and rate and discount limits."""
    gstin = (gstin or "").strip().upper() or None
    if gstin is not None and not GSTIN.match(gstin):
        raise InvalidInput("branches", "gstin", "15 characters, e.g. 29ABCDE1234F1Z5", gstin)
    if gst_mode not in {m.value for m in GstMode}:
        raise InvalidInput("branches", "gst_mode", "none, inclusive or exclusive", gst_mode)
    rate = _optional_decimal("branches", "gst_rate", gst_rate, Decimal(100), "GST rate")
    percent = _optional_decimal("branches", "discount_limit_percent", limit_percent,
                                Decimal(100), "Discount limit (%)")
    amount = _optional_decimal("branches", "discount_limit_amount", limit_amount, None,
                               "Discount limit (₹)")
    with replica.write(actor) as session:
        require(session, actor.user_id, CONFIGURE, "changing fee settings")
        branch = session.get(Branch, branch_id)
        if branch is None or branch.deleted_at is not None:
            raise LookupError(f"no branch with id {branch_id}")
        branch.gstin, branch.gst_state = gstin, (state or "").strip() or None
        branch.gst_mode, branch.gst_rate = gst_mode, rate if rate is not None else Decimal(0)
        branch.discount_limit_percent, branch.discount_limit_amount = percent, amount


# --- discounts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiscountLine:
    id: uuid.UUID
    student: str
    enrollment_no: str
    plan: str
    kind: str
    value: Decimal
    amount: Decimal
    reason: str
    status: str
    requested_by: str
    decided_by: str
    decided_at: datetime | None


def discount_lines(replica: Replica, actor: Actor, *, pending_only: bool = False,
                   branches: Branches = None) -> tuple[DiscountLine, ...]:
    """Discounts, newest first (the waiting ones only with `pending_only`)."""
    asker, decider, person = aliased(User), aliased(User), aliased(User)
    with replica.read() as session:
        require_money_access(session, actor.user_id)
        query = (select(FeeDiscount, FeePlan.name, Student.enrollment_no, person.first_name,
                        person.last_name, asker.first_name, asker.last_name,
                        decider.first_name, decider.last_name)
                 .join(FeePlan, FeePlan.id == FeeDiscount.plan_id)
                 .join(Student, Student.id == FeeDiscount.student_id)
                 .join(person, person.id == Student.user_id)
                 .outerjoin(asker, asker.id == FeeDiscount.requested_by)
                 .outerjoin(decider, decider.id == FeeDiscount.approved_by)
                 .where(FeeDiscount.deleted_at.is_(None))
                 .order_by(FeeDiscount.created_at.desc()))
        if pending_only:
            query = query.where(FeeDiscount.status == "pending")
        if branches is not None:
            query = query.where(Student.branch_id.in_(list(branches)))
        return tuple(DiscountLine(
            d.id, _name(pf, pl), enr, plan, d.kind, d.value, d.amount, d.reason, d.status,
            _name(af, al), _name(df, dl) if d.approved_by else
            ("within the limit" if d.status == "approved" else ""), d.approved_at)
            for d, plan, enr, pf, pl, af, al, df, dl in session.execute(query))


# --- expenses ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpenseLine:
    id: uuid.UUID
    spent_on: date
    category: str
    amount: Decimal
    note: str
    branch: str
    entered_by: str
    branch_id: uuid.UUID | None = None


def _branch_names(session: Session) -> dict[uuid.UUID, str]:
    return {i: n for i, n in session.execute(select(Branch.id, Branch.name))}


def expense_lines(replica: Replica, actor: Actor, branches: Branches = None
                  ) -> tuple[ExpenseLine, ...]:
    with replica.read() as session:
        require(session, actor.user_id, REPORTS, "seeing expenses")
        names = _branch_names(session)
        query = (select(Expense, User.first_name, User.last_name)
                 .outerjoin(User, User.id == Expense.entered_by)
                 .where(Expense.deleted_at.is_(None))
                 .order_by(Expense.spent_on.desc(), Expense.created_at.desc()))
        if branches is not None:
            query = query.where(Expense.branch_id.in_(list(branches)))
        return tuple(ExpenseLine(e.id, e.spent_on, e.category, e.amount, e.note or "",
                                 names.get(e.branch_id, "—") if e.branch_id else "—",
                                 _name(f, lname), e.branch_id)
                     for e, f, lname in session.execute(query))


def _expense_values(category: str, amount: object) -> Decimal:
    if category not in {c.value for c in ExpenseCategory}:
        raise InvalidInput("expenses", "category", "choose a category", category)
    return _amount("expenses", "amount", amount, "Expense amount")


def add_expense(replica: Replica, actor: Actor, *, category: str, amount: object,
                spent_on: date, note: str | None, branch_id: uuid.UUID | None) -> uuid.UUID:
    """An admin records money spent (rent, utilities, ...), in a branch."""
    value = _expense_values(category, amount)
    with replica.write(actor) as session:
        require(session, actor.user_id, EXPENSES, "recording expenses")
        row = Expense(category=category, amount=value, spent_on=spent_on,
                      note=(note or "").strip() or None, entered_by=actor.user_id,
                      branch_id=branch_id)
        session.add(row)
        session.flush()
        return row.id


_MoneyOut = TypeVar("_MoneyOut", Expense, SalaryPayment)


def _live(session: Session, model: type[_MoneyOut], row_id: uuid.UUID, what: str
          ) -> _MoneyOut:
    row = session.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise LookupError(f"no {what} with id {row_id} (deleted, or not on this desk)")
    return row


def update_expense(replica: Replica, actor: Actor, expense_id: uuid.UUID, *, category: str,
                   amount: object, spent_on: date, note: str | None,
                   branch_id: uuid.UUID | None) -> None:
    """An admin corrects a mistyped expense; the audit log keeps what it was."""
    value = _expense_values(category, amount)
    with replica.write(actor) as session:
        require(session, actor.user_id, EXPENSES, "correcting expenses")
        row = _live(session, Expense, expense_id, "expense")
        row.category, row.amount, row.spent_on = category, value, spent_on
        row.note, row.branch_id = (note or "").strip() or None, branch_id


def _delete(replica: Replica, actor: Actor, model: type[_MoneyOut],
            row_id: uuid.UUID, reason: str, what: str) -> None:
    """A mistaken row of money out deleted with why: a soft delete, so the reason, who and
    when travel to every desk and stay in the audit log."""
    if not reason.strip():
        raise InvalidInput(model.__tablename__, "deleted_reason",
                           f"is required: why is this {what} deleted?")
    with replica.write(actor) as session:
        require(session, actor.user_id, EXPENSES, f"deleting {what}s")
        row = _live(session, model, row_id, what)
        row.deleted_at, row.deleted_reason = utcnow(), reason.strip()


def delete_expense(replica: Replica, actor: Actor, expense_id: uuid.UUID, reason: str) -> None:
    _delete(replica, actor, Expense, expense_id, reason, "expense")


# --- salaries ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffPay:
    """A staff member to pay for a month: their hourly rate (faculty) and hours taught."""

    user_id: uuid.UUID
    name: str
    role: str
    hourly_rate: Decimal | None
    hours_taught: Decimal


def staff_to_pay(replica: Replica, actor: Actor, month: date) -> tuple[StaffPay, ...]:
    """Faculty and office staff with, for faculty, the hours of the sessions they completed
    in `month` (seed 004: hourly rate × sessions taught, or a fixed monthly salary)."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    with replica.read() as session:
        require(session, actor.user_id, EXPENSES, "paying salaries")
        minutes = {f: m for f, m in session.execute(
            select(LearningSession.faculty_id, func.sum(LearningSession.duration_minutes))
            .where(LearningSession.deleted_at.is_(None),
                   LearningSession.status == SessionStatus.COMPLETED.value,
                   LearningSession.session_date >= first,
                   LearningSession.session_date < following)
            .group_by(LearningSession.faculty_id))}
        rows = session.execute(
            select(User.id, User.first_name, User.last_name, User.email, User.role,
                   Faculty.id, Faculty.hourly_rate)
            .outerjoin(Faculty, (Faculty.user_id == User.id) & Faculty.deleted_at.is_(None))
            .where(User.deleted_at.is_(None), User.role != Role.STUDENT.value)
            .order_by(User.first_name, User.last_name))
        return tuple(StaffPay(uid, _name(f, lname, email), role, rate,
                              (Decimal(minutes.get(fid) or 0) / 60).quantize(PAISA))
                     for uid, f, lname, email, role, fid, rate in rows)


@dataclass(frozen=True)
class SalaryLine:
    id: uuid.UUID
    person: str
    month: date
    basis: str
    hours: Decimal | None
    rate: Decimal | None
    amount: Decimal
    paid_on: date
    branch: str
    user_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None
    note: str = ""


def salary_lines(replica: Replica, actor: Actor, branches: Branches = None
                 ) -> tuple[SalaryLine, ...]:
    with replica.read() as session:
        require(session, actor.user_id, REPORTS, "seeing salaries")
        names = _branch_names(session)
        query = (select(SalaryPayment, User.first_name, User.last_name, User.email)
                 .join(User, User.id == SalaryPayment.user_id)
                 .where(SalaryPayment.deleted_at.is_(None))
                 .order_by(SalaryPayment.paid_on.desc(), SalaryPayment.created_at.desc()))
        if branches is not None:
            query = query.where(SalaryPayment.branch_id.in_(list(branches)))
        return tuple(SalaryLine(s.id, _name(f, lname, email), s.month, s.basis, s.hours, s.rate,
                                s.amount, s.paid_on,
                                names.get(s.branch_id, "—") if s.branch_id else "—",
                                s.user_id, s.branch_id, s.note or "")
                     for s, f, lname, email in session.execute(query))


def _salary_values(basis: str, amount: object, hours: object, rate: object
                   ) -> tuple[Decimal | None, Decimal | None, Decimal]:
    """(hours, rate, amount) of a month's pay: fixed (the amount) or hourly (hours × rate, to
    the paisa)."""
    if basis == SalaryBasis.HOURLY.value:
        h = _optional_decimal("salary_payments", "hours", hours, None, "Hours")
        r = _optional_decimal("salary_payments", "rate", rate, None, "Rate")
        if not h or not r:
            raise InvalidInput("salary_payments", "hours",
                               "hourly pay needs the hours taught and the rate")
        return h, r, (h * r).quantize(PAISA, rounding=ROUND_HALF_UP)
    if basis == SalaryBasis.FIXED.value:
        return None, None, _amount("salary_payments", "amount", amount, "Salary")
    raise InvalidInput("salary_payments", "basis", "fixed or hourly", basis)


def pay_salary(replica: Replica, actor: Actor, *, user_id: uuid.UUID, month: date,
               basis: str, paid_on: date, branch_id: uuid.UUID | None,
               amount: object = None, hours: object = None, rate: object = None,
               note: str | None = None) -> tuple[uuid.UUID, Decimal]:
    """An admin records a month's pay: fixed (the amount) or hourly (hours × rate, to the
    paisa). Returns the row's id and the amount paid."""
    h, r, value = _salary_values(basis, amount, hours, rate)
    with replica.write(actor) as session:
        require(session, actor.user_id, EXPENSES, "paying salaries")
        if session.get(User, user_id) is None:
            raise LookupError(f"no staff member with id {user_id}")
        row = SalaryPayment(user_id=user_id, month=month.replace(day=1), basis=basis, hours=h,
                            rate=r, amount=value, paid_on=paid_on,
                            note=(note or "").strip() or None, entered_by=actor.user_id,
                            branch_id=branch_id)
        session.add(row)
        session.flush()
        return row.id, value


def update_salary(replica: Replica, actor: Actor, salary_id: uuid.UUID, *,
                  user_id: uuid.UUID, month: date, basis: str, paid_on: date,
                  branch_id: uuid.UUID | None, amount: object = None, hours: object = None,
                  rate: object = None, note: str | None = None) -> Decimal:
    """An admin corrects a mistyped salary payment (the audit log keeps what it was); returns
    the amount it now says was paid."""
    h, r, value = _salary_values(basis, amount, hours, rate)
    with replica.write(actor) as session:
        require(session, actor.user_id, EXPENSES, "correcting salary payments")
        row = _live(session, SalaryPayment, salary_id, "salary payment")
        if session.get(User, user_id) is None:
            raise LookupError(f"no staff member with id {user_id}")
        row.user_id, row.month, row.basis = user_id, month.replace(day=1), basis
        row.hours, row.rate, row.amount, row.paid_on = h, r, value, paid_on
        row.branch_id, row.note = branch_id, (note or "").strip() or None
        return value


def delete_salary(replica: Replica, actor: Actor, salary_id: uuid.UUID, reason: str) -> None:
    _delete(replica, actor, SalaryPayment, salary_id, reason, "salary payment")


# --- defaulters' follow-ups -------------------------------------------------------------------

@dataclass(frozen=True)
class FeeFollowUpLine:
    id: uuid.UUID
    student_id: uuid.UUID
    student: str
    due_at: datetime
    kind: str
    note: str
    status: str
    outcome: str
    counselor: str


def schedule_fee_follow_up(replica: Replica, actor: Actor, student_id: uuid.UUID, *,
                           due_at: datetime, kind: str = FollowUpType.CALL.value,
                           note: str | None = None) -> uuid.UUID:
    """Call (or visit, message) a defaulter by `due_at`; the student's counselor makes it."""
    if kind not in {k.value for k in FollowUpType}:
        raise InvalidInput("fee_follow_ups", "kind", "call, email, visit, sms or whatsapp",
                           kind)
    if due_at.tzinfo is None:
        raise InvalidInput("fee_follow_ups", "due_at", "needs a time zone")
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        student = session.get(Student, student_id)
        if student is None or student.deleted_at is not None:
            raise LookupError(f"no student with id {student_id}")
        row = FeeFollowUp(student_id=student_id, counselor_id=student.counselor_id
                          or actor.user_id, due_at=due_at.astimezone(UTC), kind=kind,
                          note=(note or "").strip() or None, created_by=actor.user_id)
        session.add(row)
        session.flush()
        return row.id


def close_fee_follow_up(replica: Replica, actor: Actor, follow_up_id: uuid.UUID, *,
                        outcome: str, status: str = FollowUpStatus.COMPLETED.value) -> None:
    """What came of a call ("promised to pay on the 10th"): completed or missed."""
    if status not in (FollowUpStatus.COMPLETED.value, FollowUpStatus.MISSED.value):
        raise InvalidInput("fee_follow_ups", "status", "completed or missed", status)
    if not outcome.strip():
        raise InvalidInput("fee_follow_ups", "outcome", "is required: what came of it?")
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        row = session.get(FeeFollowUp, follow_up_id)
        if row is None or row.deleted_at is not None:
            raise LookupError(f"no follow-up with id {follow_up_id}")
        row.status, row.outcome = status, outcome.strip()


def fee_follow_ups(replica: Replica, actor: Actor, *, student_id: uuid.UUID | None = None,
                   pending_only: bool = True) -> tuple[FeeFollowUpLine, ...]:
    """Fee follow-ups, soonest first: one student's, or every one this desk holds."""
    person, counselor = aliased(User), aliased(User)
    with replica.read() as session:
        require_money_access(session, actor.user_id)
        query = (select(FeeFollowUp, person.first_name, person.last_name,
                        counselor.first_name, counselor.last_name)
                 .join(Student, Student.id == FeeFollowUp.student_id)
                 .join(person, person.id == Student.user_id)
                 .outerjoin(counselor, counselor.id == FeeFollowUp.counselor_id)
                 .where(FeeFollowUp.deleted_at.is_(None)).order_by(FeeFollowUp.due_at))
        if student_id is not None:
            query = query.where(FeeFollowUp.student_id == student_id)
        if pending_only:
            query = query.where(FeeFollowUp.status == FollowUpStatus.PENDING.value)
        return tuple(FeeFollowUpLine(f.id, f.student_id, _name(pf, pl), f.due_at, f.kind,
                                     f.note or "", f.status, f.outcome or "", _name(cf, cl))
                     for f, pf, pl, cf, cl in session.execute(query))


def record_fee_call(replica: Replica, actor: Actor, student_id: uuid.UUID, *, outcome: str,
                    kind: str = FollowUpType.CALL.value) -> uuid.UUID:
    """A call made now about a student's dues, with what came of it (a closed follow-up)."""
    if not outcome.strip():
        raise InvalidInput("fee_follow_ups", "outcome", "is required: what came of it?")
    if kind not in {k.value for k in FollowUpType}:
        raise InvalidInput("fee_follow_ups", "kind", "call, email, visit, sms or whatsapp",
                           kind)
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        student = session.get(Student, student_id)
        if student is None or student.deleted_at is not None:
            raise LookupError(f"no student with id {student_id}")
        row = FeeFollowUp(student_id=student_id, counselor_id=actor.user_id,
                          due_at=datetime.now(UTC), kind=kind,
                          status=FollowUpStatus.COMPLETED.value, outcome=outcome.strip(),
                          created_by=actor.user_id)
        session.add(row)
        session.flush()
        return row.id
