"""The inquiry list: one plain row per inquiry with its lead score, and the list's filters."""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import String, case, func, select, type_coerce

from institute_core.crm.access import require_crm_access
from institute_core.crm.clock import local_day
from institute_core.crm.duplicates import Contact, ContactKind
from institute_core.crm.phones import try_normalize
from institute_core.crm.scoring import LeadFacts, LeadScore, score_lead, score_value
from institute_core.enums import ActiveStatus, FollowUpStatus, InquiryStatus, Role
from institute_core.replica import Replica
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Subject, User
from institute_core.services.common import full_name


class InquiryRow(NamedTuple):
    """One line of the inquiry list and one card of the pipeline board (a named tuple: 10,000
    of them are made each time the list is read, and a tuple is the cheapest immutable row)."""

    key: str  # the id as stored (hex): `id` makes the UUID when asked for
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
    # The lead score's value and what it was worked out from on `scored_on`, held as plain
    # fields: a score object per row would be two more objects per row for the garbage
    # collector to walk, while only the rows on screen ever show their reasons.
    score_value: int
    last_contact_on: date | None
    completed_contacts: int
    missed_follow_ups: int
    subjects_taught: int
    scored_on: date
    haystack: str
    phone_normalized: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.key)

    @property
    def facts(self) -> LeadFacts:
        return LeadFacts(self.status, self.source, self.priority, self.created_on,
                         self.last_contact_on, self.completed_contacts, self.missed_follow_ups,
                         len(self.subjects), self.subjects_taught)

    @property
    def score(self) -> LeadScore:
        """The score with its reasons (made when asked for: the panel, a tooltip)."""
        return score_lead(self.facts, self.scored_on)

    @property
    def subject_ids(self) -> tuple[uuid.UUID, ...]:
        return tuple(uuid.UUID(hex=k) for k in self.subject_keys.split(_SEP) if k)

    def follow_up_due(self, today: date) -> bool:
        return self.next_follow_up is not None and local_day(self.next_follow_up) <= today


OPEN = frozenset({InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
                  InquiryStatus.FOLLOW_UP_SCHEDULED.value})


