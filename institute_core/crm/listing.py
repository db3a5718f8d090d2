"""The inquiry list: one plain row per inquiry with its lead score, and the list's filters."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import select

from institute_core.access.check import counselling_roles
from institute_core.collector import no_collection_pauses
from institute_core.crm.access import require_crm_access
from institute_core.crm.duplicates import Contact, ContactKind, DuplicateIndex, student_contacts
from institute_core.crm.inquiries import default_country
from institute_core.crm.phones import try_normalize
from institute_core.crm.scoring import LeadFacts, LeadScore, Scorer, score_lead
from institute_core.enums import ActiveStatus, FollowUpStatus, InquiryStatus
from institute_core.memo import Memo
from institute_core.replica import Replica
from institute_core.schema import FollowUp, Inquiry, InquirySubject, Subject, User
from institute_core.services.common import full_name


class InquiryRow(NamedTuple):
    """One line of the inquiry list and one card of the pipeline board: a named tuple, since
    10,000 are made each time the list is read. Values that repeat across rows (days, tag and
    subject lists, counselors) are shared objects; what only a shown or selected row needs (the
    UUID, the next follow-up as a datetime, the score's reasons) is made when asked for."""

    key: str  # the id as stored (hex): `id` makes the UUID when asked for
    name: str
    phone: str
    email: str
    source: str
    status: str
    priority: str
    counselor_key: str | None  # the counselor's id as stored; `counselor_id` makes the UUID
    counselor: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    subject_keys: str  # the subjects' ids as stored, parsed on demand by `subject_ids`
    created_on: date
    next_at: str | None  # the next follow-up as stored (naive UTC text); see `next_follow_up`
    next_day: str | None  # ... and its local calendar day, "YYYY-MM-DD"
    lost_reason: str
    notes: str
    # The lead score's value and what it was worked out from on `scored_on`, held as plain
    # fields: a score object per row would be two more objects per row for the garbage
    # collector to walk, while only the rows on screen ever show their reasons.
    score_value: int
    rank: int  # open leads above closed ones, each by score: the list's default order
    last_contact_on: date | None
    completed_contacts: int
    missed_follow_ups: int
    subjects_taught: int
    scored_on: date
    haystack: str
    phone_normalized: str | None = None
    branch_key: str | None = None  # the branch's id as stored (hex), for the branch filter

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(hex=self.key)

    @property
    def counselor_id(self) -> uuid.UUID | None:
        return uuid.UUID(hex=self.counselor_key) if self.counselor_key else None

    @property
    def next_follow_up(self) -> datetime | None:
        return _utc(self.next_at) if self.next_at else None

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
        return self.next_day is not None and self.next_day <= today.isoformat()


OPEN = frozenset({InquiryStatus.NEW.value, InquiryStatus.CONTACTED.value,
                  InquiryStatus.FOLLOW_UP_SCHEDULED.value})
OPEN_RANK = 1000  # added to an open lead's score: open leads sort above enrolled and lost ones

# The list's three reads, as SQLite text on the raw connection (the replica is always SQLite):
# every column comes back as stored (ids as hex, JSON and timestamps as text), with no type
# processor or result-row object per row; empty values are '' already. Calendar days are the
# desk's local days, worked out by SQLite with the OS time zone.
_INQUIRIES_SQL = f"""
SELECT id, student_name, ifnull(phone, ''), phone_normalized, ifnull(email, ''),
       ifnull(source, ''), status, ifnull(priority, ''), counselor_id, tags,
       date(created_at, 'localtime'), next_follow_up_date,
       date(next_follow_up_date, 'localtime'), ifnull(lost_reason, ''), ifnull(notes, ''),
       branch_id
FROM {Inquiry.__tablename__} WHERE deleted_at IS NULL"""
# NOT INDEXED: one pass over the table and a sort is cheaper than walking the inquiry_id index
# and looking up each row's status and date (measured: 22 ms against 27 ms for 15,000 rows).
# Joining these two to the inquiries in SQL made SQLite build a temporary index on each, which
# cost more than both queries; the loop merges them through dicts instead.
_CONTACTS_SQL = f"""
SELECT inquiry_id, sum(status = '{FollowUpStatus.COMPLETED.value}'),
       sum(status = '{FollowUpStatus.MISSED.value}'),
       max(CASE WHEN status = '{FollowUpStatus.COMPLETED.value}'
           THEN date(follow_up_date, 'localtime') END)
FROM {FollowUp.__tablename__} NOT INDEXED WHERE deleted_at IS NULL GROUP BY inquiry_id"""
_SUBJECTS_SQL = f"""
SELECT inquiry_id, group_concat(subject_id, char(31))
FROM {InquirySubject.__tablename__} NOT INDEXED WHERE deleted_at IS NULL GROUP BY inquiry_id"""
_SEP = "\x1f"  # unit separator (char(31)) between subject ids


def list_inquiries(replica: Replica, user_id: uuid.UUID, today: date
                   ) -> tuple[InquiryRow, ...]:
    """Every live inquiry with its score on `today`: open leads best first, then closed ones
    (enrolled before lost), each by name.

    Three plain reads (inquiries, their follow-up counts, their subject ids) merged here by id;
    the loop does a handful of dict look-ups per row (`Memo` converts each distinct day, tag
    list and subject list once; `Scorer` works out each rule's points once per distinct input).
    """
    with replica.read() as session, no_collection_pauses():
        require_crm_access(session, user_id)
        raw = session.connection().connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        catalog = {key: (name, status == ActiveStatus.ACTIVE.value) for key, name, status in
                   raw.execute(f"SELECT id, name, status FROM {Subject.__tablename__}")}
        counselors: dict[str, str] = {
            key: full_name(first, last_name) for key, first, last_name in
            raw.execute(f"SELECT id, first_name, last_name FROM {User.__tablename__}")}
        contacts = {row[0]: row for row in raw.execute(_CONTACTS_SQL)}
        subject_keys_of: dict[str, str] = dict(raw.execute(_SUBJECTS_SQL).fetchall())
        inquiries = raw.execute(_INQUIRIES_SQL).fetchall()
        rows = _rows(inquiries, contacts, subject_keys_of, catalog, counselors, today)
        # Freed before collection resumes: the first collection then walks the rows alone
        # (and, finding them hold only text, numbers, days and tuples of text, stops tracking
        # them), not the 27,000 tuples they were read from.
        del inquiries, contacts, subject_keys_of
    # One stable sort on a C-level key: the read comes ordered by name (below), so equal ranks
    # stay by name.
    rows.sort(key=attrgetter("rank"), reverse=True)
    return tuple(rows)


def _rows(inquiries: list[Any], contacts: dict[str, Any], subject_keys_of: dict[str, str],
          catalog: dict[str, tuple[str, bool]],
          counselors: dict[str, str], today: date) -> list[InquiryRow]:
    inquiries.sort(key=itemgetter(1))  # by name: the tie-break of the list's order
    scorer = Scorer(today)
    days: Memo[str, date] = Memo(date.fromisoformat)
    # A tag list as (tags, the words searched); a subject list as (names, how many are taught,
    # the words searched).
    tag_lists: Memo[str, tuple[tuple[str, ...], str]] = Memo(_tags)
    subject_lists: Memo[str, tuple[tuple[str, ...], int, str]] = Memo(
        lambda keys: _subjects(catalog, keys))
    subject_lists[""] = ((), 0, "")
    no_tags = tag_lists[""] = ((), "")
    no_contacts = ("", 0, 0, None)
    contacts_of, subjects_of, counselor_of = contacts.get, subject_keys_of.get, counselors.get
    rows: list[InquiryRow] = []
    # tuple.__new__ makes the named tuple without the Python-level __new__ of its class.
    value_of, new_row, append = scorer.value, tuple.__new__, rows.append
    # Positional unpacking: reading 15 fields by name from 10,000 rows costs more than
    # everything the loop does with them.
    for (key, name, phone, phone_normalized, email, source, status, priority, counselor_key,
         tag_text, created_day, next_at, next_day, lost_reason, notes, branch_key) in inquiries:
        _key, done, missed, last_day = contacts_of(key, no_contacts)
        subject_keys = subjects_of(key, "")
        names, taught, subject_words = subject_lists[subject_keys]
        tags, tag_words = tag_lists[tag_text] if tag_text else no_tags
        created_on = days[created_day]
        last_on = days[last_day] if last_day else None
        value = value_of(status, source, priority, created_on, last_on, done, missed,
                         len(names), taught)
        counselor = counselor_of(counselor_key, "")
        append(new_row(InquiryRow, (
            key, name, phone, email, source, status, priority, counselor_key, counselor, tags,
            names, subject_keys, created_on, next_at, next_day, lost_reason, notes, value,
            value + OPEN_RANK if status in OPEN else value, last_on, done, missed, taught,
            today, f"{name} {phone} {email} {tag_words} {subject_words}".lower(),
            phone_normalized, branch_key)))
    return rows


def _subjects(catalog: dict[str, tuple[str, bool]], keys: str
              ) -> tuple[tuple[str, ...], int, str]:
    known = [catalog[k] for k in keys.split(_SEP) if k in catalog]
    names = tuple(name for name, _taught in known)
    return names, sum(taught for _name, taught in known), " ".join(names)


def _tags(text: str) -> tuple[tuple[str, ...], str]:
    """A tag list as stored (JSON text)."""
    tags = tuple(json.loads(text) or ())
    return tags, " ".join(tags)


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
            counselor_key = self.counselor_id.hex
            checks.append(lambda r: r.counselor_key == counselor_key)
        if self.priority:
            checks.append(lambda r: r.priority == self.priority)
        if self.tag:
            checks.append(lambda r: self.tag in r.tags)
        if self.due_only:
            day = today.isoformat()
            checks.append(lambda r: r.next_day is not None and r.next_day <= day)
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
                    User.role.in_(counselling_roles(session)), User.deleted_at.is_(None))
                .order_by(User.first_name)))
        return CrmChoices(subjects, counselors)


def as_contact(row: InquiryRow) -> Contact:
    """A listed inquiry as the duplicate index holds it (the list already read everything)."""
    return Contact(ContactKind.INQUIRY, row.id, row.name, row.phone,
                   row.phone_normalized or try_normalize(row.phone), row.email or None,
                   row.status)


def duplicate_index(replica: Replica, rows: tuple[InquiryRow, ...]) -> DuplicateIndex:
    """The duplicate index of a loaded list: its inquiries (read already) and every student."""
    country = default_country(replica)
    with replica.read() as session:
        contacts = student_contacts(session, country)
    # Ten thousand contacts and their keys, none in a cycle: collections during the build
    # would walk everything alive for nothing (they took most of its time).
    with no_collection_pauses():
        return DuplicateIndex([*contacts, *map(as_contact, rows)], country)
