"""Capturing inquiries, moving them through the pipeline, merging duplicates that slipped in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.crm.access import counsels, require_crm_access
from institute_core.crm.duplicates import DuplicateMatch, load_index
from institute_core.crm.phones import (
    DEFAULT_COUNTRY,
    DEFAULT_COUNTRY_KEY,
    PhoneProblem,
    normalize_phone,
)
from institute_core.enums import InquirySource, InquiryStatus, Priority
from institute_core.replica import Actor, Replica
from institute_core.schema import FollowUp, Inquiry, InquirySubject
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput

TABLE = "crm_inquiries"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class DuplicateFound(Exception):
    """The person looks known already; pass `allow_duplicate=True` to save anyway."""

    def __init__(self, matches: Sequence[DuplicateMatch]) -> None:
        self.matches = tuple(matches)
        first = matches[0]
        super().__init__(f"{first.contact.name} ({first.contact.kind}) looks like the same person:"
                         f" {', '.join(first.reasons)}")


class NeedsConfirmation(Exception):
    """A stage move that rarely makes sense; repeat it with `confirmed=True` if it is meant."""


@dataclass(frozen=True)
class InquiryDraft:
    """What the capture form holds. Name and a phone (or an email) are enough."""

    name: str
    phone: str | None = None
    email: str | None = None
    source: str | None = None
    priority: str | None = Priority.MEDIUM.value
    notes: str | None = None
    tags: tuple[str, ...] = ()
    subject_ids: tuple[uuid.UUID, ...] = ()
    counselor_id: uuid.UUID | None = None


def default_country(replica: Replica) -> str:
    """The country a phone number without a code belongs to (a setting of this desk)."""
    return str(replica.get_state(DEFAULT_COUNTRY_KEY, DEFAULT_COUNTRY))


def set_default_country(replica: Replica, country: str) -> None:
    replica.set_state(DEFAULT_COUNTRY_KEY, country.upper())


@dataclass(frozen=True)
class CleanContact:
    name: str
    phone: str | None
    phone_normalized: str | None
    email: str | None


def clean_contact(name: str, phone: str | None, email: str | None,
                  country: str = DEFAULT_COUNTRY) -> CleanContact:
    """Validated contact details; `InvalidInput` names the field that is wrong."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(TABLE, "student_name", "is required: type the person's name")
    phone = (phone or "").strip() or None
    email = (email or "").strip() or None
    if phone is None and email is None:
        raise InvalidInput(TABLE, "phone", "is required: give a phone number or an email")
    normalized = None
    if phone is not None:
        try:
            normalized = normalize_phone(phone, country)
        except PhoneProblem as exc:
            raise InvalidInput(TABLE, "phone", str(exc), phone) from exc
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput(TABLE, "email", "is not an email address like name@example.com",
                           email)
    return CleanContact(name, phone, normalized, email)


def _choice(field_name: str, value: str | None, choices: type[InquirySource] | type[Priority]
            ) -> str | None:
    if value in (None, ""):
        return None
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput(TABLE, field_name, f"must be one of: {', '.join(allowed)}", value)
    return value


