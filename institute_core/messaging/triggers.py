"""The one path from an enabled trigger to a message for a student's primary guardian.

Every student event (absent, fee due, session cancelled or rescheduled, at risk) goes the same
way: the event's enabled triggers; the student's primary guardian; the template of the event in
the guardian's language on their preferred channel (else English); their contact on it, unless
opted out; the common values (institute, student, guardian) plus the event's own; one message
keyed by event, trigger, student and day (`queue.automatic_key`: at most one a day). Per
branch (issue 17): a branch's own triggers and templates, where it has them, speak for its
students instead of the institute's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.messaging.contacts import opted_out, recipient
from institute_core.messaging.queue import automatic_key, find_template, from_template, queue
from institute_core.reports.branding import ReportBranding
from institute_core.schema import Guardian, Message, MessageTrigger, Student, SyncState, User


def state_value(session: Session, key: str) -> Any:
    row = session.get(SyncState, key)
    return None if row is None else row.value


def enabled_triggers(session: Session, event: str) -> list[MessageTrigger]:
    """The event's triggers an administrator has switched on."""
    return list(session.execute(select(MessageTrigger).where(
        MessageTrigger.event == event, MessageTrigger.enabled.is_(True),
        MessageTrigger.deleted_at.is_(None)).order_by(MessageTrigger.name)).scalars())


def student_branch(session: Session, student_id: uuid.UUID) -> uuid.UUID | None:
    return session.execute(select(Student.branch_id).where(Student.id == student_id)).scalar()


def applies(session: Session, trigger: MessageTrigger, branch_id: uuid.UUID | None) -> bool:
    """Whether `trigger` speaks for a student of `branch_id`: a branch's own trigger for its
    students; the institute's for a branch with no trigger of its own for that event (a
    branch's own, even switched off, overrides the institute's)."""
    if trigger.branch_id is not None:
        return trigger.branch_id == branch_id
    if branch_id is None:
        return True
    own = session.execute(select(MessageTrigger.id).where(
        MessageTrigger.event == trigger.event, MessageTrigger.branch_id == branch_id,
        MessageTrigger.deleted_at.is_(None)).limit(1)).scalar()
    return own is None


def primary_guardian(session: Session, student_id: uuid.UUID) -> Guardian | None:
    return session.execute(select(Guardian).where(
        Guardian.student_id == student_id, Guardian.deleted_at.is_(None))
        .order_by(Guardian.is_primary.desc(), Guardian.created_at)).scalars().first()


def student_values(session: Session, student_id: uuid.UUID,
                   guardian: Guardian) -> dict[str, Any] | None:
    """The variables every student event offers (None: the student has no account row)."""
    found = session.execute(select(User.first_name, User.last_name).join(
        Student, Student.user_id == User.id).where(Student.id == student_id)).first()
    if found is None:
        return None
    return {
        "institute_name": ReportBranding.from_mapping(state_value(session, "institute")).name,
        "student_first_name": found.first_name,
        "student_name": f"{found.first_name} {found.last_name}".strip(),
        "guardian_name": guardian.name,
    }


def to_guardian(session: Session, trigger: MessageTrigger, event: str, student_id: uuid.UUID,
                day: date, values: Mapping[str, Any], *, send_after: datetime,
                user_id: uuid.UUID | None) -> Message | None:
    """Queue the trigger's message about `student_id` for `day` to their primary guardian;
    None when there is nobody to send it to, no template, an opt-out, or it is queued already."""
    branch_id = student_branch(session, student_id)
    if not applies(session, trigger, branch_id):
        return None
    guardian = primary_guardian(session, student_id)
    if guardian is None:
        return None
    template = find_template(session, event, guardian.language, guardian.preferred_channel,
                             branch_id)
    contact = recipient(guardian, guardian.preferred_channel)
    if template is None or contact is None or opted_out(session, contact, template.channel):
        return None
    common = student_values(session, student_id, guardian)
    if common is None:
        return None
    return queue(session, from_template(
        template, {**common, **values}, event=event, recipient=contact, send_after=send_after,
        dedupe_key=automatic_key(event, trigger.id, student_id, day), student_id=student_id,
        guardian_id=guardian.id), user_id)