def list_inquiries(replica: Replica, user_id: uuid.UUID, today: date) -> tuple[InquiryRow, ...]:
    """Every live inquiry with its score on `today`: open leads best first, then closed ones.

    Plain queries on the replica (SQLite), every column read as stored text: the inquiries,
    their follow-up counts and their subject ids, merged here through dicts keyed by the
    inquiry's id – joining the two aggregates in SQL makes SQLite build a temporary index on
    each, which cost more than both queries. Values that repeat across rows (days, tag lists,
    subject lists, counselors) are converted once each.
    """
    f, link = FollowUp, InquirySubject
    completed = f.status == FollowUpStatus.COMPLETED
    contacts_query = (
        select(_text(f.inquiry_id), func.sum(case((completed, 1), else_=0)),
               func.sum(case((f.status == FollowUpStatus.MISSED, 1), else_=0)),
               func.max(case((completed, _local_date(f.follow_up_date)), else_=None)))
        .where(f.deleted_at.is_(None)).group_by(f.inquiry_id))
    # Subject ids only; their names and whether they are taught come from a dict of the few
    # subjects (a join per inquiry would cost more than the whole aggregate).
    subjects_query = (
        select(_text(link.inquiry_id), func.group_concat(_text(link.subject_id), _SEP))
        .where(link.deleted_at.is_(None)).group_by(link.inquiry_id))
    inquiries_query = (
        select(_text(Inquiry.id), Inquiry.student_name, Inquiry.phone, Inquiry.phone_normalized,
               Inquiry.email, Inquiry.source, Inquiry.status, Inquiry.priority,
               _text(Inquiry.counselor_id), _text(Inquiry.tags), _local_date(Inquiry.created_at),
               _text(Inquiry.next_follow_up_date), Inquiry.lost_reason, Inquiry.notes)
        .where(Inquiry.deleted_at.is_(None)))
    rows = []
    with replica.read() as session, _no_gc_pauses():
        require_crm_access(session, user_id)
        # Core execution on the session's connection: the ORM's result layer would add a
        # per-row pass of its own for what are plain column tuples.
        execute = session.connection().execute
        catalog = {key: (name, status == ActiveStatus.ACTIVE.value) for key, name, status in
                   execute(select(_text(Subject.id), Subject.name, Subject.status))}
        counselors: dict[str | None, tuple[uuid.UUID | None, str]] = {None: (None, "")}
        for key, counselor_id, first, last_name in execute(
                select(_text(User.id), User.id, User.first_name, User.last_name)):
            counselors[key] = (counselor_id, full_name(first, last_name))
        contacts = {key: (int(done or 0), int(missed or 0), last)
                    for key, done, missed, last in execute(contacts_query)}
        subject_keys_of: dict[str, str] = dict(execute(subjects_query).tuples().all())
        days: _Once[date] = _Once(date.fromisoformat)
        tag_lists: _Once[tuple[str, ...]] = _Once(_tags)
        # A subject list as (the names of the subjects known here, how many are taught).
        subject_lists: _Once[tuple[tuple[str, ...], int]] = _Once(
            lambda keys: _subjects(catalog, keys))
        no_contacts, no_subjects = (0, 0, None), ((), 0)
        # Positional unpacking: reading 14 fields by name from 10,000 rows costs more than
        # everything the loop does with them.
        for (key, name, phone, phone_normalized, email, source, status, priority, counselor_key,
             tag_text, created_day, next_at, lost_reason, notes) in execute(
                inquiries_query).tuples():
            done, missed, last = contacts.get(key, no_contacts)
            subject_keys = subject_keys_of.get(key, "")
            created_on = days[created_day]
            last_on = days[last] if last else None
            names, taught = subject_lists[subject_keys] if subject_keys else no_subjects
            value = score_value(LeadFacts(status, source, priority, created_on, last_on, done,
                                          missed, len(names), taught), today)
            tags = tag_lists[tag_text] if tag_text else ()
            counselor_id, counselor = counselors.get(counselor_key) or (
                uuid.UUID(hex=counselor_key), "")
            phone, email = phone or "", email or ""
            rows.append(InquiryRow(
                key, name, phone, email, source or "", status, priority or "",
                counselor_id, counselor, tags, names, subject_keys, created_on,
                _utc(next_at) if next_at else None, lost_reason or "", notes or "", value,
                last_on, done, missed, taught, today,
                " ".join((name, phone, email, *tags, *names)).lower(), phone_normalized))
    # Leads to work on first: open ones by score (best first, then by name), then enrolled and
    # lost. Two stable sorts on C-level keys, then a split: no Python call per row.
    rows.sort(key=attrgetter("name"))
    rows.sort(key=attrgetter("score_value"), reverse=True)
    return (*(r for r in rows if r.status in OPEN), *(r for r in rows if r.status not in OPEN))


T = TypeVar("T")


class _Once(dict[str, T]):
    """Text converted once per distinct value: days, tag lists and subject lists repeat
    across thousands of rows."""

    def __init__(self, convert: Callable[[str], T]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, text: str) -> T:
        value = self[text] = self._convert(text)
        return value


def _subjects(catalog: dict[str, tuple[str, bool]], keys: str) -> tuple[tuple[str, ...], int]:
    known = [catalog[k] for k in keys.split(_SEP) if k in catalog]
    return tuple(name for name, _taught in known), sum(taught for _name, taught in known)


def _tags(text: str) -> tuple[str, ...]:
    """A tag list as stored (JSON text)."""
    tags = json.loads(text)
    return tuple(tags) if tags else ()


def _text(column: Any) -> Any:
    """A column as SQLite stores it (ids as hex, JSON and timestamps as text): no per-row type
    processor; the loop converts what it needs, once per distinct value where values repeat."""
    return type_coerce(column, String)


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
