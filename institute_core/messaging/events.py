"""The triggers beside absences and fees: a session cancelled or rescheduled, a student flagged
at risk (to the guardian), and a follow-up due (to the counselor).

All go through `triggers.to_guardian` (or, for a counselor, the same template and key rules),
so each is at most one message per student (or follow-up), trigger and day. Sessions call
theirs from the sessions service in the change's own unit of work (offline too); at-risk and
follow-up reminders are daily jobs (the server runs them with the fee reminders,
sync_server/messages/scheduled.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from institute_core.analytics.risk import at_risk_students
from institute_core.crm.followups import due_follow_ups
from institute_core.crm.phones import try_normalize
from institute_core.display import date_text
from institute_core.enums import Channel, MessageEvent
from institute_core.messaging.contacts import opted_out
from institute_core.messaging.queue import find_template, from_template, queue
from institute_core.messaging.triggers import enabled_triggers, state_value, to_guardian
from institute_core.reports.branding import ReportBranding
from institute_core.schema import Message, Subject, User
from institute_core.schema.types import utcnow


def after_session_change(session: Session, event: MessageEvent, student_ids: Iterable[uuid.UUID],
                         day: date, subject_id: uuid.UUID | None, user_id: uuid.UUID | None,
                         new_day: date | None = None, now: datetime | None = None
                         ) -> list[Message]:
    """A session of `day` was cancelled (or moved to `new_day`): tell each student's guardian,
    after the trigger's grace period (a change undone in time can still cancel it)."""
    triggers = enabled_triggers(session, event.value)
    if not triggers:
        return []
    now = now or utcnow()
    subject = session.get(Subject, subject_id) if subject_id is not None else None
    values = {"session_date": date_text(day), "subject_name": subject.name if subject else "",
              "new_date": date_text(new_day) if new_day is not None else ""}
    queued = []
    for student_id in student_ids:
        for trigger in triggers:
            message = to_guardian(session, trigger, event.value, student_id, day, values,
                                  send_after=now + timedelta(minutes=trigger.grace_minutes),
                                  user_id=user_id)
            if message is not None:
                queued.append(message)
    return queued


def at_risk_alerts(session: Session, today: date,
                   user_id: uuid.UUID | None = None) -> list[Message]:
    """Each student with an urgent risk flag: a message to their guardian with the reason."""
    triggers = enabled_triggers(session, MessageEvent.AT_RISK.value)
    if not triggers:
        return []
    now, queued = utcnow(), []
    for student in at_risk_students(session, today):
        urgent = [f.reason for f in student.flags if f.urgent]
        if not urgent:
            continue
        for trigger in triggers:
            message = to_guardian(session, trigger, MessageEvent.AT_RISK.value,
                                  student.student_id, today, {"risk_reason": "; ".join(urgent)},
                                  send_after=now, user_id=user_id)
            if message is not None:
                queued.append(message)
    return queued


def follow_up_reminders(session: Session, today: date,
                        user_id: uuid.UUID | None = None) -> list[Message]:
    """Each counselor's follow-ups due today or overdue: one message to the counselor per
    follow-up, trigger and day (SMS or WhatsApp to their phone, else email)."""
    event = MessageEvent.FOLLOW_UP_DUE.value
    triggers = enabled_triggers(session, event)
    if not triggers:
        return []
    institute = ReportBranding.from_mapping(state_value(session, "institute")).name
    now, queued = utcnow(), []
    for row in due_follow_ups(session, today):
        counselor = session.get(User, row.counselor_id)
        if counselor is None:
            continue
        phone = try_normalize(counselor.phone)
        channels = ((Channel.SMS.value, phone), (Channel.WHATSAPP.value, phone),
                    (Channel.EMAIL.value, counselor.email))
        for trigger in triggers:
            for channel, contact in channels:
                template = find_template(session, event, "en", channel)
                if template is None or not contact or opted_out(session, contact, channel):
                    continue
                values = {"institute_name": institute, "inquiry_name": row.name,
                          "follow_up_date": date_text(row.when.date()),
                          "counselor_name": f"{counselor.first_name} {counselor.last_name}"}
                message = queue(session, from_template(
                    template, values, event=event, recipient=contact, send_after=now,
                    dedupe_key=f"{event}:{trigger.id}:{row.id}:{today.isoformat()}",
                    inquiry_id=row.inquiry_id), user_id)
                if message is not None:
                    queued.append(message)
                break  # one channel per follow-up
    return queued


