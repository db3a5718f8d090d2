"""The dues list: every student who owes money or is in credit, with ageing, for the desk.

One row per student: what is outstanding and overdue, the ageing bucket of their oldest open
due, the next due date, their credit, counselor and subjects (the list filters on them).

It follows the ledger's rules (institute_core/fees/ledger.py: discounts off the latest
instalments, bounced or cancelled payments void, overpaid and unallocated money is credit) but
reads the replica with a few aggregating queries and counts in whole paise: building a Ledger
of value objects per student costs seconds over 5,000 students, this list must open in well
under 300 ms. tests/fees/test_dues.py holds the two to the same figures.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from institute_core.fees.ledger import BUCKETS, bucket_of
from institute_core.fees.money import ZERO
from institute_core.reports.common import full_name


class DueRow(NamedTuple):
    """One student's line. A named tuple, not a frozen dataclass: 5,000 of them are made each
    time the list opens, and a frozen dataclass sets each field through object.__setattr__
    (a fifth of the list's time)."""

    # The id as SQLite keeps it (hex); `student_id` makes the UUID when a row is acted on:
    # 5,000 UUIDs made up front cost a third of the list's time.
    student_hex: str
    enrollment_no: str
    name: str
    phone: str | None
    counselor: str
    subjects: str
    outstanding: Decimal
    overdue: Decimal
    oldest_due_on: date | None
    days_overdue: int
    bucket: str
    next_due_on: date | None
    credit: Decimal
    # The student's next pending fee follow-up (a call scheduled about these dues).
    follow_up_at: datetime | None = None

    @property
    def student_id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.student_hex)

    @property
    def haystack(self) -> str:
        return f"{self.enrollment_no} {self.name} {self.counselor} {self.subjects}".lower()


@dataclass(frozen=True)
class DuesSummary:
    rows: tuple[DueRow, ...]
    total_outstanding: Decimal
    by_bucket: dict[str, Decimal]
    overdue_students: int


_VOID = ("SELECT payment_id FROM payment_events WHERE deleted_at IS NULL "
         "AND kind IN ('bounced', 'cancelled')")
_DISCOUNTED = ("SELECT plan_id FROM fee_discounts WHERE deleted_at IS NULL "
               "AND status = 'approved'")
# A branch filter: the students of the chosen branches (their rows live where they do).
_OF_BRANCHES = "SELECT id FROM students WHERE branch_id IN :branches"


@dataclass(frozen=True)
class _Queries:
    per_student: Any
    discounted_instalments: Any
    discounts: Any
    unallocated: Any
    refunds: Any
    people: Any


