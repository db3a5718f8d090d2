"""Branches side by side: attendance, teaching utilisation, the CRM funnel and (for whoever may
see money) fee collections per branch and for the institute combined (issue 17). Everything is
worked out from what this replica holds, so a desk of one branch compares only its own; the
figures reuse the dashboards' own rules (attendance rate, faculty utilisation, CRM funnel, the
money reports' valid payments), only grouped by branch.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.analytics.attendance import (
    AttendanceMark,
    AttendanceSummary,
    attendance_marks,
    summarize,
)
from institute_core.analytics.crm import CrmSummary, crm_summary
from institute_core.analytics.period import Db, Period, percent
from institute_core.analytics.utilization import faculty_utilization
from institute_core.enums import StudentStatus
from institute_core.fees.money_reports import valid_payments
from institute_core.schema import Branch, Faculty, Student


@dataclass(frozen=True)
class BranchFigures:
    """One branch's figures over a period (`branch_id` None: every branch combined)."""

    branch_id: uuid.UUID | None
    name: str
    students: int
    attendance: AttendanceSummary
    hours_taught: float
    hours_available: float | None
    crm: CrmSummary
    # Fees collected in the period (payments that still count, by the branch that took them);
    # None when the figures were asked without money.
    collected: Decimal | None = None

    @property
    def utilization(self) -> float | None:
        """Percent of the branch's faculty hours available that were taught."""
        if not self.hours_available:
            return None
        return percent(self.hours_taught, self.hours_available)


def branch_figures(db: Db, period: Period, branch_ids: list[uuid.UUID] | None = None, *,
                   with_money: bool = False) -> list[BranchFigures]:
    """Every branch (or the given ones) by name, then the combined line of those branches;
    with the fees collected when `with_money` (`db` a session, then)."""
    query = select(Branch.id, Branch.name).where(Branch.deleted_at.is_(None)).order_by(
        Branch.name)
    branches = [(b, n) for b, n in db.execute(query).all()
                if branch_ids is None or b in branch_ids]
    chosen = [b for b, _n in branches]
    student_branch: dict[uuid.UUID, uuid.UUID] = {
        s: b for s, b in db.execute(select(Student.id, Student.branch_id).where(
            Student.deleted_at.is_(None), Student.branch_id.in_(chosen)))}
    active: dict[uuid.UUID, int] = {
        b: n for b, n in db.execute(select(Student.branch_id, func.count()).where(
            Student.deleted_at.is_(None), Student.status == StudentStatus.ACTIVE.value,
            Student.branch_id.in_(chosen)).group_by(Student.branch_id))}
    marks: dict[uuid.UUID, list[AttendanceMark]] = defaultdict(list)
    for mark in attendance_marks(db, period, student_ids=list(student_branch)):
        marks[student_branch[mark.student_id]].append(mark)
    home: dict[uuid.UUID, uuid.UUID] = {
        f: b for f, b in db.execute(select(Faculty.id, Faculty.branch_id))}
    taught: dict[uuid.UUID, float] = defaultdict(float)
    available: dict[uuid.UUID, float] = defaultdict(float)
    for load in faculty_utilization(db, period):
        branch = home.get(load.faculty_id)
        if branch is None:
            continue
        taught[branch] += load.hours_taught
        available[branch] += load.hours_available or 0.0
    collected: dict[uuid.UUID, Decimal] | None = None
    if with_money:
        assert isinstance(db, Session), "collections are read through the ORM"
        collected = defaultdict(Decimal)
        for payment in valid_payments(db, period.start, period.end, chosen):
            if payment.branch_id is not None:
                collected[payment.branch_id] += payment.amount
    rows = [BranchFigures(b, name, active.get(b, 0), summarize(marks[b]),
                          round(taught[b], 2), round(available[b], 2) or None,
                          crm_summary(db, period, branch_ids=[b]),
                          None if collected is None else collected[b])
            for b, name in branches]
    every = [m for b in chosen for m in marks[b]]
    rows.append(BranchFigures(
        None, "All branches" if branch_ids is None else "These branches",
        sum(r.students for r in rows), summarize(every),
        round(sum(r.hours_taught for r in rows), 2),
        round(sum(r.hours_available or 0 for r in rows), 2) or None,
        crm_summary(db, period, branch_ids=chosen),
        None if collected is None else sum((r.collected or Decimal(0) for r in rows),
                                           Decimal(0))))
    return rows
