"""Staff notifications: the bell in the main window.

A desk makes its own user's notifications from what it already holds (`refresh`, after sign-in
and after each sync): follow-ups due (a counselor's own), sync conflicts not yet looked at,
students flagged at risk with an urgent flag (a teacher's or counselor's own: the students their
desk holds), bounced
cheques (desks that see money). Each is one synced row keyed by user, kind and record, so a
second desk of the same person makes the same row and "read" on one desk is read on both.
A follow-up completed or a conflict resolved marks its notification read by itself
(`SELF_CLEARING`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.access.check import permissions_of
from institute_core.analytics.risk import at_risk_students
from institute_core.audit.names import record_kind
from institute_core.crm.access import counsels
from institute_core.crm.followups import follow_up_board
from institute_core.display import date_text
from institute_core.enums import NotificationKind, PaymentEventKind, Role
from institute_core.ids import natural_id
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    ConflictLogEntry,
    FollowUp,
    PaymentEvent,
    StaffNotification,
    Student,
    User,
)
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput


@dataclass(frozen=True)
class Notification:
    """One bell item as the UI shows it."""

    id: uuid.UUID
    kind: str
    title: str
    detail: str | None
    record_table: str
    record_id: uuid.UUID
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class Wanted:
    """A notification the desk's data calls for."""

    kind: NotificationKind
    title: str
    detail: str | None
    record_table: str
    record_id: uuid.UUID


def _follow_ups(replica: Replica, user_id: uuid.UUID, today: date) -> list[Wanted]:
    """The counselor's follow-ups due today and overdue: the CRM home's own list."""
    board = follow_up_board(replica, user_id, today)
    return [Wanted(NotificationKind.FOLLOW_UP_DUE, f"Follow-up due: {row.name}",
                   f"{row.kind.title()} due {date_text(row.when.date())}", "follow_ups", row.id)
            for row in (*board.overdue, *board.due_today)]


def _conflicts(session: Session) -> list[Wanted]:
    rows = session.execute(select(ConflictLogEntry.table_name, ConflictLogEntry.row_id,
                                  ConflictLogEntry.field)
                           .where(ConflictLogEntry.resolved_at.is_(None))).all()
    wanted: dict[tuple[str, uuid.UUID], Wanted] = {}
    for table, row_id, field in rows:
        wanted[(table, row_id)] = Wanted(
            NotificationKind.CONFLICT, f"A sync conflict needs a look ({record_kind(table)})",
            f"{field.replace('_', ' ').capitalize()} was changed on two desks", table, row_id)
    return list(wanted.values())


def _at_risk(session: Session, today: date) -> list[Wanted]:
    return [Wanted(NotificationKind.AT_RISK, f"At risk: {s.name}",
                   "; ".join(f.reason for f in s.flags), "students", s.student_id)
            for s in at_risk_students(session, today) if any(f.urgent for f in s.flags)]


def _bounced(session: Session) -> list[Wanted]:
    rows = session.execute(
        select(PaymentEvent.id, PaymentEvent.happened_on, PaymentEvent.reason,
               User.first_name, User.last_name)
        .join(Student, Student.id == PaymentEvent.student_id)
        .join(User, User.id == Student.user_id)
        .where(PaymentEvent.kind == PaymentEventKind.BOUNCED.value,
               PaymentEvent.deleted_at.is_(None))).all()
    return [Wanted(NotificationKind.CHEQUE_BOUNCED, f"Cheque bounced: {first} {last}".strip(),
                   f"{date_text(day)}{' – ' + reason if reason else ''}", "payment_events", eid)
            for eid, day, reason, first, last in rows]


# Kinds whose notification reads itself once the work is done (a follow-up completed or
# rescheduled, a conflict resolved); the others stay until their reader marks them.
SELF_CLEARING = frozenset({NotificationKind.FOLLOW_UP_DUE.value, NotificationKind.CONFLICT.value})


