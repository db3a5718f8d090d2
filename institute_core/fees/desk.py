"""What the desk's fee screens call on their database worker: each returns plain values.

Taking a payment prints its receipt in the same call, so the counselor hands it over at once,
offline; reprints and statements are drawn from the rows again.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.fees.access import REPORTS, require_admin, require_money_access
from institute_core.fees.documents import MODE_NAMES, receipt_data, statement_data
from institute_core.fees.dues import DuesSummary, dues_list
from institute_core.fees.ledger import InstalmentDue, Ledger, ledger_of, voided_payments
from institute_core.fees.payments import PaymentRequest, take_payment
from institute_core.fees.printing import render_receipt, render_statement
from institute_core.fees.settings import FeeSettings, fee_settings
from institute_core.replica import Actor, Replica
from institute_core.reports.branding import STATE_KEY as BRANDING_KEY
from institute_core.reports.branding import ReportBranding
from institute_core.schema import Branch, Payment, Student


def _file_name(number: str) -> str:
    return re.sub(r"[^\w-]+", "-", number).strip("-")


def _branding(replica: Replica) -> ReportBranding:
    return ReportBranding.from_mapping(replica.get_state(BRANDING_KEY))


@dataclass(frozen=True)
class PrintedReceipt:
    payment_id: uuid.UUID
    receipt_no: str
    path: Path
    advance: Decimal


def branch_settings(replica: Replica, session: Session, branch_id: uuid.UUID | None
                    ) -> FeeSettings:
    """The fee settings a document of `branch_id` prints: the branch's GSTIN and state (its
    fee settings), else the desk's; the paper is the desk's (its printer)."""
    local = fee_settings(replica)
    branch = session.get(Branch, branch_id) if branch_id is not None else None
    if branch is None:
        return local
    return replace(local, gstin=branch.gstin or local.gstin,
                   state=branch.gst_state or local.state)


def print_receipt(replica: Replica, payment_id: uuid.UUID, out_dir: Path) -> Path:
    """The receipt's PDF (first print or reprint) in `out_dir`, with the GSTIN of the branch
    the money was taken in."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with replica.read() as session:
        data = receipt_data(session, payment_id)
        settings = branch_settings(replica, session, session.execute(
            select(Payment.branch_id).where(Payment.id == payment_id)).scalar())
    return render_receipt(data, _branding(replica), settings,
                          out_dir / f"receipt-{_file_name(data.receipt_no)}.pdf")


def pay_and_print(replica: Replica, actor: Actor, request: PaymentRequest, today: date,
                  out_dir: Path) -> PrintedReceipt:
    taken = take_payment(replica, actor, request, today)
    path = print_receipt(replica, taken.payment_id, out_dir)
    return PrintedReceipt(taken.payment_id, taken.receipt_no, path, taken.advance)


def print_statement(replica: Replica, student_id: uuid.UUID, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with replica.read() as session:
        data = statement_data(session, student_id)
        settings = branch_settings(replica, session, session.execute(
            select(Student.branch_id).where(Student.id == student_id)).scalar())
    return render_statement(data, _branding(replica), settings,
                            out_dir / f"statement-{_file_name(data.enrollment_no)}.pdf")


@dataclass(frozen=True)
class PaymentLine:
    payment_id: uuid.UUID
    receipt_no: str
    paid_on: date
    amount: Decimal
    mode: str
    valid: bool


@dataclass(frozen=True)
class StudentMoney:
    ledger: Ledger
    dues: tuple[InstalmentDue, ...]
    payments: tuple[PaymentLine, ...]


def student_money(replica: Replica, actor: Actor, student_id: uuid.UUID) -> StudentMoney:
    with replica.read() as session:
        require_money_access(session, actor.user_id)
        book = ledger_of(session, student_id)
        void = voided_payments(session, [student_id])
        payments = tuple(PaymentLine(p.id, p.receipt_no, p.paid_on, p.amount,
                                     MODE_NAMES.get(p.mode, p.mode), p.id not in void)
                         for p in session.execute(select(Payment).where(
                             Payment.student_id == student_id)
                             .order_by(Payment.paid_on.desc(), Payment.receipt_no.desc()))
                         .scalars())
    return StudentMoney(book, tuple(book.dues), payments)


def dues(replica: Replica, actor: Actor, today: date,
         branches: Collection[uuid.UUID] | None = None) -> DuesSummary:
    """The dues list of `branches`' students (None: every student this desk holds)."""
    with replica.read() as session:
        require_money_access(session, actor.user_id)
        return dues_list(session, today, branches)


def money_report(replica: Replica, actor: Actor, kind: str, start: date, end: date,
                 out_dir: Path, as_csv: bool,
                 branches: Collection[uuid.UUID] | None = None) -> Path:
    """A money report (admins only) of `branches` (None: all branches together) as PDF or
    CSV in `out_dir`."""
    from institute_core.fees import money_reports

    out_dir.mkdir(parents=True, exist_ok=True)
    with replica.read() as session:
        require_admin(session, actor.user_id, "see the money reports", REPORTS)
        report = money_reports.make(session, kind, start, end, branches)
    scope = "all" if branches is None else "-".join(sorted(b.hex[:6] for b in branches))
    name = out_dir / f"{kind}-{start.isoformat()}-{end.isoformat()}-{scope}"
    if as_csv:
        path = name.with_suffix(".csv")
        path.write_text(money_reports.to_csv(report), encoding="utf-8")
        return path
    return money_reports.to_pdf(report, _branding(replica), name.with_suffix(".pdf"))


@dataclass(frozen=True)
class MoneyTiles:
    """The admin dashboard's money figures."""

    collected_today: Decimal
    collected_month: Decimal
    outstanding: Decimal
    overdue_students: int


def money_tiles(replica: Replica, today: date,
                branches: Collection[uuid.UUID] | None = None) -> MoneyTiles:
    """The dashboard's money figures of `branches` (None: every branch the desk holds)."""
    from institute_core.fees.money_reports import valid_payments

    with replica.read() as session:
        month = valid_payments(session, today.replace(day=1), today, branches)
        summary = dues_list(session, today, branches)
    return MoneyTiles(sum((p.amount for p in month if p.paid_on == today), Decimal(0)),
                      sum((p.amount for p in month), Decimal(0)),
                      summary.total_outstanding, summary.overdue_students)
