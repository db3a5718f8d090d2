"""Fee reminders: an open instalment due in N days (`days_before`), or overdue (no
`days_before`), becomes a message to the student's primary guardian.

Run by the sync server once a day (sync_server/messages/scheduled.py, in the dispatcher's loop)
through `fee_reminders(session, today)`, and by hand from a desk (`queue_fee_reminders`): the
key "fee_due:<trigger>:<student>:<day>" makes it one message per student, trigger and day,
however many places run it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from institute_core.display import date_text, money
from institute_core.enums import MessageEvent
from institute_core.fees.ledger import InstalmentDue, ledgers
from institute_core.messaging.triggers import enabled_triggers, to_guardian
from institute_core.replica import Actor, Replica
from institute_core.schema import Message
from institute_core.schema.types import utcnow

EVENT = MessageEvent.FEE_DUE.value


def _due(dues: list[InstalmentDue], today: date, days_before: int | None) -> InstalmentDue | None:
    if days_before is None:
        overdue = [d for d in dues if d.due_on < today]
        return overdue[0] if overdue else None
    wanted = today + timedelta(days=days_before)
    return next((d for d in dues if d.due_on == wanted), None)


def fee_reminders(session: Session, today: date,
                  user_id: uuid.UUID | None = None) -> list[Message]:
    """Queue today's fee reminders in `session`; the messages queued now."""
    triggers = enabled_triggers(session, EVENT)
    if not triggers:
        return []
    queued: list[Message] = []
    now = utcnow()
    for student_id, ledger in ledgers(session).items():
        dues = ledger.open_dues()
        for trigger in triggers:
            due = _due(dues, today, trigger.days_before)
            if due is None:
                continue
            message = to_guardian(session, trigger, EVENT, student_id, today, {
                "amount_due": money(due.outstanding), "due_date": date_text(due.due_on)},
                send_after=now, user_id=user_id)
            if message is not None:
                session.flush()
                queued.append(message)
    return queued


def queue_fee_reminders(replica: Replica, actor: Actor, today: date) -> list[uuid.UUID]:
    """Queue today's fee reminders from a desk; the ids of the messages queued now."""
    with replica.write(actor) as session:
        return [m.id for m in fee_reminders(session, today, actor.user_id)]