def wanted(replica: Replica, user_id: uuid.UUID, role: str, today: date) -> list[Wanted]:
    """What needs the user's attention now, from the rows this desk has."""
    with replica.read() as session:
        held = permissions_of(session, user_id)
    # Who counsels as their work hears of their follow-ups due (crm.access.counsels).
    found = _follow_ups(replica, user_id, today) if counsels(held) else []
    with replica.read() as session:
        found += _conflicts(session)
        # Teachers and counselors hear of their own students at risk (their desk holds just
        # those); who has the reports has the dashboard's list of every student.
        if held & {"attendance.mark", "students.counsel"} and "reports.view" not in held:
            found += _at_risk(session, today)
        if role != Role.STUDENT.value:
            found += _bounced(session)
    return found


def refresh(replica: Replica, actor: Actor, role: str, today: date,
            now: datetime | None = None) -> int:
    """Add the notifications the desk's data calls for and mark read those no longer needing
    attention; returns how many were added. Writes nothing when nothing changed."""
    assert actor.user_id is not None
    user_id = actor.user_id
    items = {natural_id("staff_notifications", user_id, w.kind.value, w.record_id): w
             for w in wanted(replica, user_id, role, today)}
    with replica.read() as session:
        existing = {row.id: row for row in session.execute(
            select(StaffNotification.id, StaffNotification.kind, StaffNotification.read_at)
            .where(StaffNotification.user_id == user_id))}
    now = now or utcnow()
    new = [(nid, w) for nid, w in items.items() if nid not in existing]
    settled = [nid for nid, row in existing.items() if row.read_at is None
               and row.kind in SELF_CLEARING and nid not in items]
    if not new and not settled:
        return 0
    with replica.write(actor) as session:
        for nid, w in new:
            session.add(StaffNotification(
                id=nid, user_id=user_id, kind=w.kind.value, title=w.title[:200],
                detail=w.detail, record_table=w.record_table, record_id=w.record_id))
        for nid in settled:
            row = session.get(StaffNotification, nid)
            if row is not None and row.read_at is None:
                row.read_at = now
    return len(new)


def notifications(replica: Replica, user_id: uuid.UUID, limit: int = 200) -> list[Notification]:
    """The user's notifications, unread first, newest first."""
    with replica.read() as session:
        rows = session.execute(
            select(StaffNotification).where(StaffNotification.user_id == user_id,
                                            StaffNotification.deleted_at.is_(None))
            .order_by(StaffNotification.read_at.is_not(None),
                      StaffNotification.created_at.desc()).limit(limit)).scalars()
        return [Notification(r.id, r.kind, r.title, r.detail, r.record_table, r.record_id,
                             r.created_at, r.read_at is not None) for r in rows]


def unread_count(replica: Replica, user_id: uuid.UUID) -> int:
    with replica.read() as session:
        return len(session.execute(
            select(StaffNotification.id).where(StaffNotification.user_id == user_id,
                                               StaffNotification.read_at.is_(None),
                                               StaffNotification.deleted_at.is_(None))).all())


def mark_read(replica: Replica, actor: Actor, ids: list[uuid.UUID] | None = None,
              now: datetime | None = None) -> int:
    """Mark the given notifications (None: all of the actor's) read; how many changed."""
    now = now or utcnow()
    with replica.write(actor) as session:
        query = select(StaffNotification).where(StaffNotification.user_id == actor.user_id,
                                                StaffNotification.read_at.is_(None))
        if ids is not None:
            query = query.where(StaffNotification.id.in_(ids))
        rows = list(session.execute(query).scalars())
        if ids is not None and len(ids) == 1 and not rows and \
                session.get(StaffNotification, ids[0]) is None:
            raise InvalidInput("staff_notifications", "id", "is not a notification",
                               str(ids[0]))
        for row in rows:
            row.read_at = now
        return len(rows)


def student_of(session: Session, record_table: str, record_id: uuid.UUID) -> uuid.UUID | None:
    """The student a notification leads to (a cheque's payer, a flagged student)."""
    if record_table == "students":
        return record_id
    if record_table == "payment_events":
        event = session.get(PaymentEvent, record_id)
        return None if event is None else event.student_id
    return None


def inquiry_of(session: Session, record_table: str, record_id: uuid.UUID) -> uuid.UUID | None:
    """The inquiry a follow-up notification leads to."""
    if record_table == "follow_ups":
        follow_up = session.get(FollowUp, record_id)
        return None if follow_up is None else follow_up.inquiry_id
    return None

