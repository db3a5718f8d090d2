"""Counselor analytics beyond the funnel (`analytics.crm.crm_summary` has the funnel with
where each stage's inquiries are now, by source and by counselor): conversion rate month by
month, average days to convert, and follow-up adherence (done on time ÷ due)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from institute_core.analytics.period import Db, Period, percent
from institute_core.enums import FollowUpStatus, InquiryStatus
from institute_core.schema import FollowUp, Inquiry


@dataclass(frozen=True)
class MonthConversion:
    month: date  # the first day of the month the inquiries were made
    inquiries: int
    enrolled: int

    @property
    def rate(self) -> float | None:
        return percent(self.enrolled, self.inquiries)


@dataclass(frozen=True)
class Adherence:
    """Follow-ups due in a period: completed by the end of their day, of all that fell due."""

    due: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return percent(self.on_time, self.due)


@dataclass(frozen=True)
class CrmInsights:
    by_month: tuple[MonthConversion, ...]
    average_days_to_convert: float | None
    converted_counted: int
    adherence: Adherence


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def crm_insights(db: Db, period: Period, now: datetime | None = None,
                 branch_ids: Collection[uuid.UUID] | None = None) -> CrmInsights:
    """Inquiries made in `period` (UTC days), and follow-ups that fell due in it; of the
    inquiries of `branch_ids` only, when given.

    Days to convert run from the inquiry to `converted_at` (set by Enroll); inquiries enrolled
    before Enroll recorded it count up to their last completed follow-up.
    """
    now = now or datetime.now(UTC)
    start, end = period.start_utc(), period.end_utc_exclusive()
    in_branches = (() if branch_ids is None
                   else (Inquiry.branch_id.in_(list(branch_ids)),))
    rows = db.execute(select(Inquiry.id, Inquiry.status, Inquiry.created_at, Inquiry.converted_at)
                      .where(Inquiry.deleted_at.is_(None), Inquiry.created_at >= start,
                             Inquiry.created_at < end, *in_branches)).all()
    made: Counter[date] = Counter()
    won: Counter[date] = Counter()
    for _id, status, created, _converted in rows:
        month = _aware(created).date().replace(day=1)
        made[month] += 1
        won[month] += status == InquiryStatus.ENROLLED
    enrolled = {r[0]: r for r in rows if r[1] == InquiryStatus.ENROLLED}
    last_contact = dict(db.execute(
        select(FollowUp.inquiry_id, func.max(FollowUp.follow_up_date))
        .where(FollowUp.deleted_at.is_(None), FollowUp.status == FollowUpStatus.COMPLETED,
               FollowUp.inquiry_id.in_(list(enrolled)))
        .group_by(FollowUp.inquiry_id)).tuples().all()) if enrolled else {}
    days = []
    for inquiry_id, _status, created, converted in enrolled.values():
        ended = converted or last_contact.get(inquiry_id)
        if ended is not None:
            days.append(max(0.0, (_aware(ended) - _aware(created)).total_seconds() / 86400))
    due = (select(FollowUp.status, FollowUp.follow_up_date, FollowUp.updated_at)
           .where(FollowUp.deleted_at.is_(None), FollowUp.follow_up_date >= start,
                  FollowUp.follow_up_date < min(end, now)))
    if branch_ids is not None:
        due = due.join(Inquiry, Inquiry.id == FollowUp.inquiry_id).where(*in_branches)
    due_rows = db.execute(due).all()
    on_time = 0
    for status, when, updated in due_rows:
        due_by = datetime.combine(_aware(when).date(), datetime.max.time(), tzinfo=UTC)
        on_time += status == FollowUpStatus.COMPLETED and _aware(updated) <= due_by
    return CrmInsights(
        by_month=tuple(MonthConversion(m, made[m], won[m]) for m in sorted(made)),
        average_days_to_convert=round(sum(days) / len(days), 1) if days else None,
        converted_counted=len(days),
        adherence=Adherence(len(due_rows), on_time))
