"""Absence alerts: a student marked absent becomes a message to their primary guardian.

Called by attendance saving in the same transaction (services/attendance.py `mark_many`), so
an absence marked offline is queued offline and syncs with the mark. Each enabled `absent`
trigger either alerts at once (`after_absences` 1) or on the Nth absence in a row. A student
marked present again (a correction) cancels the alert while its grace period runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from institute_core.display import date_text
from institute_core.enums import AttendanceStatus, MessageEvent
from institute_core.ids import natural_id
from institute_core.messaging.queue import automatic_key, cancel
from institute_core.messaging.triggers import enabled_triggers, to_guardian
from institute_core.schema import (
    BatchSessionAttendance,
    LearningSession,
    Message,
    MessageTrigger,
    SessionAttendance,
    Subject,
)
from institute_core.schema.types import utcnow

ABSENT = AttendanceStatus.ABSENT.value


def _enabled_triggers(session: Session) -> list[MessageTrigger]:
    return enabled_triggers(session, MessageEvent.ABSENT.value)


def absences_in_a_row(session: Session, student_id: uuid.UUID, upto: date, limit: int) -> int:
    """How many of the student's last marks up to `upto` are absences, counting back from the
    latest until a mark that is not (at most `limit`)."""
    individual = (select(LearningSession.session_date.label("day"),
                         SessionAttendance.attendance_status.label("status"))
                  .join(LearningSession, LearningSession.id == SessionAttendance.session_id)
                  .where(SessionAttendance.student_id == student_id,
                         SessionAttendance.deleted_at.is_(None),
                         LearningSession.session_date <= upto))
    batch = (select(BatchSessionAttendance.session_date.label("day"),
                    BatchSessionAttendance.attendance_status.label("status"))
             .where(BatchSessionAttendance.student_id == student_id,
                    BatchSessionAttendance.deleted_at.is_(None),
                    BatchSessionAttendance.session_date <= upto))
    marks = union_all(individual, batch).subquery()
    statuses = session.execute(select(marks.c.status).order_by(marks.c.day.desc())
                               .limit(limit)).scalars()
    count = 0
    for status in statuses:
        if status != ABSENT:
            break
        count += 1
    return count


def after_marks(session: Session, user_id: uuid.UUID | None, day: date,
                subject_id: uuid.UUID | None,
                statuses: Mapping[uuid.UUID, AttendanceStatus | None],
                now: datetime | None = None) -> list[Message]:
    """Queue the alerts the saved marks call for and cancel those a correction undoes.

    Returns the messages queued. Cheap when no absence trigger is on (one query).
    """
    triggers = _enabled_triggers(session)
    if not triggers:
        return []
    now = now or utcnow()
    queued: list[Message] = []
    for student_id, status in statuses.items():
        for trigger in triggers:
            key = automatic_key(MessageEvent.ABSENT.value, trigger.id, student_id, day)
            existing = session.get(Message, natural_id("messages", key))
            if status is not AttendanceStatus.ABSENT:
                # A correction: only while the grace period runs (the server has not sent it).
                if existing is not None and existing.send_after > now:
                    cancel(session, existing, now)
                continue
            if existing is not None:
                if existing.cancelled_at is not None and existing.send_after > now:
                    existing.cancelled_at = None  # absent again, still within the grace
                continue
            message = _alert(session, trigger, student_id, day, subject_id, user_id, now)
            if message is not None:
                queued.append(message)
    return queued


def _alert(session: Session, trigger: MessageTrigger, student_id: uuid.UUID, day: date,
           subject_id: uuid.UUID | None, user_id: uuid.UUID | None,
           now: datetime) -> Message | None:
    in_a_row = absences_in_a_row(session, student_id, day, trigger.after_absences)
    if in_a_row < trigger.after_absences:
        return None
    subject = session.get(Subject, subject_id) if subject_id is not None else None
    return to_guardian(session, trigger, MessageEvent.ABSENT.value, student_id, day, {
        "session_date": date_text(day), "subject_name": subject.name if subject else "",
        "absences": str(in_a_row)}, send_after=now + timedelta(minutes=trigger.grace_minutes),
        user_id=user_id)
