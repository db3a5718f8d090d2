"""What an administrator sets up: templates (checked when saved, previewed with a real
student's data) and triggers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from institute_core.enums import Channel, MessageEvent
from institute_core.messaging import queue
from institute_core.messaging.access import require_manage
from institute_core.messaging.segments import SmsLength
from institute_core.messaging.templates import check_template, preview, sample_values
from institute_core.messaging.triggers import primary_guardian, student_values
from institute_core.replica import Actor, Replica
from institute_core.schema import Branch, Guardian, MessageTemplate, MessageTrigger, Student
from institute_core.validation import InvalidInput


def save_template(replica: Replica, actor: Actor, *, event: str, language: str, channel: str,
                  body: str, subject: str | None = None,
                  provider_template: str | None = None,
                  branch_id: uuid.UUID | None = None) -> uuid.UUID:
    """Create or replace the template of (event, language, channel) – the institute's, or
    with `branch_id` that branch's own; refuses unknown variables and SMS texts longer than
    the limit, naming them."""
    if channel not in {c.value for c in Channel}:
        raise InvalidInput("message_templates", "channel", "is not a channel", channel)
    language = language.strip().lower()
    if not language:
        raise InvalidInput("message_templates", "language", "is empty")
    check_template(event, body, subject, channel)
    with replica.write(actor) as session:
        require_manage(session, actor.user_id, "Changing message templates")
        if branch_id is not None and session.get(Branch, branch_id) is None:
            raise InvalidInput("message_templates", "branch_id", "names no branch",
                               str(branch_id))
        template_id = queue.template_id(event, language, channel, branch_id)
        row = session.get(MessageTemplate, template_id)
        if row is None:
            row = MessageTemplate(id=template_id, event=event, language=language,
                                  channel=channel, body=body, branch_id=branch_id)
            session.add(row)
        row.body, row.subject = body, subject or None
        row.provider_template = provider_template or None
        row.deleted_at = None
        return template_id


def save_trigger(replica: Replica, actor: Actor, *, name: str, event: str, enabled: bool,
                 after_absences: int = 1, grace_minutes: int = 15,
                 days_before: int | None = None, trigger_id: uuid.UUID | None = None,
                 branch_id: uuid.UUID | None = None) -> uuid.UUID:
    """Add or change a trigger – the institute's, or with `branch_id` that branch's own (the
    schema's CHECK rules bound its numbers)."""
    try:
        MessageEvent(event)
    except ValueError:
        raise InvalidInput("message_triggers", "event", "is not a message event", event) from None
    if not name.strip():
        raise InvalidInput("message_triggers", "name", "is empty")
    with replica.write(actor) as session:
        require_manage(session, actor.user_id, "Changing message triggers")
        if branch_id is not None and session.get(Branch, branch_id) is None:
            raise InvalidInput("message_triggers", "branch_id", "names no branch",
                               str(branch_id))
        row = session.get(MessageTrigger, trigger_id) if trigger_id is not None else None
        if row is None:
            row = MessageTrigger(name=name, event=event, branch_id=branch_id)
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


def templates(replica: Replica) -> list[MessageTemplate]:
    """Every live template, by event, language and channel (detached plain rows)."""
    with replica.read() as session:
        rows = list(session.execute(select(MessageTemplate).where(
            MessageTemplate.deleted_at.is_(None)).order_by(
            MessageTemplate.event, MessageTemplate.language, MessageTemplate.channel)).scalars())
        session.expunge_all()
        return rows


@dataclass(frozen=True)
class Preview:
    """A template as one real recipient would read it."""

    text: str
    length: SmsLength | None  # None for email
    who: str  # whose data filled it ("sample data" when the desk has no student to use)


def preview_with_real_data(replica: Replica, event: str, body: str, channel: str) -> Preview:
    """`body` filled with the data of a real student of this desk who has a guardian (the
    event's other variables with typical values); sample data when there is none. Unknown
    variables stay visible as `{name}`."""
    values = sample_values(event) if event in {e.value for e in MessageEvent} else {}
    who = "sample data"
    with replica.read() as session:
        student_id = session.execute(
            select(Guardian.student_id).join(Student, Student.id == Guardian.student_id)
            .where(Guardian.deleted_at.is_(None), Student.deleted_at.is_(None))
            .order_by(Guardian.is_primary.desc(), Guardian.created_at).limit(1)).scalar()
        guardian = primary_guardian(session, student_id) if student_id is not None else None
        real = student_values(session, student_id, guardian) \
            if student_id is not None and guardian is not None else None
    if real is not None:
        values = {**values, **{k: v for k, v in real.items() if k in values}}
        who = f"{real['student_name']} and {real['guardian_name']}"
    text, length = preview(event, body, values, channel)
    return Preview(text, length, who)
