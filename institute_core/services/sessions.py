"""Scheduling sessions, cancelling them, marking no-shows.

A plan that breaks a faculty member's limits (availability, max hours a day, max students a
day) or overlaps another of their sessions is not silently refused: `plan_*` lists warnings,
and `schedule_*` raises `NeedsConfirmation` with them unless the caller confirms.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import BatchStatus, MessageEvent, SessionStatus, SessionType
from institute_core.messaging import events
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    BatchMember,
    Enrollment,
    Faculty,
    FlexibleBatch,
    LearningSession,
    Student,
    Subject,
    User,
)
from institute_core.services.common import (
    SessionKey,
    SessionKind,
    full_name,
    minutes_between,
    parse_hhmm,
)
from institute_core.services.schedule import WEEKDAYS, batch_slot, meets_on
from institute_core.validation import InvalidInput


class NeedsConfirmation(Exception):
    """The plan breaks a limit; schedule again with `confirm=True` to go ahead anyway."""

    def __init__(self, warnings: Sequence[str]) -> None:
        self.warnings = tuple(warnings)
        super().__init__("; ".join(warnings))


@dataclass(frozen=True)
class Scheduled:
    key: SessionKey
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """Something to pick in the scheduling form: an id and how it reads."""

    id: uuid.UUID
    label: str


@dataclass(frozen=True)
class StudentChoice:
    """A student the faculty member teaches, with the subjects they teach them."""

    id: uuid.UUID
    label: str
    subjects: tuple[Choice, ...]


@dataclass(frozen=True)
class SchedulingChoices:
    """Who and what a faculty member can schedule."""

    students: tuple[StudentChoice, ...]
    batches: tuple[Choice, ...]


def scheduling_choices(replica: Replica, faculty_id: uuid.UUID) -> SchedulingChoices:
    """The faculty member's enrolled students (with subjects) and active batches, by name."""
    with replica.read() as session:
        rows = session.execute(
            select(Student.id, Student.enrollment_no, User.first_name, User.last_name,
                   Subject.id.label("subject_id"), Subject.name)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(User, User.id == Student.user_id)
            .join(Subject, Subject.id == Enrollment.subject_id)
            .where(Enrollment.faculty_id == faculty_id, Enrollment.deleted_at.is_(None),
                   Student.deleted_at.is_(None))
            .order_by(User.first_name, User.last_name, Subject.name))
        labels: dict[uuid.UUID, str] = {}
        subjects: dict[uuid.UUID, list[Choice]] = {}
        for r in rows:
            labels[r.id] = f"{full_name(r.first_name, r.last_name)} ({r.enrollment_no})"
            subjects.setdefault(r.id, []).append(Choice(r.subject_id, r.name))
        batches = session.execute(
            select(FlexibleBatch.id, FlexibleBatch.name)
            .where(FlexibleBatch.faculty_id == faculty_id, FlexibleBatch.deleted_at.is_(None),
                   FlexibleBatch.status == BatchStatus.ACTIVE)
            .order_by(FlexibleBatch.name)).all()
    return SchedulingChoices(
        tuple(StudentChoice(i, label, tuple(subjects[i])) for i, label in labels.items()),
        tuple(Choice(b.id, b.name) for b in batches))


@dataclass(frozen=True)
class _Busy:
    start: time | None
    end: time | None
    students: frozenset[uuid.UUID]
    what: str


def _day_load(session: Session, faculty_id: uuid.UUID, on: date,
              skip: SessionKey | None = None) -> list[_Busy]:
    busy: list[_Busy] = []
    for ls in session.execute(select(LearningSession).where(
            LearningSession.faculty_id == faculty_id, LearningSession.session_date == on,
            LearningSession.deleted_at.is_(None),
            LearningSession.status != SessionStatus.CANCELLED)).scalars():
        if skip is not None and skip.id == ls.id:
            continue
        busy.append(_Busy(ls.start_time, ls.end_time, frozenset({ls.student_id}),
                          "an individual session"))
    for batch in session.execute(select(FlexibleBatch).where(
            FlexibleBatch.faculty_id == faculty_id, FlexibleBatch.deleted_at.is_(None),
            FlexibleBatch.status == BatchStatus.ACTIVE, FlexibleBatch.start_date <= on)).scalars():
        if (batch.end_date and batch.end_date < on) or not meets_on(batch.schedule, on):
            continue
        if skip is not None and skip.id == batch.id:
            continue
        members = frozenset(session.execute(select(BatchMember.student_id).where(
            BatchMember.batch_id == batch.id, BatchMember.deleted_at.is_(None))).scalars())
        start, end = batch_slot(batch.schedule, on)
        busy.append(_Busy(start, end, members, f"batch {batch.name}"))
    return busy