def _queries(limited: bool) -> _Queries:
    """The list's queries, over every student or (`limited`) those of `:branches`."""
    only = f" AND {{column}} IN ({_OF_BRANCHES})" if limited else ""
    owed = f"""
    SELECT i.student_id AS s, i.plan_id AS plan, i.number AS n, i.due_on AS d,
           i.amount AS amount, i.amount - COALESCE(p.paid, 0) AS owed,
           CAST(julianday(:today) - julianday(i.due_on) AS INTEGER) AS age
    FROM fee_instalments i
    JOIN fee_plans f ON f.id = i.plan_id AND f.deleted_at IS NULL
    LEFT JOIN (SELECT instalment_id, SUM(amount) AS paid FROM payment_allocations
               WHERE deleted_at IS NULL AND payment_id NOT IN ({_VOID})
               GROUP BY instalment_id) p ON p.instalment_id = i.id
    WHERE i.deleted_at IS NULL{only.format(column="i.student_id")}"""
    # Plans without a discount, added up per student by SQLite: most of the work of the list.
    undiscounted = f"SELECT * FROM ({owed}) WHERE plan NOT IN ({_DISCOUNTED})"

    def sql(statement: str) -> Any:
        made = text(statement)
        return made.bindparams(bindparam("branches", expanding=True)) if limited else made

    # One pass over the instalments gives each student's figures and what they owe per ageing
    # bucket (a second pass for the buckets alone cost a third of the list's time).
    return _Queries(
        per_student=sql(f"""
            SELECT s, SUM(MAX(owed, 0)), SUM(CASE WHEN age > 0 THEN MAX(owed, 0) ELSE 0 END),
                   SUM(MAX(-owed, 0)), MIN(CASE WHEN owed > 0 THEN d END),
                   MIN(CASE WHEN owed > 0 AND age <= 0 THEN d END),
                   SUM(CASE WHEN age < 0 THEN MAX(owed, 0) ELSE 0 END),
                   SUM(CASE WHEN age >= 0 AND age <= 30 THEN MAX(owed, 0) ELSE 0 END),
                   SUM(CASE WHEN age > 30 AND age <= 60 THEN MAX(owed, 0) ELSE 0 END),
                   SUM(CASE WHEN age > 60 AND age <= 90 THEN MAX(owed, 0) ELSE 0 END),
                   SUM(CASE WHEN age > 90 THEN MAX(owed, 0) ELSE 0 END)
            FROM ({undiscounted}) GROUP BY s"""),
        # Plans with a discount: per instalment, so the discount comes off the latest first.
        discounted_instalments=sql(f"SELECT s, plan, n, d, amount, amount - owed "
                                   f"FROM ({owed}) WHERE plan IN ({_DISCOUNTED})"),
        discounts=text("""SELECT plan_id, SUM(amount) FROM fee_discounts
            WHERE deleted_at IS NULL AND status = 'approved' GROUP BY plan_id"""),
        # Per student: valid payments less what they allocated (unallocated money), refunds.
        unallocated=sql(f"""
            SELECT student_id, SUM(amount) FROM (
                SELECT student_id, amount FROM payments
                WHERE deleted_at IS NULL AND id NOT IN ({_VOID})
                      {only.format(column="student_id")}
                UNION ALL
                SELECT student_id, -amount FROM payment_allocations
                WHERE deleted_at IS NULL AND payment_id NOT IN ({_VOID})
                      {only.format(column="student_id")}) GROUP BY student_id"""),
        refunds=sql(f"""SELECT student_id, SUM(amount) FROM refunds WHERE deleted_at IS NULL
            {only.format(column="student_id")} GROUP BY student_id"""),
        people=sql(f"""
            SELECT s.id, s.enrollment_no, u.first_name, u.last_name, u.email, u.phone,
                   c.first_name, c.last_name
            FROM students s JOIN users u ON u.id = s.user_id
            LEFT JOIN users c ON c.id = s.counselor_id
            WHERE s.deleted_at IS NULL{only.format(column="s.id")}"""),
    )


_ALL, _LIMITED = _queries(False), _queries(True)
_FOLLOW_UPS = text("""SELECT student_id, MIN(due_at) FROM fee_follow_ups
    WHERE deleted_at IS NULL AND status = 'pending' GROUP BY student_id""")
_SUBJECTS = text("""SELECT e.student_id, group_concat(sj.name, ', ')
    FROM student_subject_enrollments e JOIN subjects sj ON sj.id = e.subject_id
    WHERE e.deleted_at IS NULL GROUP BY e.student_id""")


def _paise(value: Any) -> int:
    """SQLite hands NUMERIC back as an integer or a float of at most two decimals."""
    if type(value) is int:
        return value * 100
    if value is None:
        return 0
    return round(value * 100) if isinstance(value, float) else int(Decimal(value) * 100)


