"""The inquiry list: one plain row per inquiry with its lead score, and the list's filters."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select

from institute_core.crm.access import require_crm_access
from institute_core.crm.clock import local_day
from institute_core.crm.scoring import LeadFacts, LeadScore, score_lead
from institute_core.enums import ActiveStatus, FollowUpStatus, InquiryStatus, Role
from institute_core.replica import Replica
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Subject, User
from institute_core.services.common import full_name


@dataclass(frozen=True)
class InquiryRow:
    """One line of the inquiry list and one card of the pipeline board."""

    id: uuid.UUID
    name: str
    phone: str
    email: str
    source: str
    status: str
    priority: str
    counselor_id: uuid.UUID | None
    counselor: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    subject_ids: tuple[uuid.UUID, ...]
    created_on: date
    next_follow_up: datetime | None
    lost_reason: str
    notes: str
    score: LeadScore
    haystack: str

    def follow_up_due(self, today: date) -> bool:
        return self.next_follow_up is not None and local_day(self.next_follow_up) <= today


OPEN = frozenset({InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
                  InquiryStatus.FOLLOW_UP_SCHEDULED.value})


def list_inquiries(replica: Replica, user_id: uuid.UUID, today: date) -> tuple[InquiryRow, ...]:
    """Every live inquiry with its score on `today`: open leads best first, then closed ones."""
    with replica.read() as session:
        require_crm_access(session, user_id)
        completed = FollowUp.status == FollowUpStatus.COMPLETED
        contacts = {r.inquiry_id: r for r in session.execute(
            select(FollowUp.inquiry_id,
                   func.sum(case((completed, 1), else_=0)).label("done"),
                   func.sum(case((FollowUp.status == FollowUpStatus.MISSED, 1), else_=0))
                   .label("missed"),
                   func.max(case((completed, FollowUp.follow_up_date), else_=None))
                   .label("last"))
            .where(FollowUp.deleted_at.is_(None)).group_by(FollowUp.inquiry_id))}
        subjects: dict[uuid.UUID, list[tuple[uuid.UUID, str, bool]]] = defaultdict(list)
        for r in session.execute(
                select(InquirySubject.inquiry_id, Subject.id, Subject.name, Subject.status)
                .join(Subject, Subject.id == InquirySubject.subject_id)
                .where(InquirySubject.deleted_at.is_(None))):
            subjects[r.inquiry_id].append((r.id, r.name,
                                           r.status == ActiveStatus.ACTIVE.value))
        counselors = {r.id: full_name(r.first_name, r.last_name) for r in session.execute(
            select(User.id, User.first_name, User.last_name).where(
                User.id.in_(select(Inquiry.counselor_id).distinct())))}
        rows = []
        for i in session.execute(select(
                Inquiry.id, Inquiry.student_name, Inquiry.phone, Inquiry.email, Inquiry.source,
                Inquiry.status, Inquiry.priority, Inquiry.counselor_id, Inquiry.tags,
                Inquiry.created_at, Inquiry.next_follow_up_date, Inquiry.lost_reason,
                Inquiry.notes).where(Inquiry.deleted_at.is_(None))):
            c = contacts.get(i.id)
            last = c.last if c is not None else None
            if isinstance(last, str):  # SQLite's MAX over a CASE loses the column type
                last = datetime.fromisoformat(last)
            subs = subjects.get(i.id, [])
            created_on = local_day(i.created_at)
            score = score_lead(LeadFacts(
                status=i.status, source=i.source, priority=i.priority, created_on=created_on,
                last_contact_on=local_day(last) if last is not None else None,
                completed_contacts=int(c.done or 0) if c is not None else 0,
                missed_follow_ups=int(c.missed or 0) if c is not None else 0,
                subjects_named=len(subs), subjects_taught=sum(s[2] for s in subs)), today)
            tags = tuple(i.tags or ())
            counselor = counselors.get(i.counselor_id, "") if i.counselor_id else ""
            names = tuple(s[1] for s in subs)
            rows.append(InquiryRow(
                i.id, i.student_name, i.phone or "", i.email or "", i.source or "", i.status,
                i.priority or "", i.counselor_id, counselor, tags, names,
                tuple(s[0] for s in subs), created_on, i.next_follow_up_date,
                i.lost_reason or "", i.notes or "", score,
                " ".join((i.student_name, i.phone or "", i.email or "", *tags, *names)).lower()))
        # Leads to work on first: open ones by score, then enrolled and lost.
        rows.sort(key=lambda r: (r.status not in OPEN, -r.score.value, r.name))
        return tuple(rows)


@dataclass(frozen=True)
class InquiryFilter:
    """The list's filters; empty fields filter nothing. `due`: "" / "due" (today or earlier)."""

    text: str = ""
    status: str = ""
    source: str = ""
    counselor_id: uuid.UUID | None = None
    priority: str = ""
    tag: str = ""
    due_only: bool = False

    def is_empty(self) -> bool:
        return self == InquiryFilter()

    def keep(self, today: date) -> Callable[[InquiryRow], bool] | None:
        """A predicate over rows (cheap: checks only the fields that are set)."""
        checks: list[Callable[[InquiryRow], bool]] = []
        words = self.text.lower().split()
        if words:
            checks.append(lambda r: all(w in r.haystack for w in words))
        if self.status:
            checks.append(lambda r: r.status == self.status)
        if self.source:
            checks.append(lambda r: r.source == self.source)
        if self.counselor_id is not None:
            checks.append(lambda r: r.counselor_id == self.counselor_id)
        if self.priority:
            checks.append(lambda r: r.priority == self.priority)
        if self.tag:
            checks.append(lambda r: self.tag in r.tags)
        if self.due_only:
            checks.append(lambda r: r.follow_up_due(today))
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda r: all(check(r) for check in checks)


@dataclass(frozen=True)
class CrmChoices:
    """What the capture form and the filters offer."""

    subjects: tuple[tuple[uuid.UUID, str], ...]
    counselors: tuple[tuple[uuid.UUID, str], ...]


def crm_choices(replica: Replica, user_id: uuid.UUID) -> CrmChoices:
    with replica.read() as session:
        require_crm_access(session, user_id)
        subjects = tuple(session.execute(
            select(Subject.id, Subject.name).where(
                Subject.deleted_at.is_(None), Subject.status == ActiveStatus.ACTIVE.value)
            .order_by(Subject.name)).tuples())
        counselors = tuple(
            (r.id, full_name(r.first_name, r.last_name)) for r in session.execute(
                select(User.id, User.first_name, User.last_name).where(
                    User.role == Role.COUNSELOR.value, User.deleted_at.is_(None))
                .order_by(User.first_name)))
        return CrmChoices(subjects, counselors)
