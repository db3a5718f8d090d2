"""The inquiry list: one plain row per inquiry with its lead score, and the list's filters."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, case, func, select, type_coerce

from institute_core.crm.access import require_crm_access
from institute_core.crm.clock import local_day
from institute_core.crm.duplicates import Contact, ContactKind
from institute_core.crm.phones import try_normalize
from institute_core.crm.scoring import LeadFacts, LeadScore, score_lead
from institute_core.enums import ActiveStatus, FollowUpStatus, InquiryStatus, Role
from institute_core.replica import Replica
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Subject, User
from institute_core.services.common import full_name


class InquiryRow(NamedTuple):
    """One line of the inquiry list and one card of the pipeline board (a named tuple: 10,000
    of them are made each time the list is read, and a tuple is the cheapest immutable row)."""

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
    subject_keys: str  # the subjects' ids as stored, parsed on demand by `subject_ids`
    created_on: date
    next_follow_up: datetime | None
    lost_reason: str
    notes: str
    score: LeadScore
    haystack: str
    phone_normalized: str | None = None

    @property
    def subject_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(uuid.UUID(hex=k) for k in self.subject_keys.split(_SEP) if k)

    def follow_up_due(self, today: date) -> bool:
        return self.next_follow_up is not None and local_day(self.next_follow_up) <= today


OPEN = frozenset({InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
                  InquiryStatus.FOLLOW_UP_SCHEDULED.value})


def list_inquiries(replica: Replica, user_id: uuid.UUID, today: date) -> tuple[InquiryRow, ...]:
    """Every live inquiry with its score on `today`: open leads best first, then closed ones.

    One query (SQLite, the replica): follow-up counts and subjects are aggregated in SQL and
    ids that only a few rows share are converted once – turning 50,000 ids into UUID objects
    would cost more than everything else for 10,000 inquiries.
    """
    f, link = FollowUp, InquirySubject
    completed = f.status == FollowUpStatus.COMPLETED
    contacts = (select(f.inquiry_id.label("iid"),
                       func.sum(case((completed, 1), else_=0)).label("done"),
                       func.sum(case((f.status == FollowUpStatus.MISSED, 1), else_=0))
                       .label("missed"),
                       func.max(case((completed, _local_date(f.follow_up_date)),
                                     else_=None)).label("last"))
                .where(f.deleted_at.is_(None)).group_by(f.inquiry_id).subquery())
    # Subject ids only; their names and whether they are taught come from a dict of the few
    # subjects (a join per inquiry would cost more than the whole aggregate).
    subjects = (select(link.inquiry_id.label("iid"),
                       func.group_concat(type_coerce(link.subject_id, String), _SEP).label("ids"))
                .where(link.deleted_at.is_(None)).group_by(link.inquiry_id).subquery())
    query = (select(Inquiry.id, Inquiry.student_name, Inquiry.phone, Inquiry.phone_normalized,
                    Inquiry.email, Inquiry.source, Inquiry.status, Inquiry.priority,
                    type_coerce(Inquiry.counselor_id, String).label("counselor_key"),
                    User.first_name, User.last_name, Inquiry.tags,
                    _local_date(Inquiry.created_at).label("created_on"),
                    type_coerce(Inquiry.next_follow_up_date, String).label("next_at"),
                    Inquiry.lost_reason, Inquiry.notes,
                    contacts.c.done, contacts.c.missed, contacts.c.last, subjects.c.ids)
             .outerjoin(User, User.id == Inquiry.counselor_id)
             .outerjoin(contacts, contacts.c.iid == Inquiry.id)
             .outerjoin(subjects, subjects.c.iid == Inquiry.id)
             .where(Inquiry.deleted_at.is_(None)))
    counselor_ids: dict[str, uuid.UUID] = {}
    days: dict[str, date] = {}  # a few hundred distinct days repeat across the rows
    rows = []
    with replica.read() as session, _no_gc_pauses():
        require_crm_access(session, user_id)
        catalog = {r.key: (r.name, r.status == ActiveStatus.ACTIVE.value) for r in session.execute(
            select(type_coerce(Subject.id, String).label("key"), Subject.name, Subject.status))}
        # Positional unpacking: reading 20 fields by name from 10,000 rows costs more than
        # everything the loop does with them.
        for (inquiry_id, name, phone, phone_normalized, email, source, status, priority,
             counselor_key, first, last_name, tag_list, created_day, next_at, lost_reason, notes,
             done, missed, last, subject_keys) in session.execute(query).tuples():
            known = [catalog[k] for k in subject_keys.split(_SEP) if k in catalog] \
                if subject_keys else []
            created_on = days.get(created_day) or days.setdefault(
                created_day, date.fromisoformat(created_day))
            score = score_lead(LeadFacts(
                status=status, source=source, priority=priority, created_on=created_on,
                last_contact_on=(days.get(last) or days.setdefault(last, date.fromisoformat(last))
                                 ) if last else None,
                completed_contacts=int(done or 0), missed_follow_ups=int(missed or 0),
                subjects_named=len(known), subjects_taught=sum(t for _n, t in known)), today)
            tags = tuple(tag_list) if tag_list else ()
            names = tuple(n for n, _t in known)
            counselor_id = None
            if counselor_key is not None:
                counselor_id = counselor_ids.get(counselor_key)
                if counselor_id is None:
                    counselor_id = counselor_ids[counselor_key] = uuid.UUID(hex=counselor_key)
            rows.append(InquiryRow(
                inquiry_id, name, phone or "", email or "", source or "", status, priority or "",
                counselor_id, full_name(first, last_name) if counselor_key else "", tags, names,
                subject_keys or "", created_on, _utc(next_at) if next_at else None,
                lost_reason or "", notes or "", score,
                " ".join((name, phone or "", email or "", *tags, *names)).lower(),
                phone_normalized))
    # Leads to work on first: open ones by score, then enrolled and lost.
    rows.sort(key=lambda r: (r.status not in OPEN, -r.score.value, r.name))
    return tuple(rows)


_SEP = "\x1f"  # unit separator: subject names may hold commas


def _local_date(column: Any) -> Any:
    """The desk's local calendar day of a stored (naive UTC) timestamp, as 'YYYY-MM-DD' text,
    worked out by SQLite with the OS time zone (the replica is always SQLite)."""
    return func.date(type_coerce(column, String), "localtime")


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Building 10,000 rows allocates enough to trigger full collections over everything alive;
    none of these objects form cycles, so collection waits until the list is built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _utc(text: str) -> datetime:
    """A timestamp read as SQLite's text (stored naive UTC): fromisoformat is C-fast where the
    column type's per-row regex parse is not."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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


def as_contact(row: InquiryRow) -> Contact:
    """A listed inquiry as the duplicate index holds it (the list already read everything)."""
    return Contact(ContactKind.INQUIRY, row.id, row.name, row.phone,
                   row.phone_normalized or try_normalize(row.phone), row.email or None,
                   row.status)