def _tags(tags: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        cleaned = tag.strip().lower()
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


def create_inquiry(replica: Replica, actor: Actor, draft: InquiryDraft, *,
                   allow_duplicate: bool = False) -> uuid.UUID:
    """Save a new inquiry; `DuplicateFound` when the person looks known (nothing is saved)."""
    country = default_country(replica)
    contact = clean_contact(draft.name, draft.phone, draft.email, country)
    source = _choice("source", draft.source, InquirySource)
    priority = _choice("priority", draft.priority, Priority) or Priority.MEDIUM.value
    with replica.write(actor) as session:
        held = require_crm_access(session, actor.user_id)
        if not allow_duplicate:
            matches = load_index(session, country).check(contact.name, contact.phone,
                                                         contact.email)
            if matches:
                raise DuplicateFound(matches)
        counselor = draft.counselor_id or (actor.user_id if counsels(held) else None)
        inquiry = Inquiry(counselor_id=counselor, student_name=contact.name, phone=contact.phone,
                          phone_normalized=contact.phone_normalized, email=contact.email,
                          source=source, priority=priority, status=InquiryStatus.NEW.value,
                          notes=(draft.notes or "").strip() or None, tags=_tags(draft.tags))
        session.add(inquiry)
        session.flush()
        for subject_id in dict.fromkeys(draft.subject_ids):
            session.add(InquirySubject(inquiry_id=inquiry.id, subject_id=subject_id))
        return inquiry.id


def update_inquiry(replica: Replica, actor: Actor, inquiry_id: uuid.UUID,
                   draft: InquiryDraft) -> None:
    """Change an inquiry's details (not its stage: see `move_stage`)."""
    country = default_country(replica)
    contact = clean_contact(draft.name, draft.phone, draft.email, country)
    source = _choice("source", draft.source, InquirySource)
    priority = _choice("priority", draft.priority, Priority)
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        inquiry = live_inquiry(session, inquiry_id)
        inquiry.student_name, inquiry.phone = contact.name, contact.phone
        inquiry.phone_normalized, inquiry.email = contact.phone_normalized, contact.email
        inquiry.source, inquiry.priority = source, priority
        inquiry.notes = (draft.notes or "").strip() or None
        inquiry.tags = _tags(draft.tags)
        if draft.counselor_id is not None:
            inquiry.counselor_id = draft.counselor_id
        _set_subjects(session, inquiry.id, draft.subject_ids)


def _set_subjects(session: Session, inquiry_id: uuid.UUID,
                  subject_ids: Sequence[uuid.UUID]) -> None:
    wanted = set(subject_ids)
    rows = session.execute(select(InquirySubject).where(
        InquirySubject.inquiry_id == inquiry_id)).scalars().all()
    now = utcnow()
    have = set()
    for row in rows:
        keep = row.subject_id in wanted
        if keep:
            have.add(row.subject_id)
        if keep and row.deleted_at is not None:
            row.deleted_at = None
        elif not keep and row.deleted_at is None:
            row.deleted_at = now
    for subject_id in wanted - have:
        session.add(InquirySubject(inquiry_id=inquiry_id, subject_id=subject_id))


def live_inquiry(session: Session, inquiry_id: uuid.UUID) -> Inquiry:
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.deleted_at is not None:
        raise LookupError(f"no inquiry with id {inquiry_id}")
    return inquiry


def move_stage(replica: Replica, actor: Actor, inquiry_id: uuid.UUID, to: str, *,
               lost_reason: str | None = None, confirmed: bool = False) -> None:
    """Move an inquiry along the pipeline (board drag or keyboard).

    Lost needs a reason. Enrolled is reached only through `enroll_inquiry` (it makes the
    student), and an enrolled inquiry does not move back: the student exists.
    """
    if to not in [s.value for s in InquiryStatus]:
        raise InvalidInput(TABLE, "status", "is not a pipeline stage", to)
    if to == InquiryStatus.ENROLLED:
        raise InvalidInput(TABLE, "status", "is reached with Enroll, which makes the student")
    reason = (lost_reason or "").strip()
    if to == InquiryStatus.LOST and not reason:
        raise InvalidInput(TABLE, "lost_reason", "is required: say why the inquiry was lost")
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        inquiry = live_inquiry(session, inquiry_id)
        if inquiry.status == InquiryStatus.ENROLLED:
            raise InvalidInput(TABLE, "status",
                               "cannot change: this inquiry has already become a student")
        if inquiry.status == InquiryStatus.LOST and to != InquiryStatus.LOST and not confirmed:
            raise NeedsConfirmation(f"{inquiry.student_name} was lost ({inquiry.lost_reason}); "
                                    f"reopen as {to.replace('_', ' ')}?")
        inquiry.status = to
        inquiry.lost_reason = reason if to == InquiryStatus.LOST else None
        if to == InquiryStatus.LOST:
            inquiry.next_follow_up_date = None


def merge_inquiries(replica: Replica, actor: Actor, keep_id: uuid.UUID,
                    duplicate_id: uuid.UUID) -> None:
    """Fold a duplicate into the inquiry that stays: one record with both histories.

    The survivor gains the duplicate's follow-ups and subjects, and fills its empty details from
    it; notes and tags are combined. The duplicate is soft-deleted with `merged_into_id` and
    `merged_at` set – that record of the merge syncs like any other change.
    """
    if keep_id == duplicate_id:
        raise InvalidInput(TABLE, "merged_into_id", "an inquiry cannot be merged into itself")
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        keep, dup = live_inquiry(session, keep_id), live_inquiry(session, duplicate_id)
        for follow_up in session.execute(select(FollowUp).where(
                FollowUp.inquiry_id == dup.id, FollowUp.deleted_at.is_(None))).scalars():
            follow_up.inquiry_id = keep.id
        kept_subjects = set(session.execute(select(InquirySubject.subject_id).where(
            InquirySubject.inquiry_id == keep.id,
            InquirySubject.deleted_at.is_(None))).scalars())
        now = utcnow()
        for row in session.execute(select(InquirySubject).where(
                InquirySubject.inquiry_id == dup.id,
                InquirySubject.deleted_at.is_(None))).scalars():
            # Subject rows are keyed by (inquiry, subject): the survivor gets rows of its own.
            row.deleted_at = now
            if row.subject_id not in kept_subjects:
                session.add(InquirySubject(inquiry_id=keep.id, subject_id=row.subject_id))
                kept_subjects.add(row.subject_id)
        for name in ("phone", "phone_normalized", "email", "source", "counselor_id"):
            if getattr(keep, name) is None and getattr(dup, name) is not None:
                setattr(keep, name, getattr(dup, name))
        stamp = f"Merged with {dup.student_name} ({dup.phone or dup.email or 'no contact'}) " \
                f"on {now:%d %b %Y}"
        keep.notes = "\n".join(x for x in (keep.notes, dup.notes, stamp) if x)
        keep.tags = _tags([*(keep.tags or []), *(dup.tags or [])])
        if keep.next_follow_up_date is None or (
                dup.next_follow_up_date is not None
                and dup.next_follow_up_date < keep.next_follow_up_date):
            keep.next_follow_up_date = dup.next_follow_up_date or keep.next_follow_up_date
        dup.merged_into_id, dup.merged_at, dup.deleted_at = keep.id, now, now


def touch_follow_up_date(session: Session, inquiry: Inquiry) -> None:
    """Keep `next_follow_up_date` = the earliest pending follow-up (what the list shows)."""
    inquiry.next_follow_up_date = session.execute(
        select(FollowUp.follow_up_date).where(
            FollowUp.inquiry_id == inquiry.id, FollowUp.status == "pending",
            FollowUp.deleted_at.is_(None)).order_by(FollowUp.follow_up_date).limit(1)
    ).scalar_one_or_none()