def _available(faculty: Faculty, on: date, start: time, end: time) -> bool:
    slots = faculty.available_time_slots or {}
    days = slots.get("days")
    if not days:
        return True  # no availability recorded: nothing to check against
    day = WEEKDAYS[on.weekday()]
    for entry in days:
        if str(entry.get("day", "")).lower() != day:
            continue
        for slot in entry.get("slots") or []:
            s, e = parse_hhmm(slot.get("start")), parse_hhmm(slot.get("end"))
            if s is not None and e is not None and s <= start and end <= e:
                return True
    return False


def _warnings(session: Session, faculty_id: uuid.UUID, on: date, start: time, end: time,
              students: frozenset[uuid.UUID], skip: SessionKey | None = None) -> list[str]:
    if start >= end:
        raise InvalidInput("learning_sessions", "start_time", "must be earlier than the end time",
                           start.isoformat())
    faculty = session.get(Faculty, faculty_id)
    if faculty is None:
        raise InvalidInput("faculties", "id", "no such faculty member", str(faculty_id))
    warnings = []
    if not _available(faculty, on, start, end):
        warnings.append(f"{start:%H:%M}–{end:%H:%M} on {WEEKDAYS[on.weekday()].title()} is "
                        "outside the faculty member's available hours")
    busy = _day_load(session, faculty_id, on, skip)
    for b in busy:
        if b.start and b.end and b.start < end and start < b.end:
            warnings.append(f"overlaps {b.what} ({b.start:%H:%M}–{b.end:%H:%M})")
    minutes = sum(minutes_between(b.start, b.end) for b in busy) + minutes_between(start, end)
    max_hours = faculty.max_hours_per_day or 8
    if minutes > max_hours * 60:
        warnings.append(f"{minutes / 60:.1f} hours that day, more than the maximum of "
                        f"{max_hours}")
    people = set(students).union(*(b.students for b in busy))
    max_students = faculty.max_students_per_day or 10
    if len(people) > max_students:
        warnings.append(f"{len(people)} students that day, more than the maximum of "
                        f"{max_students}")
    return warnings


def plan_individual(replica: Replica, *, faculty_id: uuid.UUID, student_id: uuid.UUID,
                    on: date, start: time, end: time) -> tuple[str, ...]:
    """Warnings for an individual session planned at this time (empty when all is well)."""
    with replica.read() as session:
        return tuple(_warnings(session, faculty_id, on, start, end, frozenset({student_id})))


def recheck(session: Session, key: SessionKey) -> tuple[str, ...]:
    """The warnings scheduling this existing session (or batch meeting) would give now, the
    session itself left out of its day: how a generated or imported calendar is checked
    against the same limits a person meets when scheduling."""
    if key.kind == SessionKind.INDIVIDUAL:
        row = session.get(LearningSession, key.id)
        if row is None or row.start_time is None or row.end_time is None:
            raise InvalidInput("learning_sessions", "id", "no such session", str(key.id))
        return tuple(_warnings(session, row.faculty_id, row.session_date, row.start_time,
                               row.end_time, frozenset({row.student_id}), skip=key))
    batch = session.get(FlexibleBatch, key.id)
    if batch is None:
        raise InvalidInput("flexible_batches", "id", "no such batch", str(key.id))
    start, end = batch_slot(batch.schedule, key.on)
    if start is None or end is None:
        raise InvalidInput("flexible_batches", "schedule", "does not meet on that day",
                           key.on.isoformat())
    members = frozenset(session.execute(select(BatchMember.student_id).where(
        BatchMember.batch_id == batch.id, BatchMember.deleted_at.is_(None))).scalars())
    return tuple(_warnings(session, batch.faculty_id, key.on, start, end, members, skip=key))


def schedule_individual(replica: Replica, actor: Actor, *, faculty_id: uuid.UUID,
                        student_id: uuid.UUID, subject_id: uuid.UUID, on: date, start: time,
                        end: time, location: str | None = None,
                        confirm: bool = False) -> Scheduled:
    """Create an individual session; raises NeedsConfirmation for warnings not confirmed."""
    with replica.write(actor) as session:
        warnings = _warnings(session, faculty_id, on, start, end, frozenset({student_id}))
        if warnings and not confirm:
            raise NeedsConfirmation(warnings)
        row = LearningSession(student_id=student_id, faculty_id=faculty_id,
                              subject_id=subject_id, session_date=on, start_time=start,
                              end_time=end, duration_minutes=minutes_between(start, end),
                              session_type=SessionType.INDIVIDUAL.value, location=location,
                              status=SessionStatus.SCHEDULED.value)
        session.add(row)
        session.flush()
        return Scheduled(SessionKey.individual(row.id, on), tuple(warnings))


