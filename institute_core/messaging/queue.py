"""Queueing messages on a desk: one synced `messages` row per message, written through the
unit of work (offline too); the server sends it.

Automatic messages are keyed by event, trigger, student and day (`dedupe_key`, the natural
key), so saving attendance twice, or on two desks, queues one message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import Channel, MessageEvent
from institute_core.ids import natural_id
from institute_core.messaging.templates import placeholders, render
from institute_core.schema import Message, MessageDelivery, MessageTemplate
from institute_core.schema.types import utcnow

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Outgoing:
    """A message ready to queue."""

    event: str
    channel: str
    recipient: str
    body: str
    send_after: datetime
    dedupe_key: str
    student_id: uuid.UUID | None = None
    inquiry_id: uuid.UUID | None = None
    guardian_id: uuid.UUID | None = None
    language: str | None = None
    subject: str | None = None
    provider_template: str | None = None
    variables: dict[str, Any] | None = None


def automatic_key(event: str, trigger_id: uuid.UUID, student_id: uuid.UUID, day: date) -> str:
    """At most one message per student, trigger and day."""
    return f"{event}:{trigger_id}:{student_id}:{day.isoformat()}"


def template_id(event: str, language: str, channel: str,
                branch_id: uuid.UUID | None = None) -> uuid.UUID:
    """The id of the institute's template of (event, language, channel), or of a branch's
    own: derived, so two desks writing the same template write one row."""
    if branch_id is None:
        return natural_id("message_templates", event, language, channel)
    return natural_id("message_templates", event, language, channel, branch_id)


def find_template(session: Session, event: str, language: str, channel: str,
                  branch_id: uuid.UUID | None = None) -> MessageTemplate | None:
    """The event's template in `language` on `channel`, else in English; in each language
    the branch's own first, then the institute's."""
    branches = (branch_id, None) if branch_id is not None else (None,)
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        for branch in branches:
            found = session.get(MessageTemplate, template_id(event, lang, channel, branch))
            if found is not None and found.deleted_at is None:
                return found
    return None


def queue(session: Session, outgoing: Outgoing, created_by: uuid.UUID | None) -> Message | None:
    """Add the message unless its key is queued already (then None)."""
    message_id = natural_id("messages", outgoing.dedupe_key)
    if session.get(Message, message_id) is not None:
        return None
    message = Message(id=message_id, created_by=created_by, **outgoing.__dict__)
    session.add(message)
    return message


def from_template(template: MessageTemplate, values: dict[str, Any], **fields: Any) -> Outgoing:
    """An `Outgoing` whose text is `template` filled with `values`."""
    # Only what the template uses travels (a WhatsApp template takes exactly its parameters).
    used = {name: str(values[name]) for name in placeholders(template.body) if name in values}
    return Outgoing(body=render(template.body, values),
                    subject=render(template.subject, values) if template.subject else None,
                    provider_template=template.provider_template, variables=used,
                    language=template.language, channel=template.channel, **fields)


def cancel(session: Session, message: Message, now: datetime | None = None) -> bool:
    """Cancel a queued message the server has not sent; False when it is too late."""
    if message.cancelled_at is not None:
        return False
    delivery = session.get(MessageDelivery, natural_id("message_deliveries", message.id))
    if delivery is not None and delivery.status != "queued":
        return False
    message.cancelled_at = now or utcnow()
    return True


def one_off(session: Session, *, channel: str, recipient: str, body: str,
            created_by: uuid.UUID | None, inquiry_id: uuid.UUID | None = None,
            student_id: uuid.UUID | None = None, guardian_id: uuid.UUID | None = None,
            subject: str | None = None) -> Message:
    """A message a person typed (no trigger, no dedupe: each is its own)."""
    outgoing = Outgoing(event=MessageEvent.ONE_OFF.value, channel=channel, recipient=recipient,
                        body=body, send_after=utcnow(), dedupe_key=f"one_off:{uuid.uuid4()}",
                        inquiry_id=inquiry_id, student_id=student_id, guardian_id=guardian_id,
                        subject=subject if channel == Channel.EMAIL else None)
    message = queue(session, outgoing, created_by)
    assert message is not None  # a fresh key
    return message


def messages_of_student(session: Session, student_id: uuid.UUID) -> list[tuple[Message, Any]]:
    """A student's messages, newest first, with their delivery (None: not yet at the server)."""
    rows = session.execute(
        select(Message, MessageDelivery).outerjoin(
            MessageDelivery, MessageDelivery.message_id == Message.id)
        .where(Message.student_id == student_id, Message.deleted_at.is_(None))
        .order_by(Message.created_at.desc()))
    return [(m, d) for m, d in rows]
