"""Guardians and consent: who a student's messages go to, and who said stop.

Phones are normalised as the CRM does (crm/phones.py, E.164 in the institute's default
country); emails are compared in lower case. A consent row is keyed by contact and channel,
so an opt-out recorded on two desks is one row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.crm.inquiries import default_country
from institute_core.crm.phones import PhoneProblem, normalize_phone
from institute_core.enums import Channel, ConsentSource, GuardianRelation
from institute_core.ids import natural_id
from institute_core.messaging.access import require_manage
from institute_core.replica import Actor, Replica
from institute_core.schema import Guardian, MessageConsent, User
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput


@dataclass(frozen=True)
class GuardianInput:
    """A guardian as typed on the student page or read from a spreadsheet."""

    name: str
    relation: str = GuardianRelation.GUARDIAN.value
    phone: str | None = None
    email: str | None = None
    preferred_channel: str = Channel.SMS.value
    language: str = "en"
    is_primary: bool = False


def normalize_contact(text: str, channel: str, country: str) -> str:
    """The form a consent row and a message use: E.164 for SMS and WhatsApp, lower-case
    email otherwise; InvalidInput naming what is wrong."""
    if channel == Channel.EMAIL:
        email = text.strip().lower()
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise InvalidInput("message_consents", "contact", "is not an email address", text)
        return email
    try:
        return normalize_phone(text, country)
    except PhoneProblem as exc:
        raise InvalidInput("message_consents", "contact", f"phone {exc}", text) from exc


def _apply(session: Session, guardian: Guardian, data: GuardianInput, country: str) -> None:
    phone = (data.phone or "").strip() or None
    normalized = None
    if phone is not None:
        try:
            normalized = normalize_phone(phone, country)
        except PhoneProblem as exc:
            raise InvalidInput("guardians", "phone", str(exc), phone) from exc
    email = (data.email or "").strip().lower() or None
    if not data.name.strip():
        raise InvalidInput("guardians", "name", "is empty")
    if data.relation not in {r.value for r in GuardianRelation}:
        raise InvalidInput("guardians", "relation", "is not one of "
                           + ", ".join(r.value for r in GuardianRelation), data.relation)
    if data.preferred_channel not in {c.value for c in Channel}:
        raise InvalidInput("guardians", "preferred_channel", "is not a channel",
                           data.preferred_channel)
    if email is not None and ("@" not in email or email.startswith("@")
                              or email.endswith("@")):
        raise InvalidInput("guardians", "email", "is not an email address", email)
    if data.preferred_channel == Channel.EMAIL and email is None:
        raise InvalidInput("guardians", "email", "is needed: email is the preferred channel")
    if data.preferred_channel != Channel.EMAIL and normalized is None:
        raise InvalidInput("guardians", "phone",
                           f"is needed: {data.preferred_channel} is the preferred channel")
    guardian.name = data.name.strip()
    guardian.relation = data.relation
    guardian.phone, guardian.phone_normalized, guardian.email = phone, normalized, email
    guardian.preferred_channel = data.preferred_channel
    guardian.language = data.language.strip() or "en"
    guardian.is_primary = data.is_primary
    if data.is_primary:
        # One primary guardian per student: the alerts' recipient.
        for other in session.execute(select(Guardian).where(
                Guardian.student_id == guardian.student_id, Guardian.deleted_at.is_(None),
                Guardian.is_primary.is_(True))).scalars():
            if other is not guardian:
                other.is_primary = False


def save_guardian(replica: Replica, actor: Actor, student_id: uuid.UUID, data: GuardianInput,
                  guardian_id: uuid.UUID | None = None) -> uuid.UUID:
    """Add a guardian to a student, or change one; returns its id."""
    country = default_country(replica)
    with replica.write(actor) as session:
        if guardian_id is None:
            guardian = Guardian(student_id=student_id)
            session.add(guardian)
        else:
            found = session.get(Guardian, guardian_id)
            if found is None or found.deleted_at is not None:
                raise InvalidInput("guardians", "id", "no such guardian", str(guardian_id))
            guardian = found
        _apply(session, guardian, data, country)
        session.flush()
        return guardian.id


def set_consent(replica: Replica, actor: Actor, contact: str, channel: str, *,
                opted_out: bool, source: str = ConsentSource.ADMIN.value,
                note: str | None = None) -> str:
    """Record that `contact` opted out of (or back into) `channel`; returns the contact as
    stored."""
    if channel not in {c.value for c in Channel}:
        raise InvalidInput("message_consents", "channel", "is not a channel", channel)
    stored = normalize_contact(contact, channel, default_country(replica))
    with replica.write(actor) as session:
        require_manage(session, actor.user_id, "Recording an opt-out")
        row = session.get(MessageConsent, natural_id("message_consents", stored, channel))
        if row is None:
            row = MessageConsent(contact=stored, channel=channel)
            session.add(row)
        row.opted_out, row.source, row.note, row.deleted_at = opted_out, source, note, None
        # Who said so; the server accepts only the pusher here (policy stamps).
        row.changed_by = actor.user_id
    return stored


def remove_guardian(replica: Replica, actor: Actor, guardian_id: uuid.UUID) -> None:
    """Take a guardian off a student (kept as a deleted row: their past messages still name
    them); the next guardian becomes the one alerts go to."""
    with replica.write(actor) as session:
        found = session.get(Guardian, guardian_id)
        if found is None or found.deleted_at is not None:
            raise InvalidInput("guardians", "id", "no such guardian", str(guardian_id))
        found.deleted_at = utcnow()
        found.is_primary = False


def opted_out(session: Session, contact: str, channel: str) -> bool:
    row = session.get(MessageConsent, natural_id("message_consents", contact, channel))
    return row is not None and row.deleted_at is None and row.opted_out


def recipient(guardian: Guardian, channel: str) -> str | None:
    """Where a message to `guardian` on `channel` goes (None: no such contact)."""
    return guardian.email if channel == Channel.EMAIL else guardian.phone_normalized


@dataclass(frozen=True)
class ConsentLine:
    """One channel of a guardian's contact someone opted out of, or back into."""

    channel: str
    contact: str
    opted_out: bool
    source: str
    by: str  # who recorded it ("" for a STOP reply or an older row)
    at: datetime