def _schedule_doc(batch: FlexibleBatch) -> dict[str, Any]:
    # A fresh dict: assigning a new object is what makes the JSON column count as changed.
    doc = dict(batch.schedule or {})
    doc["extra"] = list(doc.get("extra") or [])
    doc["cancelled"] = list(doc.get("cancelled") or [])
    return doc


def schedule_batch_meeting(replica: Replica, actor: Actor, *, batch_id: uuid.UUID, on: date,
                           start: time, end: time, confirm: bool = False) -> Scheduled:
    """Add a one-off meeting of a batch (kept in the batch's schedule)."""
    with replica.write(actor) as session:
        batch = session.get(FlexibleBatch, batch_id)
        if batch is None or batch.deleted_at is not None:
            raise InvalidInput("flexible_batches", "id", "no such batch", str(batch_id))
        members = frozenset(session.execute(select(BatchMember.student_id).where(
            BatchMember.batch_id == batch_id, BatchMember.deleted_at.is_(None))).scalars())
        warnings = _warnings(session, batch.faculty_id, on, start, end, members,
                             skip=SessionKey.batch(batch_id, on))
        if warnings and not confirm:
            raise NeedsConfirmation(warnings)
        doc = _schedule_doc(batch)
        doc["extra"] = [e for e in doc["extra"] if e.get("date") != on.isoformat()]
        doc["extra"].append({"date": on.isoformat(), "start": f"{start:%H:%M}",
                             "end": f"{end:%H:%M}"})
        doc["cancelled"] = [d for d in doc["cancelled"] if d != on.isoformat()]
        batch.schedule = doc
        return Scheduled(SessionKey.batch(batch_id, on), tuple(warnings))


def cancel(replica: Replica, actor: Actor, key: SessionKey) -> None:
    """Cancel an individual session, or one day's meeting of a batch; the guardians hear of it
    when a `session_cancelled` trigger is on (queued in the same unit of work)."""
    with replica.write(actor) as session:
        if key.kind is SessionKind.INDIVIDUAL:
            row = session.get(LearningSession, key.id)
            if row is None:
                raise InvalidInput("learning_sessions", "id", "no such session", str(key.id))
            if row.status != SessionStatus.CANCELLED:
                row.status = SessionStatus.CANCELLED.value
                events.after_session_change(session, MessageEvent.SESSION_CANCELLED,
                                            [row.student_id], row.session_date, row.subject_id,
                                            actor.user_id)
            return
        batch = session.get(FlexibleBatch, key.id)
        if batch is None:
            raise InvalidInput("flexible_batches", "id", "no such batch", str(key.id))
        doc = _schedule_doc(batch)
        if key.on.isoformat() not in doc["cancelled"]:
            doc["cancelled"].append(key.on.isoformat())
            batch.schedule = doc
            events.after_session_change(session, MessageEvent.SESSION_CANCELLED,
                                        _members(session, batch.id), key.on, batch.subject_id,
                                        actor.user_id)


def _members(session: Session, batch_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.execute(select(BatchMember.student_id).where(
        BatchMember.batch_id == batch_id, BatchMember.deleted_at.is_(None))).scalars())


def reschedule(replica: Replica, actor: Actor, session_id: uuid.UUID, *, on: date,
               start: time, end: time) -> None:
    """Move an individual session to another day or time; the guardian hears of it when a
    `session_rescheduled` trigger is on."""
    if end <= start:
        raise InvalidInput("learning_sessions", "end_time", "is not after the start",
                           f"{start:%H:%M}-{end:%H:%M}")
    with replica.write(actor) as session:
        row = session.get(LearningSession, session_id)
        if row is None or row.deleted_at is not None:
            raise InvalidInput("learning_sessions", "id", "no such session", str(session_id))
        was = row.session_date
        row.session_date, row.start_time, row.end_time = on, start, end
        row.duration_minutes = minutes_between(start, end)
        events.after_session_change(session, MessageEvent.SESSION_RESCHEDULED,
                                    [row.student_id], was, row.subject_id, actor.user_id,
                                    new_day=on)


def mark_no_show(replica: Replica, actor: Actor, session_id: uuid.UUID) -> None:
    """The student of an individual session did not come."""
    with replica.write(actor) as session:
        row = session.get(LearningSession, session_id)
        if row is None:
            raise InvalidInput("learning_sessions", "id", "no such session", str(session_id))
        row.status = SessionStatus.NO_SHOW.value
