"""Taking attendance for a session: marks, check-in times, topics, understanding, notes.

Every function writes through `replica.write(actor)` and returns what it wrote as value objects,
so a screen can save each keystroke immediately (auto-save) and show the saved state.
Progress of the tagged topics is recomputed in the same transaction (see `progress`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import AttendanceStatus
from institute_core.ids import natural_id
from institute_core.messaging import absences
from institute_core.replica import Actor, Replica
from institute_core.schema import (
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchMember,
    BatchSessionAttendance,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    Student,
    Topic,
    User,
)
from institute_core.schema.types import utcnow
from institute_core.services.common import (
    SessionKey,
    SessionKind,
    faculty_id_of,
    full_name,
)
from institute_core.services.progress import ATTENDED, recompute
from institute_core.services.schedule import batch_slot
from institute_core.validation import InvalidInput

# One key per status on the quick attendance screen.
STATUS_KEYS: dict[str, AttendanceStatus] = {
    "p": AttendanceStatus.PRESENT, "a": AttendanceStatus.ABSENT,
    "l": AttendanceStatus.LATE, "e": AttendanceStatus.EXCUSED,
}


@dataclass(frozen=True)
class TaggedTopic:
    """A topic covered by one student in this session, with their understanding (1-5)."""

    topic_id: uuid.UUID
    name: str
    level: int | None


@dataclass(frozen=True)
class RosterRow:
    """One student on the attendance sheet of a session."""

    student_id: uuid.UUID
    position: int
    enrollment_no: str
    name: str
    status: AttendanceStatus | None
    check_in: time | None
    notes: str
    topics: tuple[TaggedTopic, ...] = ()
    prep: Mapping[str, Any] | None = None

    @property
    def marked(self) -> bool:
        return self.status is not None


@dataclass(frozen=True)
class Roster:
    """The sheet of one session: who, and what is marked so far."""

    key: SessionKey
    title: str
    subject_id: uuid.UUID
    rows: tuple[RosterRow, ...]


# --- reading -------------------------------------------------------------------------------------


def _students(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    rows = session.execute(select(Student.id, Student.enrollment_no, User.first_name,
                                  User.last_name)
                           .join(User, User.id == Student.user_id)
                           .where(Student.id.in_(list(ids))))
    return {r.id: (r.enrollment_no, full_name(r.first_name, r.last_name)) for r in rows}


def _roster_students(session: Session, key: SessionKey) -> tuple[str, uuid.UUID, list[uuid.UUID]]:
    """Title, subject and student ids of a session, or InvalidInput when it does not exist."""
    if key.kind is SessionKind.INDIVIDUAL:
        found = session.get(LearningSession, key.id)
        if found is None or found.deleted_at is not None:
            raise InvalidInput("learning_sessions", "id", "no such session", str(key.id))
        return "Individual session", found.subject_id, [found.student_id]
    batch = session.get(FlexibleBatch, key.id)
    if batch is None or batch.deleted_at is not None:
        raise InvalidInput("flexible_batches", "id", "no such batch", str(key.id))
    members = session.execute(
        select(BatchMember.student_id).where(
            BatchMember.batch_id == key.id, BatchMember.deleted_at.is_(None),
            BatchMember.joined_on <= key.on,
            (BatchMember.left_on.is_(None)) | (BatchMember.left_on >= key.on))).scalars().all()
    return batch.name, batch.subject_id, list(members)


def _attendance_rows(session: Session, key: SessionKey) -> dict[uuid.UUID, Any]:
    """student id -> live attendance row of the session (deleted ones included)."""
    rows: Any
    if key.kind is SessionKind.INDIVIDUAL:
        rows = session.execute(select(SessionAttendance).where(
            SessionAttendance.session_id == key.id)).scalars()
    else:
        rows = session.execute(select(BatchSessionAttendance).where(
            BatchSessionAttendance.batch_id == key.id,
            BatchSessionAttendance.session_date == key.on)).scalars()
    return {r.student_id: r for r in rows}


def _topic_model(key: SessionKey) -> Any:
    return AttendanceTopic if key.kind is SessionKind.INDIVIDUAL else BatchAttendanceTopic


def _topic_fk(key: SessionKey) -> str:
    return "attendance_id" if key.kind is SessionKind.INDIVIDUAL else "batch_attendance_id"


def _tags(session: Session, key: SessionKey,
          attendance_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[TaggedTopic]]:
    model = _topic_model(key)
    fk = getattr(model, _topic_fk(key))
    result: dict[uuid.UUID, list[TaggedTopic]] = {}
    if not attendance_ids:
        return result
    rows = session.execute(select(fk.label("attendance_id"), model.topic_id,
                                  model.understanding_level, Topic.name, Topic.order_index)
                           .join(Topic, Topic.id == model.topic_id)
                           .where(fk.in_(attendance_ids), model.deleted_at.is_(None))
                           .order_by(Topic.order_index))
    for r in rows:
        result.setdefault(r.attendance_id, []).append(
            TaggedTopic(r.topic_id, r.name, r.understanding_level))
    return result


def _notes_of(row: Any) -> str:
    if isinstance(row, SessionAttendance):
        return row.faculty_notes or ""
    return row.notes or ""


def load_roster(replica: Replica, key: SessionKey) -> Roster:
    """The attendance sheet of a session, students ordered by enrollment number."""
    with replica.read() as session:
        title, subject_id, student_ids = _roster_students(session, key)
        people = _students(session, student_ids)
        marks = {s: r for s, r in _attendance_rows(session, key).items() if r.deleted_at is None}
        tags = _tags(session, key, [r.id for r in marks.values()])
        ordered = sorted(student_ids, key=lambda s: (people.get(s, ("", ""))[0], str(s)))
        rows = []
        for position, student_id in enumerate(ordered, start=1):
            number, name = people.get(student_id, ("?", "?"))
            mark = marks.get(student_id)
            rows.append(RosterRow(
                student_id=student_id, position=position, enrollment_no=number, name=name,
                status=AttendanceStatus(mark.attendance_status) if mark else None,
                check_in=mark.check_in_time if mark else None,
                notes=_notes_of(mark) if mark else "",
                topics=tuple(tags.get(mark.id, ())) if mark else (),
                prep=getattr(mark, "next_session_prep", None) if mark else None))
        if key.kind is SessionKind.INDIVIDUAL and rows:
            title = f"{title} – {rows[0].name}"  # which student, not just "individual"
        return Roster(key, title, subject_id, tuple(rows))


# --- marking -------------------------------------------------------------------------------------


# How long before its start and after its end a session counts as "on" for check-ins.
CHECK_IN_SLACK = timedelta(minutes=30)


def check_in_time(marked: datetime, day: date, start: time | None,
                  end: time | None) -> time:
    """The check-in recorded for a student marked present or late at `marked` (local time):
    that moment while the session is on (its day, from `CHECK_IN_SLACK` before its start to as
    long after its end); the session's start when marked at any other time, after the fact
    or ahead (a 15:00 class marked at 11:50 did not start at 11:50); the moment itself when the
    session's times are not known."""
    now = marked.replace(microsecond=0)
    if start is None or end is None:
        return now.time()
    opens = datetime.combine(day, start) - CHECK_IN_SLACK
    closes = datetime.combine(day, end) + CHECK_IN_SLACK
    return now.time() if opens <= now <= closes else start