@dataclass(frozen=True)
class GuardianLine:
    """A guardian as the student page lists them."""

    id: uuid.UUID
    name: str
    relation: str
    phone: str
    email: str
    preferred_channel: str
    language: str
    is_primary: bool
    opted_out: tuple[str, ...]  # the channels this guardian's contacts opted out of
    consents: tuple[ConsentLine, ...] = ()  # every recorded choice, opted out or back in


@dataclass(frozen=True)
class MessageLine:
    """A message about the student, with what the server did with it."""

    queued_at: datetime
    event: str
    channel: str
    recipient: str
    body: str
    status: str  # "waiting to sync" until the server has it, then the delivery's status
    reason: str


def student_contacts(replica: Replica, student_id: uuid.UUID
                     ) -> tuple[tuple[GuardianLine, ...], tuple[MessageLine, ...]]:
    """A student's guardians (primary first) and messages (newest first), as plain values."""
    from institute_core.messaging.queue import messages_of_student

    with replica.read() as session:
        rows = list(session.execute(select(Guardian).where(
            Guardian.student_id == student_id, Guardian.deleted_at.is_(None))
            .order_by(Guardian.is_primary.desc(), Guardian.name)).scalars())
        contacts = {c for g in rows for c in (g.phone_normalized, g.email) if c}
        recorded: dict[tuple[str, str], ConsentLine] = {}
        for c, first, last in session.execute(
                select(MessageConsent, User.first_name, User.last_name)
                .outerjoin(User, User.id == MessageConsent.changed_by)
                .where(MessageConsent.contact.in_(contacts),
                       MessageConsent.deleted_at.is_(None))):
            by = f"{first or ''} {last or ''}".strip()
            recorded[(c.contact, c.channel)] = ConsentLine(c.channel, c.contact, c.opted_out,
                                                           c.source, by, c.updated_at)

        def _line(g: Guardian) -> GuardianLine:
            mine = tuple(recorded[(recipient(g, ch) or "", ch)] for ch in (c.value for c in Channel)
                         if (recipient(g, ch) or "", ch) in recorded)
            return GuardianLine(g.id, g.name, g.relation, g.phone_normalized or g.phone or "",
                                g.email or "", g.preferred_channel, g.language, g.is_primary,
                                tuple(c.channel for c in mine if c.opted_out), mine)

        guardians = tuple(_line(g) for g in rows)
        messages = tuple(
            MessageLine(m.created_at, m.event, m.channel, m.recipient, m.body,
                        "cancelled" if m.cancelled_at is not None and d is None
                        else d.status if d is not None else "waiting to sync",
                        (d.failure_reason or "") if d is not None else "")
            for m, d in messages_of_student(session, student_id))
    return guardians, messages
