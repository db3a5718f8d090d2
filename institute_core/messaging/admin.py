"""What an administrator sets up: templates (checked when saved) and triggers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from institute_core.enums import Channel, MessageEvent
from institute_core.ids import natural_id
from institute_core.messaging.templates import check_template
from institute_core.replica import Actor, Replica
from institute_core.schema import MessageTemplate, MessageTrigger
from institute_core.validation import InvalidInput


def save_template(replica: Replica, actor: Actor, *, event: str, language: str, channel: str,
                  body: str, subject: str | None = None,
                  provider_template: str | None = None) -> uuid.UUID:
    """Create or replace the template of (event, language, channel); refuses unknown
    variables and SMS texts longer than the limit, naming them."""
    if channel not in {c.value for c in Channel}:
        raise InvalidInput("message_templates", "channel", "is not a channel", channel)
    language = language.strip().lower()
    if not language:
        raise InvalidInput("message_templates", "language", "is empty")
    check_template(event, body, subject, channel)
    with replica.write(actor) as session:
        template_id = natural_id("message_templates", event, language, channel)
        row = session.get(MessageTemplate, template_id)
        if row is None:
            row = MessageTemplate(id=template_id, event=event, language=language,
                                  channel=channel, body=body)
            session.add(row)
        row.body, row.subject = body, subject or None
        row.provider_template = provider_template or None
        row.deleted_at = None
        return template_id


def save_trigger(replica: Replica, actor: Actor, *, name: str, event: str, enabled: bool,
                 after_absences: int = 1, grace_minutes: int = 15,
                 days_before: int | None = None, trigger_id: uuid.UUID | None = None
                 ) -> uuid.UUID:
    """Add or change a trigger (the schema's CHECK rules bound its numbers)."""
    MessageEvent(event)
    with replica.write(actor) as session:
        row = session.get(MessageTrigger, trigger_id) if trigger_id is not None else None
        if row is None:
            row = MessageTrigger(name=name, event=event)
            session.add(row)
        row.name, row.event, row.enabled = name, event, enabled
        row.after_absences, row.grace_minutes = after_absences, grace_minutes
        row.days_before = days_before
        session.flush()
        return row.id


def triggers(replica: Replica) -> list[MessageTrigger]:
    with replica.read() as session:
        rows = list(session.execute(select(MessageTrigger).where(
            MessageTrigger.deleted_at.is_(None)).order_by(MessageTrigger.name)).scalars())
        session.expunge_all()
        return rows