def _session_times(session: Session, key: SessionKey) -> tuple[time | None, time | None]:
    if key.kind is SessionKind.INDIVIDUAL:
        row = session.get(LearningSession, key.id)
        return (None, None) if row is None else (row.start_time, row.end_time)
    batch = session.get(FlexibleBatch, key.id)
    return (None, None) if batch is None else batch_slot(batch.schedule, key.on)


def _new_attendance(key: SessionKey, student_id: uuid.UUID, status: str) -> Any:
    if key.kind is SessionKind.INDIVIDUAL:
        return SessionAttendance(session_id=key.id, student_id=student_id,
                                 attendance_status=status)
    return BatchSessionAttendance(batch_id=key.id, session_date=key.on, student_id=student_id,
                                  attendance_status=status)


def _recompute_tagged(session: Session, key: SessionKey, rows: list[Any],
                      faculty_id: uuid.UUID | None) -> None:
    """Recompute the progress of every topic tagged on these attendance rows.

    One query for all rows (one autoflush): a per-row query would flush row by row.
    """
    if not rows:
        return
    model = _topic_model(key)
    fk = getattr(model, _topic_fk(key))
    student_of = {r.id: r.student_id for r in rows}
    tags = session.execute(select(fk, model.topic_id).where(
        fk.in_(list(student_of)), model.deleted_at.is_(None))).all()
    for attendance_id, topic_id in tags:
        recompute(session, student_of[attendance_id], topic_id, faculty_id)


