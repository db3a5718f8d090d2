"""Follow-ups: schedule, complete with an outcome and the next date, and the counselor's home
lists (due today, overdue). A pending follow-up whose day has passed turns missed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from institute_core.crm.access import counsels, require_crm_access
from institute_core.crm.clock import day_end, day_start, local_day
from institute_core.crm.inquiries import TABLE as INQUIRIES
from institute_core.crm.inquiries import live_inquiry, touch_follow_up_date
from institute_core.enums import FollowUpStatus, FollowUpType, InquiryStatus
from institute_core.replica import Actor, Replica
from institute_core.schema import FollowUp, Inquiry
from institute_core.validation import InvalidInput

FOLLOW_UPS = "follow_ups"
OPEN = (InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
        InquiryStatus.FOLLOW_UP_SCHEDULED.value)
# Days until the next contact, by how many contacts there have been: keep a fresh lead warm,
# then give a thinking lead room.
NEXT_GAPS = (2, 3, 7)


def propose_next_date(today: date, completed_contacts: int) -> date:
    """When to contact again after a completed follow-up (never on a Sunday)."""
    proposed = today + timedelta(days=NEXT_GAPS[min(completed_contacts, len(NEXT_GAPS) - 1)])
    return proposed + timedelta(days=1) if proposed.weekday() == 6 else proposed


def _kind(kind: str) -> str:
    allowed = [k.value for k in FollowUpType]
    if kind not in allowed:
        raise InvalidInput(FOLLOW_UPS, "follow_up_type", f"must be one of: {', '.join(allowed)}",
                           kind)
    return kind


def _add(session: Session, actor: Actor, inquiry: Inquiry, when: datetime, kind: str,
         notes: str | None) -> FollowUp:
    if inquiry.status not in OPEN:
        raise InvalidInput(INQUIRIES, "status",
                           f"is {inquiry.status}: follow-ups are for open inquiries")
    assert actor.user_id is not None
    follow_up = FollowUp(inquiry_id=inquiry.id, counselor_id=actor.user_id, follow_up_date=when,
                         follow_up_type=_kind(kind), notes=(notes or "").strip() or None,
                         status=FollowUpStatus.PENDING.value)
    session.add(follow_up)
    session.flush()
    inquiry.status = InquiryStatus.FOLLOW_UP_SCHEDULED.value
    touch_follow_up_date(session, inquiry)
    return follow_up


def schedule_follow_up(replica: Replica, actor: Actor, inquiry_id: uuid.UUID, when: datetime,
                       kind: str = FollowUpType.CALL.value, notes: str | None = None
                       ) -> uuid.UUID:
    """Plan a call, email, visit, SMS or WhatsApp; the inquiry becomes follow-up scheduled."""
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        return _add(session, actor, live_inquiry(session, inquiry_id), when, kind, notes).id


def complete_follow_up(replica: Replica, actor: Actor, follow_up_id: uuid.UUID, outcome: str,
                       next_at: datetime | None = None, next_kind: str | None = None) -> None:
    """Record what came of a follow-up and, with `next_at`, schedule the next one."""
    outcome = outcome.strip()
    if not outcome:
        raise InvalidInput(FOLLOW_UPS, "outcome", "is required: say what came of the contact")
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        follow_up = session.get(FollowUp, follow_up_id)
        if follow_up is None or follow_up.deleted_at is not None:
            raise LookupError(f"no follow-up with id {follow_up_id}")
        if follow_up.status == FollowUpStatus.COMPLETED:
            raise InvalidInput(FOLLOW_UPS, "status", "is completed already")
        inquiry = live_inquiry(session, follow_up.inquiry_id)
        follow_up.status = FollowUpStatus.COMPLETED.value
        follow_up.outcome = outcome
        follow_up.next_follow_up_date = next_at
        session.flush()
        if inquiry.status in OPEN:
            inquiry.status = InquiryStatus.CONTACTED.value
        if next_at is not None:
            _add(session, actor, inquiry, next_at, next_kind or follow_up.follow_up_type, None)
        else:
            touch_follow_up_date(session, inquiry)
            if inquiry.next_follow_up_date is not None:
                inquiry.status = InquiryStatus.FOLLOW_UP_SCHEDULED.value


def log_message_sent(session: Session, actor: Actor, inquiry_id: uuid.UUID, kind: str,
                     text: str, when: datetime) -> FollowUp:
    """A message sent to an inquiry (issue 19) as a completed follow-up holding its text."""
    inquiry = live_inquiry(session, inquiry_id)
    follow_up = _add(session, actor, inquiry, when, kind, text)
    follow_up.status = FollowUpStatus.COMPLETED.value
    follow_up.outcome = f"{kind} queued to send"
    session.flush()
    inquiry.status = InquiryStatus.CONTACTED.value
    touch_follow_up_date(session, inquiry)
    if inquiry.next_follow_up_date is not None:
        inquiry.status = InquiryStatus.FOLLOW_UP_SCHEDULED.value
    return follow_up


def roll_over_missed(replica: Replica, actor: Actor, today: date) -> int:
    """Mark pending follow-ups of days before `today` missed; returns how many."""
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        stale = session.execute(select(FollowUp).where(
            FollowUp.status == FollowUpStatus.PENDING, FollowUp.deleted_at.is_(None),
            FollowUp.follow_up_date < day_start(today))).scalars().all()
        for follow_up in stale:
            follow_up.status = FollowUpStatus.MISSED.value
        return len(stale)


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up as the counselor's home lists it."""

    id: uuid.UUID
    inquiry_id: uuid.UUID
    name: str
    phone: str
    when: datetime
    kind: str
    status: str
    notes: str
    completed_contacts: int
    counselor_id: uuid.UUID | None = None
    branch_id: uuid.UUID | None = None  # the inquiry's

    @property
    def day(self) -> date:
        return local_day(self.when)