def _moment(value: Any) -> datetime | None:
    """A UTC timestamp as SQLite keeps it (naive text)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _rupees(paise: int) -> Decimal:
    return Decimal(paise).scaleb(-2)  # exact: 1234 -> 12.34


@dataclass
class _Student:
    outstanding: int = 0
    overdue: int = 0
    overpaid: int = 0
    oldest: str | None = None
    upcoming: str | None = None


def dues_list(session: Session, today: date,
              branches: Collection[uuid.UUID] | None = None) -> DuesSummary:
    """The dues list as of `today`, of the students of `branches` (None: every branch)."""
    conn = session.connection()
    today_text = today.isoformat()
    q = _ALL if branches is None else _LIMITED
    args: dict[str, Any] = {"today": today_text}
    if branches is not None:
        args["branches"] = [b.hex for b in branches]
    books: dict[Any, _Student] = defaultdict(_Student)
    bucket_paise = dict.fromkeys(BUCKETS, 0)
    sums = [0] * len(BUCKETS)
    for student, owed, overdue, overpaid, oldest, upcoming, *by_bucket in conn.execute(
            q.per_student, args):
        book = books[student]
        book.outstanding, book.overdue, book.overpaid = (_paise(owed), _paise(overdue),
                                                         _paise(overpaid))
        book.oldest, book.upcoming = oldest, upcoming
        for k, value in enumerate(by_bucket):
            if value:
                sums[k] += _paise(value)
    for k, name in enumerate(BUCKETS):
        bucket_paise[name] += sums[k]
    _add_discounted(conn, q, args, today, books, bucket_paise)
    others = {k: v for k, v in args.items() if k != "today"}
    refunds = {s: _paise(v) for s, v in conn.execute(q.refunds, others)}
    credits = {s: _paise(v) for s, v in conn.execute(q.unallocated, others)}
    for student in set(credits) | set(refunds):
        books[student]  # a student with only payments or refunds still has a line
    people = {sid: row for sid, *row in conn.execute(q.people, others)}
    subjects: dict[Any, str] = {sid: names for sid, names in conn.execute(_SUBJECTS)}
    follow_ups = {s: at for s, at in conn.execute(_FOLLOW_UPS)}
    rows: list[DueRow] = []
    for student, book in books.items():
        credit = max(0, book.overpaid + max(0, credits.get(student, 0))
                     - refunds.get(student, 0))
        if (book.outstanding <= 0 and credit <= 0) or student not in people:
            continue
        enrollment_no, first, last, email, phone, c_first, c_last = people[student]
        oldest = date.fromisoformat(book.oldest) if book.oldest else None
        days = (today - oldest).days if oldest is not None else -1
        rows.append(DueRow(
            str(student), enrollment_no, full_name(first, last) or email, phone,
            full_name(c_first, c_last) or "—", subjects.get(student) or "",
            _rupees(book.outstanding), _rupees(book.overdue), oldest, days,
            bucket_of(days) if book.outstanding else "In credit",
            date.fromisoformat(book.upcoming) if book.upcoming else None, _rupees(credit),
            _moment(follow_ups.get(student))))
    rows.sort(key=lambda r: (-r.days_overdue, -r.outstanding, r.name))
    return DuesSummary(tuple(rows), sum((r.outstanding for r in rows), ZERO),
                       {name: _rupees(p) for name, p in bucket_paise.items()},
                       sum(1 for r in rows if r.overdue > 0))


def _add_discounted(conn: Any, q: _Queries, args: dict[str, Any], today: date,
                    books: dict[Any, _Student], bucket_paise: dict[str, int]) -> None:
    """The instalments of discounted plans, with the discount off the latest first."""
    off = {plan: _paise(total) for plan, total in conn.execute(q.discounts)}
    plans: dict[Any, list[tuple[Any, int, str, int, int]]] = defaultdict(list)
    for student, plan, number, due_on, amount, paid in conn.execute(
            q.discounted_instalments, args):
        plans[plan].append((student, number, str(due_on), _paise(amount), _paise(paid)))
    today_text = today.isoformat()
    for plan, items in plans.items():
        left = off.get(plan, 0)
        for student, _number, due_on, amount, paid in sorted(items, key=lambda i: -i[1]):
            take = min(left, amount)
            left -= take
            net, book = amount - take, books[student]
            if paid >= net:
                book.overpaid += paid - net
                continue
            owed = net - paid
            book.outstanding += owed
            bucket_paise[bucket_of((today - date.fromisoformat(due_on)).days)] += owed
            if due_on < today_text:
                book.overdue += owed
            elif book.upcoming is None or due_on < book.upcoming:
                book.upcoming = due_on
            if book.oldest is None or due_on < book.oldest:
                book.oldest = due_on
