"""Messages that reach people (issue 19): guardians, consent, templates, triggers, the queue.

A desk writes `messages` (offline too, through the unit of work); the sync server sends them
and records what happened in `message_deliveries`, which only the server writes and which
syncs back to every desk that sees the message. Provider credentials are server settings,
never rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.enums import (
    Channel,
    ConsentSource,
    DeliveryStatus,
    GuardianRelation,
    MessageEvent,
)
from institute_core.schema.base import Base, Synced
from institute_core.schema.rules import between, checks, not_blank, one_of
from institute_core.schema.types import JsonDoc, money


class Guardian(Synced, Base):
    """A parent or guardian of a student: who receives the student's messages."""

    __tablename__ = "guardians"
    __table_args__ = (
        Index("ix_guardians_student_id", "student_id"),
        Index("ix_guardians_phone_normalized", "phone_normalized"),
        *checks(not_blank("name"), one_of("relation", GuardianRelation),
                one_of("preferred_channel", Channel), not_blank("language")),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(20), default=GuardianRelation.GUARDIAN,
                                          server_default=GuardianRelation.GUARDIAN.value)
    phone: Mapped[str | None] = mapped_column(String(20))
    # E.164 as the CRM normalises it (crm/phones.py): what gateways are sent and consent keys.
    phone_normalized: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(255))
    preferred_channel: Mapped[str] = mapped_column(String(10), default=Channel.SMS,
                                                   server_default=Channel.SMS.value)
    # A language code of the templates ("en", "hi", ...): more languages need no schema change.
    language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    # The guardian a student's alerts go to when there are several.
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=false())


class MessageConsent(Synced, Base):
    """Whether a contact (E.164 phone or lower-case email) may be messaged on a channel.

    One row per contact and channel (natural key), so an opt-out recorded on two desks is one
    row. No row: the contact has not opted out.
    """

    __tablename__ = "message_consents"
    __natural_key__ = ("contact", "channel")
    __table_args__ = (
        UniqueConstraint("contact", "channel"),
        *checks(not_blank("contact"), one_of("channel", Channel),
                one_of("source", ConsentSource)),
    )

    contact: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(10))
    opted_out: Mapped[bool] = mapped_column(default=True, server_default=true())
    source: Mapped[str] = mapped_column(String(20), default=ConsentSource.ADMIN,
                                        server_default=ConsentSource.ADMIN.value)
    note: Mapped[str | None] = mapped_column(Text)
    # Who last opted the contact out or back in (migration 0020; the server checks it names
    # the pusher, policy `stamps`); `updated_at` says when. None: a STOP reply or an import.
    changed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class MessageTemplate(Synced, Base):
    """The text of an event's message in one language on one channel.

    `{name}` placeholders are checked against the event's variables when saved
    (messaging/templates.py). `provider_template`: the name WhatsApp approved the template
    under (Cloud API template messages) or the DLT template id an Indian SMS route requires.
    """

    __tablename__ = "message_templates"
    # A branch's own template (migration 0020) shares the triple with the institute's and
    # takes its id from the triple and the branch (messaging/queue.py template_id); a natural
    # key part may not be empty, so the branch is not declared one.
    __natural_key__ = ("event", "language", "channel")
    __table_args__ = (
        UniqueConstraint("event", "language", "channel", "branch_id"),
        *checks(one_of("event", MessageEvent), not_blank("language"),
                one_of("channel", Channel), not_blank("body")),
    )

    event: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(35))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    provider_template: Mapped[str | None] = mapped_column(String(100))
    # None: the institute's template; a branch's own overrides it for that branch's students.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))


class MessageTrigger(Synced, Base):
    """An event an administrator has switched on, and how it is tuned. An event may have
    several ("fee due in 7 days" and "in 1 day"; "absent" at once and "3 in a row")."""

    __tablename__ = "message_triggers"
    __table_args__ = (
        *checks(not_blank("name"), one_of("event", MessageEvent),
                between("after_absences", 1, 30),
                between("grace_minutes", 0, 1440), between("days_before", 0, 60)),
    )

    name: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(30))
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Absences: alert on the Nth absence in a row (1 = every absence, at once).
    after_absences: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # How long a correction (absent -> present) can still cancel the message before it goes.
    grace_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Fee reminders: how many days before the due date.
    days_before: Mapped[int | None] = mapped_column(Integer)
    # None: the institute's trigger. A branch with triggers of its own for an event uses only
    # those for its students (messaging/triggers.py applies), so it can also switch one off.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))


class Message(Synced, Base):
    """One message to one recipient, queued by a desk; the server sends it.

    `dedupe_key` is the natural key: an automatic message is keyed by event, student and day,
    so two desks (or two saves) queue one message, never two.
    """

    __tablename__ = "messages"
    __natural_key__ = ("dedupe_key",)
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_messages_student_id", "student_id"),
        Index("ix_messages_inquiry_id", "inquiry_id"),
        Index("ix_messages_send_after", "send_after"),
        *checks(not_blank("dedupe_key"), one_of("event", MessageEvent),
                one_of("channel", Channel), not_blank("recipient"), not_blank("body")),
    )

    dedupe_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(30))
    student_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"))
    inquiry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crm_inquiries.id", ondelete="CASCADE"))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("guardians.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))
    # E.164 phone for SMS and WhatsApp, an email address for email.
    recipient: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(35))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    provider_template: Mapped[str | None] = mapped_column(String(100))
    # The template's variables as filled in (WhatsApp template messages send them as
    # parameters; the body above is already rendered).
    variables: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # Not before: the grace period of a correction, quiet hours are the server's.
    send_after: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class MessageDelivery(Synced, Base):
    """What the server did with a message; written only by the server, synced to desks."""

    __tablename__ = "message_deliveries"
    __natural_key__ = ("message_id",)
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index("ix_message_deliveries_student_id", "student_id"),
        Index("ix_message_deliveries_inquiry_id", "inquiry_id"),
        Index("ix_message_deliveries_status", "status"),  # the dispatcher's queue
        *checks(one_of("channel", Channel), one_of("status", DeliveryStatus),
                between("attempts", 0, 1000), between("segments", 0, 1000)),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    # Copies of the message's, so the same read scope applies without a join.
    student_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"))
    inquiry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crm_inquiries.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.QUEUED,
                                        server_default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    segments: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Rupees, from the server's per-channel price settings (the monthly report adds them up).
    cost: Mapped[Decimal] = mapped_column(money(10, 4), default=Decimal(0), server_default="0")