def _apply_mark(session: Session, key: SessionKey, existing: dict[uuid.UUID, Any],
                student_id: uuid.UUID, status: AttendanceStatus | None,
                at: time | None) -> Any:
    """Set one mark; returns the row when its tagged topics' progress must be recomputed."""
    row = existing.get(student_id)
    before = None if row is None or row.deleted_at is not None else row.attendance_status
    if status is None:
        if row is not None and row.deleted_at is None:
            row.deleted_at = utcnow()
            # A later re-mark starts fresh: the check-in belonged to the undone mark.
            row.check_in_time = None
            return row if before in ATTENDED else None
        return None
    new = row is None
    if row is None:
        row = _new_attendance(key, student_id, status.value)
        session.add(row)
        existing[student_id] = row
    else:
        row.deleted_at = None
        if row.attendance_status != status.value:
            row.attendance_status = status.value
    # Check-in is the moment a student is seen; an absence has none.
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
        if row.check_in_time is None:
            row.check_in_time = at or check_in_time(datetime.now(), key.on,
                                                    *_session_times(session, key))
    elif row.check_in_time is not None:
        row.check_in_time = None
    # A new row has no topics yet; otherwise only a change of attended-or-not matters.
    return row if not new and (before in ATTENDED) != (status.value in ATTENDED) else None


def mark_many(replica: Replica, actor: Actor, key: SessionKey,
              marks: Mapping[uuid.UUID, AttendanceStatus | None], *,
              only_unmarked: bool = False, at: time | None = None) -> dict[uuid.UUID, Any]:
    """Set the status of several students in one transaction; None clears a mark (undo).

    `only_unmarked` leaves every student who already has a mark as they are – an excused
    absence entered in advance is never overwritten by "mark all".
    Returns student id -> (status, check-in) as saved, for the students changed.
    """
    with replica.write(actor) as session:
        _title, _subject, members = _roster_students(session, key)
        unknown = set(marks) - set(members)
        if unknown:
            raise InvalidInput("session_attendance", "student_id",
                               "is not on this session's roster", str(next(iter(unknown))))
        existing = _attendance_rows(session, key)
        saved: dict[uuid.UUID, Any] = {}
        changed: list[Any] = []
        for student_id, status in marks.items():
            current = existing.get(student_id)
            if only_unmarked and current is not None and current.deleted_at is None:
                continue
            row = _apply_mark(session, key, existing, student_id, status, at)
            if row is not None:
                changed.append(row)
            row = existing.get(student_id)
            if row is None or row.deleted_at is not None:
                saved[student_id] = (None, None)
            else:
                saved[student_id] = (AttendanceStatus(row.attendance_status), row.check_in_time)
        if changed:  # only a row with tagged topics needs the faculty (one query saved)
            _recompute_tagged(session, key, changed, faculty_id_of(session, actor.user_id))
        # Absence alerts to guardians queue (or a correction cancels them) with the marks.
        absences.after_marks(session, actor.user_id, key.on, _subject,
                             {s: status for s, (status, _t) in saved.items()})
        return saved


def mark(replica: Replica, actor: Actor, key: SessionKey, student_id: uuid.UUID,
         status: AttendanceStatus | None, *, at: time | None = None) -> tuple[Any, Any]:
    """Mark one student (None clears the mark); returns (status, check-in) as saved."""
    return mark_many(replica, actor, key, {student_id: status}, at=at)[student_id]


