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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from institute_core.fees.ledger import BUCKETS, bucket_of
from institute_core.fees.money import ZERO
from institute_core.reports.common import full_name


@dataclass(frozen=True)
class DueRow:
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
_OWED = f"""
    SELECT i.student_id AS s, i.plan_id AS plan, i.number AS n, i.due_on AS d,
           i.amount AS amount, i.amount - COALESCE(p.paid, 0) AS owed,
           CAST(julianday(:today) - julianday(i.due_on) AS INTEGER) AS age
    FROM fee_instalments i
    JOIN fee_plans f ON f.id = i.plan_id AND f.deleted_at IS NULL
    LEFT JOIN (SELECT instalment_id, SUM(amount) AS paid FROM payment_allocations
               WHERE deleted_at IS NULL AND payment_id NOT IN ({_VOID})
               GROUP BY instalment_id) p ON p.instalment_id = i.id
    WHERE i.deleted_at IS NULL"""
# Plans without a discount, added up per student by SQLite: most of the work of the list.
_UNDISCOUNTED = f"SELECT * FROM ({_OWED}) WHERE plan NOT IN ({_DISCOUNTED})"
_PER_STUDENT = text(f"""
    SELECT s, SUM(MAX(owed, 0)), SUM(CASE WHEN age > 0 THEN MAX(owed, 0) ELSE 0 END),
           SUM(MAX(-owed, 0)), MIN(CASE WHEN owed > 0 THEN d END),
           MIN(CASE WHEN owed > 0 AND age <= 0 THEN d END)
    FROM ({_UNDISCOUNTED}) GROUP BY s""")
_BUCKETS = text(f"""
    SELECT CASE WHEN age < 0 THEN 0 WHEN age <= 30 THEN 1 WHEN age <= 60 THEN 2
                WHEN age <= 90 THEN 3 ELSE 4 END AS bucket, SUM(owed)
    FROM ({_UNDISCOUNTED}) WHERE owed > 0 GROUP BY bucket""")
# Plans with a discount: per instalment, so the discount comes off the latest first.
_DISCOUNTED_INSTALMENTS = text(f"SELECT s, plan, n, d, amount, amount - owed "
                               f"FROM ({_OWED}) WHERE plan IN ({_DISCOUNTED})")
_DISCOUNTS = text("""SELECT plan_id, SUM(amount) FROM fee_discounts
    WHERE deleted_at IS NULL AND status = 'approved' GROUP BY plan_id""")
# Per student: valid payments less what they allocated (unallocated money), and refunds.
_UNALLOCATED = text(f"""
    SELECT student_id, SUM(amount) FROM (
        SELECT student_id, amount FROM payments
        WHERE deleted_at IS NULL AND id NOT IN ({_VOID})
        UNION ALL
        SELECT student_id, -amount FROM payment_allocations
        WHERE deleted_at IS NULL AND payment_id NOT IN ({_VOID})) GROUP BY student_id""")
_REFUNDS = text("""SELECT student_id, SUM(amount) FROM refunds WHERE deleted_at IS NULL
    GROUP BY student_id""")
_PEOPLE = text("""
    SELECT s.id, s.enrollment_no, u.first_name, u.last_name, u.email, u.phone,
           c.first_name, c.last_name
    FROM students s JOIN users u ON u.id = s.user_id LEFT JOIN users c ON c.id = s.counselor_id
    WHERE s.deleted_at IS NULL""")
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


def _rupees(paise: int) -> Decimal:
    return Decimal(paise).scaleb(-2)  # exact: 1234 -> 12.34


@dataclass
class _Student:
    outstanding: int = 0
    overdue: int = 0
    overpaid: int = 0
    oldest: str | None = None
    upcoming: str | None = None


def dues_list(session: Session, today: date) -> DuesSummary:
    conn = session.connection()
    today_text = today.isoformat()
    books: dict[Any, _Student] = defaultdict(_Student)
    bucket_paise = dict.fromkeys(BUCKETS, 0)
    for student, owed, overdue, overpaid, oldest, upcoming in conn.execute(
            _PER_STUDENT, {"today": today_text}):
        book = books[student]
        book.outstanding, book.overdue, book.overpaid = (_paise(owed), _paise(overdue),
                                                         _paise(overpaid))
        book.oldest, book.upcoming = oldest, upcoming
    for bucket, owed in conn.execute(_BUCKETS, {"today": today_text}):
        bucket_paise[BUCKETS[bucket]] += _paise(owed)
    _add_discounted(conn, today, books, bucket_paise)
    refunds = {s: _paise(v) for s, v in conn.execute(_REFUNDS)}
    credits = {s: _paise(v) for s, v in conn.execute(_UNALLOCATED)}
    for student in set(credits) | set(refunds):
        books[student]  # a student with only payments or refunds still has a line
    people = {sid: row for sid, *row in conn.execute(_PEOPLE)}
    subjects: dict[Any, str] = {sid: names for sid, names in conn.execute(_SUBJECTS)}
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
            date.fromisoformat(book.upcoming) if book.upcoming else None, _rupees(credit)))
    rows.sort(key=lambda r: (-r.days_overdue, -r.outstanding, r.name))
    return DuesSummary(tuple(rows), sum((r.outstanding for r in rows), ZERO),
                       {name: _rupees(p) for name, p in bucket_paise.items()},
                       sum(1 for r in rows if r.overdue > 0))


def _add_discounted(conn: Any, today: date, books: dict[Any, _Student],
                    bucket_paise: dict[str, int]) -> None:
    """The instalments of discounted plans, with the discount off the latest first."""
    off = {plan: _paise(total) for plan, total in conn.execute(_DISCOUNTS)}
    plans: dict[Any, list[tuple[Any, int, str, int, int]]] = defaultdict(list)
    for student, plan, number, due_on, amount, paid in conn.execute(
            _DISCOUNTED_INSTALMENTS, {"today": today.isoformat()}):
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