@dataclass(frozen=True)
class FollowUpBoard:
    due_today: tuple[FollowUpRow, ...]
    overdue: tuple[FollowUpRow, ...]


def due_follow_ups(session: Session, today: date,
                   counselor_id: uuid.UUID | None = None) -> list[FollowUpRow]:
    """Follow-ups not done, due before the end of `today`, each the latest of its open inquiry
    (all counselors', or `counselor_id`'s), earliest first."""
    later = aliased(FollowUp)
    newer = select(later.id).where(
        later.inquiry_id == FollowUp.inquiry_id, later.deleted_at.is_(None),
        later.follow_up_date > FollowUp.follow_up_date).exists()
    done = (select(func.count()).select_from(later).where(
        later.inquiry_id == FollowUp.inquiry_id, later.deleted_at.is_(None),
        later.status == FollowUpStatus.COMPLETED).scalar_subquery())
    query = (select(FollowUp.id, FollowUp.inquiry_id, Inquiry.student_name, Inquiry.phone,
                    FollowUp.follow_up_date, FollowUp.follow_up_type, FollowUp.status,
                    FollowUp.notes, done.label("done"), FollowUp.counselor_id,
                    Inquiry.branch_id)
             .join(Inquiry, Inquiry.id == FollowUp.inquiry_id)
             .where(FollowUp.deleted_at.is_(None), Inquiry.deleted_at.is_(None),
                    Inquiry.status.in_(OPEN), FollowUp.status != FollowUpStatus.COMPLETED,
                    FollowUp.follow_up_date < day_end(today), ~newer)
             .order_by(FollowUp.follow_up_date))
    if counselor_id is not None:
        query = query.where(FollowUp.counselor_id == counselor_id)
    return [FollowUpRow(r.id, r.inquiry_id, r.student_name, r.phone or "",
                        r.follow_up_date, r.follow_up_type, r.status, r.notes or "",
                        int(r.done), r.counselor_id, r.branch_id)
            for r in session.execute(query)]


def follow_up_board(replica: Replica, user_id: uuid.UUID, today: date, *,
                    mine_only: bool = True) -> FollowUpBoard:
    """Due today (pending, today) and overdue (pending or missed before today, still the latest
    follow-up of an open inquiry). Counselors see their own unless `mine_only` is False."""
    with replica.read() as session:
        held = require_crm_access(session, user_id)
        mine = user_id if mine_only and counsels(held) else None
        rows = due_follow_ups(session, today, mine)
    start = day_start(today)
    return FollowUpBoard(
        due_today=tuple(r for r in rows if r.when >= start and r.status == "pending"),
        overdue=tuple(r for r in rows if r.when < start))