def mark_all(replica: Replica, actor: Actor, key: SessionKey,
             status: AttendanceStatus = AttendanceStatus.PRESENT) -> dict[uuid.UUID, Any]:
    """Give every student not yet marked `status`; marked students (excused ones) stay."""
    with replica.read() as session:
        _title, _subject, members = _roster_students(session, key)
    return mark_many(replica, actor, key, dict.fromkeys(members, status), only_unmarked=True)


# --- quick entry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuickEntry:
    """What the quick-entry box understood: who is absent; the rest of the unmarked present."""

    absent: tuple[uuid.UUID, ...]
    problems: tuple[str, ...]


def parse_quick_entry(text: str, rows: Sequence[RosterRow]) -> QuickEntry:
    """Read "3 7 12" (positions), enrollment numbers, or first letters of names ("ra su").

    A token matching nobody or several students is a problem, named in the result, and nothing
    is marked for it – the caller shows the problems and marks nothing until they are fixed.
    """
    absent: list[uuid.UUID] = []
    problems: list[str] = []
    for token in text.replace(",", " ").split():
        lowered = token.lower()
        found: list[RosterRow] = []
        if token.isdigit():
            found = [r for r in rows if r.position == int(token)]
        if not found:
            found = [r for r in rows if r.enrollment_no.lower() == lowered]
        if not found:
            found = [r for r in rows if r.name.lower().startswith(lowered)]
        if not found:
            found = [r for r in rows if any(part.startswith(lowered)
                                            for part in r.name.lower().split())]
        if len(found) == 1:
            absent.append(found[0].student_id)
        elif not found:
            problems.append(f"“{token}” matches no student")
        else:
            names = ", ".join(r.name for r in found[:4])
            problems.append(f"“{token}” matches {len(found)} students ({names}); type more")
    return QuickEntry(tuple(dict.fromkeys(absent)), tuple(problems))


def apply_quick_entry(replica: Replica, actor: Actor, key: SessionKey,
                      entry: QuickEntry, rows: Sequence[RosterRow]) -> dict[uuid.UUID, Any]:
    """Mark the named students absent and every other unmarked student present, at once.

    Students already marked excused stay excused even when named.
    """
    return mark_many(replica, actor, key, quick_entry_marks(entry, rows))


def quick_entry_marks(entry: QuickEntry,
                      rows: Sequence[RosterRow]) -> dict[uuid.UUID, AttendanceStatus | None]:
    """The marks a quick entry stands for; InvalidInput when it has problems."""
    if entry.problems:
        raise InvalidInput("session_attendance", "student_id", "; ".join(entry.problems))
    named = set(entry.absent)
    marks: dict[uuid.UUID, AttendanceStatus | None] = {}
    for row in rows:
        if row.status is AttendanceStatus.EXCUSED:
            continue
        if row.student_id in named:
            marks[row.student_id] = AttendanceStatus.ABSENT
        elif row.status is None:
            marks[row.student_id] = AttendanceStatus.PRESENT
    return marks


# --- notes, topics, understanding ------------------------------------------------------------


def _live_attendance(session: Session, key: SessionKey, student_id: uuid.UUID) -> Any:
    table = "session_attendance" if key.kind is SessionKind.INDIVIDUAL \
        else "batch_session_attendance"
    model: Any = SessionAttendance if key.kind is SessionKind.INDIVIDUAL \
        else BatchSessionAttendance
    row_id = natural_id(table, key.id, student_id) if key.kind is SessionKind.INDIVIDUAL \
        else natural_id(table, key.id, key.on, student_id)
    row = session.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise InvalidInput(table, "attendance_status",
                           "mark the student's attendance first", str(student_id))
    return row


def set_notes(replica: Replica, actor: Actor, key: SessionKey, student_id: uuid.UUID,
              notes: str) -> str:
    """Save the faculty's notes on a student's attendance; returns them as saved."""
    with replica.write(actor) as session:
        row = _live_attendance(session, key, student_id)
        value = notes.strip() or None
        field = "faculty_notes" if key.kind is SessionKind.INDIVIDUAL else "notes"
        if getattr(row, field) != value:
            setattr(row, field, value)
        return value or ""


