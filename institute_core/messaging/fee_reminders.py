"""Fee reminders: an open instalment due in N days (`days_before`), or overdue (no
`days_before`), becomes a message to the student's primary guardian.

Run on an office desk once it is signed in (desktop_app/app.py) and again any time: the key
"fee_due:<trigger>:<student>:<day>" makes it one message per student, trigger and day, however
many desks run it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from institute_core.display import date_text, money
from institute_core.enums import MessageEvent
from institute_core.fees.ledger import InstalmentDue, ledgers
from institute_core.messaging.absences import primary_guardian, state_value
from institute_core.messaging.contacts import opted_out, recipient
from institute_core.messaging.queue import automatic_key, find_template, from_template, queue
from institute_core.replica import Actor, Replica
from institute_core.reports.branding import ReportBranding
from institute_core.schema import MessageTrigger, Student, User
from institute_core.schema.types import utcnow

EVENT = MessageEvent.FEE_DUE.value


def _due(dues: list[InstalmentDue], today: date, days_before: int | None) -> InstalmentDue | None:
    if days_before is None:
        overdue = [d for d in dues if d.due_on < today]
        return overdue[0] if overdue else None
    wanted = today + timedelta(days=days_before)
    return next((d for d in dues if d.due_on == wanted), None)


def queue_fee_reminders(replica: Replica, actor: Actor, today: date) -> list[uuid.UUID]:
    """Queue today's fee reminders; the ids of the messages queued now."""
    queued: list[uuid.UUID] = []
    with replica.write(actor) as session:
        triggers = list(session.execute(select(MessageTrigger).where(
            MessageTrigger.event == EVENT, MessageTrigger.enabled.is_(True),
            MessageTrigger.deleted_at.is_(None))).scalars())
        if not triggers:
            return queued
        institute = ReportBranding.from_mapping(state_value(session, "institute")).name
        for student_id, ledger in ledgers(session).items():
            dues = ledger.open_dues()
            for trigger in triggers:
                due = _due(dues, today, trigger.days_before)
                if due is None:
                    continue
                guardian = primary_guardian(session, student_id)
                if guardian is None:
                    continue
                template = find_template(session, EVENT, guardian.language,
                                         guardian.preferred_channel)
                contact = recipient(guardian, guardian.preferred_channel)
                if template is None or contact is None \
                        or opted_out(session, contact, template.channel):
                    continue
                person = session.execute(select(User.first_name, User.last_name).join(
                    Student, Student.user_id == User.id).where(Student.id == student_id)).first()
                if person is None:
                    continue
                values = {"institute_name": institute, "student_first_name": person.first_name,
                          "student_name": f"{person.first_name} {person.last_name}".strip(),
                          "guardian_name": guardian.name, "amount_due": money(due.outstanding),
                          "due_date": date_text(due.due_on)}
                message = queue(session, from_template(
                    template, values, event=EVENT, recipient=contact, send_after=utcnow(),
                    dedupe_key=automatic_key(EVENT, trigger.id, student_id, today),
                    student_id=student_id, guardian_id=guardian.id), actor.user_id)
                if message is not None:
                    session.flush()
                    queued.append(message.id)
    return queued
