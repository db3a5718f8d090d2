"""A person's one-off message: to an inquiry (a counselor, from the CRM) or to a student's
guardian (from the student page). Queued for the server to send, offline too; one to an
inquiry is also logged as a completed follow-up with its text, so its history shows what was
said."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from institute_core.crm.access import require_crm_access
from institute_core.crm.followups import log_message_sent
from institute_core.crm.inquiries import live_inquiry
from institute_core.engagement.access import require_any
from institute_core.enums import Channel
from institute_core.messaging.access import SEND
from institute_core.messaging.contacts import opted_out, recipient
from institute_core.messaging.queue import one_off
from institute_core.messaging.segments import sms_length
from institute_core.messaging.templates import MAX_SMS_SEGMENTS
from institute_core.replica import Actor, Replica
from institute_core.schema import Guardian
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput


def checked_text(channel: str, text: str) -> str:
    """The text to send, stripped; refuses an empty one, an unknown channel and an SMS or
    WhatsApp text longer than a message may be, naming which."""
    text = text.strip()
    if not text:
        raise InvalidInput("messages", "body", "is empty: write the message")
    if channel not in {c.value for c in Channel}:
        raise InvalidInput("messages", "channel", "is not a channel", channel)
    if channel != Channel.EMAIL and sms_length(text).segments > MAX_SMS_SEGMENTS:
        raise InvalidInput("messages", "body", f"is too long for SMS: "
                           f"{sms_length(text).describe()}, at most {MAX_SMS_SEGMENTS} parts")
    return text


def _reachable(session: Session, contact: str | None, channel: str, who: str) -> str:
    if not contact:
        what = "email address" if channel == Channel.EMAIL else "mobile number"
        raise InvalidInput("messages", "recipient", f"{who} has no {what}")
    if opted_out(session, contact, channel):
        raise InvalidInput("messages", "recipient", f"{contact} opted out of {channel}")
    return contact


def send_to_inquiry(replica: Replica, actor: Actor, inquiry_id: uuid.UUID, channel: str,
                    text: str, subject: str | None = None) -> uuid.UUID:
    """Queue `text` to the inquiry on `channel`; returns the message id. Refuses an empty or
    over-long text, a missing contact and an opted-out one, naming which."""
    text = checked_text(channel, text)
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        inquiry = live_inquiry(session, inquiry_id)
        contact = inquiry.email.strip().lower() if channel == Channel.EMAIL and inquiry.email \
            else inquiry.phone_normalized if channel != Channel.EMAIL else None
        contact = _reachable(session, contact, channel, "the inquiry")
        message = one_off(session, channel=channel, recipient=contact, body=text,
                          created_by=actor.user_id, inquiry_id=inquiry.id, subject=subject)
        log_message_sent(session, actor, inquiry.id, channel, text, utcnow())
        return message.id


def send_to_guardian(replica: Replica, actor: Actor, guardian_id: uuid.UUID, channel: str,
                     text: str, subject: str | None = None) -> uuid.UUID:
    """Queue `text` to a student's guardian on `channel` (it shows among the student's
    messages); returns the message id. Takes `messages.send`; refuses as `send_to_inquiry`
    does."""
    text = checked_text(channel, text)
    with replica.write(actor) as session:
        require_any(session, actor.user_id, {SEND}, "Sending a message")
        guardian = session.get(Guardian, guardian_id)
        if guardian is None or guardian.deleted_at is not None:
            raise InvalidInput("messages", "guardian_id", "is no guardian on this desk")
        contact = _reachable(session, recipient(guardian, channel), channel, guardian.name)
        message = one_off(session, channel=channel, recipient=contact, body=text,
                          created_by=actor.user_id, student_id=guardian.student_id,
                          guardian_id=guardian.id, subject=subject)
        return message.id
