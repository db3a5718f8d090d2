"""A counselor's one-off message to an inquiry: queued for the server to send, and logged as a
completed follow-up with its text, so the inquiry's history shows what was said."""

from __future__ import annotations

import uuid

from institute_core.crm.access import require_crm_access
from institute_core.crm.followups import log_message_sent
from institute_core.crm.inquiries import live_inquiry
from institute_core.enums import Channel
from institute_core.messaging.contacts import opted_out
from institute_core.messaging.queue import one_off
from institute_core.messaging.segments import sms_length
from institute_core.messaging.templates import MAX_SMS_SEGMENTS
from institute_core.replica import Actor, Replica
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput


def send_to_inquiry(replica: Replica, actor: Actor, inquiry_id: uuid.UUID, channel: str,
                    text: str, subject: str | None = None) -> uuid.UUID:
    """Queue `text` to the inquiry on `channel`; returns the message id. Refuses an empty or
    over-long text, a missing contact and an opted-out one, naming which."""
    text = text.strip()
    if not text:
        raise InvalidInput("messages", "body", "is empty: write the message")
    if channel not in {c.value for c in Channel}:
        raise InvalidInput("messages", "channel", "is not a channel", channel)
    if channel != Channel.EMAIL and sms_length(text).segments > MAX_SMS_SEGMENTS:
        raise InvalidInput("messages", "body", f"is too long for SMS: "
                           f"{sms_length(text).describe()}, at most {MAX_SMS_SEGMENTS} parts")
    with replica.write(actor) as session:
        require_crm_access(session, actor.user_id)
        inquiry = live_inquiry(session, inquiry_id)
        contact = inquiry.email.strip().lower() if channel == Channel.EMAIL and inquiry.email \
            else inquiry.phone_normalized if channel != Channel.EMAIL else None
        if not contact:
            what = "email address" if channel == Channel.EMAIL else "mobile number"
            raise InvalidInput("messages", "recipient", f"the inquiry has no {what}")
        if opted_out(session, contact, channel):
            raise InvalidInput("messages", "recipient", f"{contact} opted out of {channel}")
        message = one_off(session, channel=channel, recipient=contact, body=text,
                          created_by=actor.user_id, inquiry_id=inquiry.id, subject=subject)
        log_message_sent(session, actor, inquiry.id, channel, text, utcnow())
        return message.id