def set_prep(replica: Replica, actor: Actor, key: SessionKey, student_id: uuid.UUID, *,
             review: Sequence[uuid.UUID], new: Sequence[uuid.UUID]) -> dict[str, list[str]]:
    """Next-session preparation of an individual session: topics to review and new topics."""
    if key.kind is not SessionKind.INDIVIDUAL:
        raise InvalidInput("batch_session_attendance", "next_session_prep",
                           "batch attendance has no next-session preparation; use the notes")
    prep = {"topics_to_review": [str(t) for t in review], "new_topics": [str(t) for t in new]}
    with replica.write(actor) as session:
        row = _live_attendance(session, key, student_id)
        if row.next_session_prep != prep:
            row.next_session_prep = prep
    return prep


def tag_topic(replica: Replica, actor: Actor, key: SessionKey, topic_id: uuid.UUID,
              student_ids: Sequence[uuid.UUID] | None = None, *,
              level: int | None = None) -> tuple[uuid.UUID, ...]:
    """Tag a topic as covered for some students, or (None) every present or late student.

    A named student who is absent is refused (InvalidInput); with the whole batch, absent
    students are simply left out. Returns the students tagged.
    """
    if level is not None and not 1 <= level <= 5:
        raise InvalidInput("attendance_topics", "understanding_level", "must be from 1 to 5",
                           level)
    model = _topic_model(key)
    fk = _topic_fk(key)
    with replica.write(actor) as session:
        faculty_id = faculty_id_of(session, actor.user_id)
        rows = _attendance_rows(session, key)
        if student_ids is None:
            targets = [r for r in rows.values()
                       if r.deleted_at is None and r.attendance_status in ATTENDED]
        else:
            targets = []
            for student_id in student_ids:
                row = _live_attendance(session, key, student_id)
                if row.attendance_status not in ATTENDED:
                    raise InvalidInput(model.__tablename__, "topic_id",
                                       "only a present or late student can cover a topic",
                                       str(student_id))
                targets.append(row)
        for row in targets:
            tag = session.get(model, natural_id(model.__tablename__, row.id, topic_id))
            if tag is None:
                tag = model(**{fk: row.id}, topic_id=topic_id, understanding_level=level)
                session.add(tag)
            else:
                tag.deleted_at = None
                if level is not None and tag.understanding_level != level:
                    tag.understanding_level = level
        session.flush()
        for row in targets:
            recompute(session, row.student_id, topic_id, faculty_id)
        return tuple(r.student_id for r in targets)


def untag_topic(replica: Replica, actor: Actor, key: SessionKey, topic_id: uuid.UUID,
                student_ids: Sequence[uuid.UUID]) -> None:
    """Remove a topic tag (soft delete) and recompute the students' progress."""
    model = _topic_model(key)
    with replica.write(actor) as session:
        faculty_id = faculty_id_of(session, actor.user_id)
        for student_id in student_ids:
            row = _live_attendance(session, key, student_id)
            tag = session.get(model, natural_id(model.__tablename__, row.id, topic_id))
            if tag is not None and tag.deleted_at is None:
                tag.deleted_at = utcnow()
                session.flush()
                recompute(session, student_id, topic_id, faculty_id)


def set_level(replica: Replica, actor: Actor, key: SessionKey, student_id: uuid.UUID,
              topic_id: uuid.UUID, level: int | None) -> None:
    """Rate a student's understanding (1-5) of a topic covered in this session."""
    if level is not None and not 1 <= level <= 5:
        raise InvalidInput("attendance_topics", "understanding_level", "must be from 1 to 5",
                           level)
    model = _topic_model(key)
    with replica.write(actor) as session:
        faculty_id = faculty_id_of(session, actor.user_id)
        row = _live_attendance(session, key, student_id)
        tag = session.get(model, natural_id(model.__tablename__, row.id, topic_id))
        if tag is None or tag.deleted_at is not None:
            raise InvalidInput(model.__tablename__, "topic_id",
                               "tag the topic for this student first", str(topic_id))
        if tag.understanding_level != level:
            tag.understanding_level = level
            session.flush()
            recompute(session, student_id, topic_id, faculty_id)
