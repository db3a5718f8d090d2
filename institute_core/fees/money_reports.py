"""The institute's money reports, as tables for a PDF and a CSV (admins: reports.financial).

- daily collection: what came in on a day by mode, by desk (the receipt series) and by person,
  with refunds paid out, to reconcile the cash drawer;
- collections over a period, day by day;
- outstanding dues by ageing bucket;
- GST summary by month: taxable value, CGST, SGST, IGST;
- income against expenses and salaries by month.

Only valid payments count as money in (a bounced cheque or a cancelled receipt brought none).
Every figure is checked against hand-written SQL in tests/fees/test_money_reports.py.
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from institute_core.display import date_text, money, month_text
from institute_core.fees.documents import MODE_NAMES
from institute_core.fees.dues import dues_list
from institute_core.fees.ledger import BUCKETS, voided_payments
from institute_core.fees.money import ZERO
from institute_core.numbering import parse
from institute_core.reports.branding import ReportBranding
from institute_core.reports.common import full_name
from institute_core.schema import Branch, Expense, Payment, Refund, SalaryPayment, User
from institute_core.spreadsheet import SafeCsvWriter


@dataclass
class MoneyTable:
    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)  # Decimal for money cells

    def total_of(self, column: int) -> Decimal:
        return sum((r[column] for r in self.rows), ZERO)


@dataclass
class MoneyReport:
    title: str
    period: str
    tables: list[MoneyTable]
    scope: str = "All branches"  # which branches' money it shows


Branches = Collection[uuid.UUID] | None  # the branches a report covers (None: every one)


def _in(column: Any, branches: Branches) -> Any:
    return true() if branches is None else column.in_(list(branches))


def valid_payments(session: Session, start: date, end: date,
                   branches: Branches = None) -> list[Payment]:
    """Payments received from `start` to `end` that still count (not bounced or cancelled),
    taken in `branches`."""
    void = voided_payments(session)
    return [p for p in session.execute(select(Payment).where(
        Payment.deleted_at.is_(None), Payment.paid_on >= start, Payment.paid_on <= end,
        _in(Payment.branch_id, branches))
        .order_by(Payment.paid_on, Payment.receipt_no)).scalars() if p.id not in void]


def _refunds(session: Session, start: date, end: date, branches: Branches) -> list[Refund]:
    return list(session.execute(select(Refund).where(
        Refund.deleted_at.is_(None), Refund.refunded_on >= start,
        Refund.refunded_on <= end, _in(Refund.branch_id, branches))).scalars())


def _branch_names(session: Session) -> dict[Any, str]:
    return {b.id: b.name for b in session.execute(select(Branch.id, Branch.name))}


def by_branch(session: Session, payments: list[Payment], refunds: list[Refund]) -> MoneyTable:
    """Collections side by side per branch: receipts, collected, refunded, net."""
    names = _branch_names(session)
    rows: dict[str, list[Any]] = {}
    for p in payments:
        row = rows.setdefault(names.get(p.branch_id, "—"), [0, ZERO, ZERO])
        row[0] += 1
        row[1] += p.amount
    for r in refunds:
        rows.setdefault(names.get(r.branch_id, "—"), [0, ZERO, ZERO])[2] += r.amount
    return MoneyTable("By branch", ["Branch", "Receipts", "Collected", "Refunded", "Net"],
                      [[name, *v, v[1] - v[2]] for name, v in sorted(rows.items())])


def _names(session: Session) -> dict[Any, str]:
    return {u.id: full_name(u.first_name, u.last_name) or u.email for u in session.execute(
        select(User.id, User.first_name, User.last_name, User.email))}


def _grouped(title: str, label: str, payments: list[Payment],
             key: Callable[[Payment], str]) -> MoneyTable:
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in payments:
        counts[key(p)] += 1
        amounts[key(p)] += p.amount
    return MoneyTable(title, [label, "Receipts", "Amount"],
                      [[k, counts[k], amounts[k]] for k in sorted(amounts)])


def daily_collection(session: Session, day: date, branches: Branches = None) -> MoneyReport:
    payments = valid_payments(session, day, day, branches)
    refunds = _refunds(session, day, day, branches)
    names = _names(session)
    series = {p.id: getattr(parse(p.receipt_no), "series", "?") for p in payments}
    by_mode = _grouped("By mode", "Mode", payments,
                       lambda p: MODE_NAMES.get(p.mode, p.mode))
    refunded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in refunds:
        refunded[MODE_NAMES.get(r.mode, r.mode)] += r.amount
    drawer = MoneyTable("Cash drawer: received less refunds paid out, by mode",
                        ["Mode", "Received", "Refunded", "Net"])
    for mode in sorted({*[row[0] for row in by_mode.rows], *refunded}):
        got = sum((row[2] for row in by_mode.rows if row[0] == mode), ZERO)
        drawer.rows.append([mode, got, refunded[mode], got - refunded[mode]])
    return MoneyReport("Daily collection", date_text(day), [
        by_mode, drawer,
        _grouped("By desk (receipt series)", "Desk", payments, lambda p: series[p.id]),
        _grouped("By person", "Received by", payments,
                 lambda p: names.get(p.received_by, "—")),
        by_branch(session, payments, refunds),
    ])


def collections(session: Session, start: date, end: date,
                branches: Branches = None) -> MoneyReport:
    payments = valid_payments(session, start, end, branches)
    table = _grouped("Collections by day", "Day", payments, lambda p: p.paid_on.isoformat())
    for row in table.rows:
        row[0] = date_text(date.fromisoformat(row[0]))
    return MoneyReport("Collections", f"{date_text(start)} – {date_text(end)}", [
        table, _grouped("By mode", "Mode", payments, lambda p: MODE_NAMES.get(p.mode, p.mode)),
        by_branch(session, payments, _refunds(session, start, end, branches))])


def outstanding(session: Session, today: date, branches: Branches = None) -> MoneyReport:
    summary = dues_list(session, today, branches)
    students: dict[str, int] = defaultdict(int)
    for row in summary.rows:
        if row.outstanding > 0:
            students[row.bucket] += 1
    table = MoneyTable("Outstanding by ageing (the student's oldest open due)",
                       ["Ageing", "Amount"],
                       [[name, summary.by_bucket[name]] for name in BUCKETS])
    defaulters = MoneyTable("Overdue students", ["Enrollment", "Student", "Counselor",
                                                 "Oldest due", "Overdue", "Outstanding"],
                            [[r.enrollment_no, r.name, r.counselor,
                              date_text(r.oldest_due_on) if r.oldest_due_on else "",
                              r.overdue, r.outstanding] for r in summary.rows if r.overdue])
    return MoneyReport("Outstanding dues", f"as of {date_text(today)}", [table, defaulters])


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def gst_summary(session: Session, start: date, end: date,
                branches: Branches = None) -> MoneyReport:
    months: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 5)
    for p in valid_payments(session, start, end, branches):
        row = months[_month(p.paid_on)]
        for i, value in enumerate((p.taxable, p.cgst, p.sgst, p.igst, p.amount)):
            row[i] += value
    table = MoneyTable("GST by month", ["Month", "Taxable value", "CGST", "SGST", "IGST",
                                        "Total received"],
                       [[month_text(date.fromisoformat(m + "-01")), *months[m]]
                        for m in sorted(months)])
    return MoneyReport("GST summary", f"{date_text(start)} – {date_text(end)}", [table])


def income_and_expenses(session: Session, start: date, end: date,
                        branches: Branches = None) -> MoneyReport:
    months: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 4)
    for p in valid_payments(session, start, end, branches):
        months[_month(p.paid_on)][0] += p.amount
    for r in _refunds(session, start, end, branches):
        months[_month(r.refunded_on)][1] += r.amount
    for e in session.execute(select(Expense).where(
            Expense.deleted_at.is_(None), Expense.spent_on >= start,
            Expense.spent_on <= end, _in(Expense.branch_id, branches))).scalars():
        months[_month(e.spent_on)][2] += e.amount
    for s in session.execute(select(SalaryPayment).where(
            SalaryPayment.deleted_at.is_(None), SalaryPayment.paid_on >= start,
            SalaryPayment.paid_on <= end, _in(SalaryPayment.branch_id, branches))).scalars():
        months[_month(s.paid_on)][3] += s.amount
    table = MoneyTable("Income and expenses by month", [
        "Month", "Collected", "Refunded", "Expenses", "Salaries", "Net"],
        [[month_text(date.fromisoformat(m + "-01")), *v, v[0] - v[1] - v[2] - v[3]]
         for m, v in sorted(months.items())])
    return MoneyReport("Income against expenses and salaries",
                       f"{date_text(start)} – {date_text(end)}", [table])


def _cell(value: Any) -> str:
    return money(value) if isinstance(value, Decimal) else str(value)


REPORTS: dict[str, str] = {
    "daily": "Daily collection", "collections": "Collections over the period",
    "outstanding": "Outstanding dues with ageing", "gst": "GST summary by month",
    "income": "Income against expenses and salaries"}


def make(session: Session, kind: str, start: date, end: date,
         branches: Branches = None) -> MoneyReport:
    """The report `kind` (a key of REPORTS) of `branches` (None: all branches together); the
    daily report is for `end`, the outstanding dues as of `end`."""
    if kind == "daily":
        report = daily_collection(session, end, branches)
    elif kind == "outstanding":
        report = outstanding(session, end, branches)
    else:
        made = {"collections": collections, "gst": gst_summary, "income": income_and_expenses}
        report = made[kind](session, start, end, branches)
    names = _branch_names(session)
    report.scope = ("All branches" if branches is None
                    else ", ".join(sorted(names.get(b, "?") for b in branches)))
    return report


def to_csv(report: MoneyReport) -> str:
    """The report as CSV: each table under its title, money as plain numbers."""
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow([report.title, report.period, report.scope])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([str(v) if isinstance(v, Decimal) else v for v in row])
    return out.getvalue()


def to_pdf(report: MoneyReport, branding: ReportBranding, out: Path) -> Path:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    from institute_core.reports.layout import (
        CONTENT_WIDTH,
        ReportDocument,
        data_table,
        para,
        subheading,
    )

    story: list[Any] = []
    for table in report.tables:
        story += subheading(table.title)
        if not table.rows:
            story.append(para("Nothing in this period.", "small"))
            continue
        widths = [CONTENT_WIDTH / len(table.header)] * len(table.header)
        numeric = [i for i, v in enumerate(table.rows[0]) if not isinstance(v, str)]
        story.append(data_table(table.header, [[_cell(v) for v in row] for row in table.rows],
                                widths, numeric=numeric))
        story.append(Spacer(1, 5 * mm))
    # The branches it covers head the page: a branch's figures never pass for the whole.
    doc = ReportDocument(out, branding=branding, title=f"{report.title} · {report.scope}",
                         period_label=f"{report.period} · {report.scope}",
                         generated_at=datetime.now(UTC))
    doc.render(story)
    return out
