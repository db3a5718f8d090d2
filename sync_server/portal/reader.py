"""What each portal page shows, read from PostgreSQL through the sync read scopes.

Every query of a student's rows is limited by `scopes.visible(table, viewer)`, the same
predicate a student's desk pulls with (policy.OWN_STUDENT_ROWS), and the viewer is pinned to
the session's student records: a page has no student id of its own to change. Figures come from
the analytics the admin desk's reports use (progress payload, attendance marks, prediction), so
the portal and the printed report never disagree.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from institute_core.analytics import attendance
from institute_core.analytics.period import Period
from institute_core.enums import ActiveStatus, SessionStatus
from institute_core.fees.documents import MODE_NAMES
from institute_core.fees.ledger import VOIDING, ledgers
from institute_core.fees.money import ZERO
from institute_core.notices.announcements import Notice, notices
from institute_core.reports.common import faculty_names, students_info, subject_names
from institute_core.reports.progress import collect_progress
from institute_core.schema import table_of
from institute_core.services.schedule import WEEKDAYS, location_of
from institute_core.services.today import MISSED_FROM, missed_topics
from institute_core.sync.scopes import Viewer, visible

UPCOMING_DAYS = 28
UPCOMING_LIMIT = 20
HISTORY_DAYS = 90
FEEDBACK_SESSION_DAYS = 45


def _own(table: str, viewer: Viewer) -> Any:
    """The rows of `table` the viewer may read, not deleted."""
    t = table_of(table)
    return visible(table, viewer) & t.c.deleted_at.is_(None)


def student_ids(viewer: Viewer) -> list[uuid.UUID]:
    """The viewer's student records: the session read them through the students table's
    scope (sessions.read_session) when the request began."""
    return list(viewer.own or ())


@dataclass(frozen=True)
class StudentHeader:
    names: tuple[str, ...]
    enrollment_nos: tuple[str, ...]


def header(conn: Connection, viewer: Viewer) -> StudentHeader:
    ids = student_ids(viewer)
    info = students_info(conn, ids)
    return StudentHeader(tuple(info[i].name for i in ids if i in info),
                         tuple(info[i].enrollment_no for i in ids if i in info))


# --- schedule ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class UpcomingSession:
    day: date
    start: time
    end: time
    subject: str
    faculty: str
    place: str | None
    status: str


@dataclass(frozen=True)
class BatchRow:
    name: str
    subject: str
    faculty: str
    meets: tuple[tuple[str, str, str], ...]  # (weekday, start, end)
    place: str | None
    joined_on: date


@dataclass(frozen=True)
class Schedule:
    sessions: list[UpcomingSession]
    batches: list[BatchRow]


def schedule(conn: Connection, viewer: Viewer, today: date) -> Schedule:
    ses = table_of("learning_sessions")
    subjects = subject_names(conn)
    faculties = faculty_names(conn)
    rows = conn.execute(
        select(ses.c.session_date, ses.c.start_time, ses.c.end_time, ses.c.subject_id,
               ses.c.faculty_id, ses.c.location, ses.c.status)
        .where(_own("learning_sessions", viewer), ses.c.session_date >= today,
               ses.c.session_date <= today + timedelta(days=UPCOMING_DAYS),
               ses.c.status != SessionStatus.CANCELLED.value)
        .order_by(ses.c.session_date, ses.c.start_time).limit(UPCOMING_LIMIT))
    sessions = [UpcomingSession(r.session_date, r.start_time, r.end_time,
                                subjects.get(r.subject_id, ""), faculties.get(r.faculty_id, ""),
                                r.location, r.status) for r in rows]
    return Schedule(sessions, _batches(conn, viewer, subjects, faculties))


def _batches(conn: Connection, viewer: Viewer, subjects: dict[uuid.UUID, str],
             faculties: dict[uuid.UUID, str]) -> list[BatchRow]:
    """The batches the student belongs to now: their own membership rows (scoped), with the
    batch's name and weekly times (the timetable a member is given)."""
    mem, bat = table_of("batch_members"), table_of("flexible_batches")
    rows = conn.execute(
        select(bat.c.name, bat.c.subject_id, bat.c.faculty_id, bat.c.schedule, mem.c.joined_on)
        .join(bat, bat.c.id == mem.c.batch_id)
        .where(_own("batch_members", viewer), mem.c.left_on.is_(None),
               bat.c.deleted_at.is_(None))
        .order_by(bat.c.name))
    result = []
    for r in rows:
        weekly = (r.schedule or {}).get("weekly") or []
        meets = tuple(sorted(
            ((str(e.get("day", "")).lower(), str(e.get("start", "")), str(e.get("end", "")))
             for e in weekly if str(e.get("day", "")).lower() in WEEKDAYS),
            key=lambda m: WEEKDAYS.index(m[0])))
        result.append(BatchRow(r.name, subjects.get(r.subject_id, ""),
                               faculties.get(r.faculty_id, ""), meets,
                               location_of(r.schedule), r.joined_on))
    return result


# --- progress ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    subjects: list[dict[str, Any]]
    topics: dict[str, list[dict[str, Any]]]
    missed: list[tuple[str, str]] = field(default_factory=list)  # (subject, topic)


def progress(conn: Connection, viewer: Viewer, today: date) -> Progress:
    """Subjects with predicted completion and its range, topic status and competency (the
    progress report's own payload), and topics missed while absent from a batch."""
    ids = student_ids(viewer)
    if not ids:
        return Progress([], {})
    payloads = collect_progress(conn, ids, Period(today.replace(day=1), today), today,
                                sections=("subjects", "topics"))
    subjects = [s for p in payloads for s in p["subjects"]]
    topics: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in payloads:
        for t in p["topics"]:
            topics[t["subject"]].append(t)
    return Progress(subjects, dict(topics), _missed(conn, viewer, ids, today))


def _missed(conn: Connection, viewer: Viewer, ids: list[uuid.UUID],
            today: date) -> list[tuple[str, str]]:
    bsa, top, subjects = (table_of("batch_session_attendance"), table_of("topics"),
                          subject_names(conn))
    # Only batches the student was away from (their own marks, scoped) can have left
    # something to catch up on: most students have none, and the page then skips the work.
    batches = conn.execute(select(bsa.c.batch_id).where(
        _own("batch_session_attendance", viewer),
        bsa.c.attendance_status.in_(MISSED_FROM), bsa.c.session_date <= today)
        .distinct()).scalars().all()
    found: set[uuid.UUID] = set()
    for batch_id in batches:
        for topics in missed_topics(conn, batch_id, today + timedelta(days=1), ids).values():
            found |= topics
    if not found:
        return []
    rows = conn.execute(select(top.c.subject_id, top.c.name, top.c.order_index)
                        .where(top.c.id.in_(found), top.c.deleted_at.is_(None),
                               top.c.status == ActiveStatus.ACTIVE.value)
                        .order_by(top.c.subject_id, top.c.order_index))
    return [(subjects.get(r.subject_id, ""), r.name) for r in rows]


# --- attendance -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceMarkRow:
    day: date
    subject: str
    kind: str  # "session" or "batch"
    status: str


@dataclass(frozen=True)
class AttendancePage:
    period: Period
    summary: attendance.AttendanceSummary
    longest_absences: int
    current_absences: int
    attended_in_a_row: int
    history: list[AttendanceMarkRow]


def attendance_page(conn: Connection, viewer: Viewer, today: date) -> AttendancePage:
    period = Period.last_days(HISTORY_DAYS, today)
    ids = student_ids(viewer)
    marks = attendance.attendance_marks(conn, period, student_ids=ids) if ids else []
    summary = attendance.summarize(marks)
    streaks = attendance.absence_streaks(marks).values()
    subjects = subject_names(conn)
    in_order = sorted(marks, key=lambda m: m.sort_key)
    run = 0
    for mark in reversed(in_order):  # attended sessions since the last absence
        if mark.status == "excused":
            continue
        if not mark.attended:
            break
        run += 1
    return AttendancePage(
        period, summary, max((s.longest for s in streaks), default=0),
        max((s.current for s in streaks), default=0), run,
        [AttendanceMarkRow(m.day, subjects.get(m.subject_id, ""), m.source, m.status)
         for m in reversed(in_order)])


# --- assessments ------------------------------------------------------------------------------

def assessments(conn: Connection, viewer: Viewer) -> list[dict[str, Any]]:
    a = table_of("assessments")
    subjects = subject_names(conn)
    rows = conn.execute(
        select(a.c.assessment_date, a.c.title, a.c.assessment_type, a.c.subject_id,
               a.c.marks_obtained, a.c.total_marks, a.c.percentage, a.c.grade)
        .where(_own("assessments", viewer))
        .order_by(a.c.assessment_date.desc(), a.c.title))
    return [{"date": r.assessment_date, "title": r.title, "type": r.assessment_type,
             "subject": subjects.get(r.subject_id, ""), "marks": r.marks_obtained,
             "total": r.total_marks, "percentage": r.percentage, "grade": r.grade}
            for r in rows]


# --- feedback ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackTarget:
    """Something feedback can be about: `value` is what the form sends back."""

    value: str
    kind: str  # "session" or "faculty"
    label_day: date | None
    label_name: str


def feedback_targets(conn: Connection, viewer: Viewer, today: date) -> list[FeedbackTarget]:
    """Recent held sessions and the teachers of the student's enrollments and sessions."""
    ses, enr = table_of("learning_sessions"), table_of("student_subject_enrollments")
    subjects, faculties = subject_names(conn), faculty_names(conn)
    sessions = conn.execute(
        select(ses.c.id, ses.c.session_date, ses.c.subject_id)
        .where(_own("learning_sessions", viewer), ses.c.session_date <= today,
               ses.c.session_date >= today - timedelta(days=FEEDBACK_SESSION_DAYS),
               ses.c.status != SessionStatus.CANCELLED.value)
        .order_by(ses.c.session_date.desc()).limit(30)).all()
    teachers = set(conn.execute(select(enr.c.faculty_id).where(
        _own("student_subject_enrollments", viewer))).scalars())
    teachers |= set(conn.execute(select(ses.c.faculty_id).where(
        _own("learning_sessions", viewer))).scalars())
    targets = [FeedbackTarget(f"session:{r.id}", "session", r.session_date,
                              subjects.get(r.subject_id, "")) for r in sessions]
    targets += sorted((FeedbackTarget(f"faculty:{f}", "faculty", None, faculties.get(f, ""))
                       for f in teachers if f is not None), key=lambda t: t.label_name)
    return targets


@dataclass(frozen=True)
class FeedbackChoice:
    """A target resolved against the scopes: the rows the feedback row will name."""

    student_id: uuid.UUID
    feedback_type: str
    faculty_id: uuid.UUID | None
    session_id: uuid.UUID | None


def resolve_target(conn: Connection, viewer: Viewer, value: str) -> FeedbackChoice | None:
    """What a submitted target names, if the viewer may give feedback on it; None otherwise
    (an id of someone else's session or a teacher who never taught them)."""
    kind, _, raw = value.partition(":")
    try:
        target = uuid.UUID(raw)
    except ValueError:
        return None
    ses, enr = table_of("learning_sessions"), table_of("student_subject_enrollments")
    if kind == "session":
        row = conn.execute(select(ses.c.student_id, ses.c.faculty_id).where(
            _own("learning_sessions", viewer), ses.c.id == target)).first()
        return None if row is None else FeedbackChoice(row.student_id, "session",
                                                       row.faculty_id, target)
    if kind == "faculty":
        for table, t in (("student_subject_enrollments", enr), ("learning_sessions", ses)):
            student = conn.execute(select(t.c.student_id).where(
                _own(table, viewer), t.c.faculty_id == target).limit(1)).scalar()
            if student is not None:
                return FeedbackChoice(student, "faculty", target, None)
    return None


def own_feedback(conn: Connection, viewer: Viewer) -> list[dict[str, Any]]:
    fb = table_of("feedback")
    faculties = faculty_names(conn)
    rows = conn.execute(select(fb.c.created_at, fb.c.feedback_type, fb.c.faculty_id,
                               fb.c.rating, fb.c.comments, fb.c.status)
                        .where(_own("feedback", viewer))
                        .order_by(fb.c.created_at.desc()).limit(20))
    return [{"at": r.created_at, "type": r.feedback_type,
             "faculty": faculties.get(r.faculty_id, "") if r.faculty_id else "",
             "rating": r.rating, "comments": r.comments, "status": r.status} for r in rows]


# --- certificates -----------------------------------------------------------------------------

def certificates(conn: Connection, viewer: Viewer) -> list[dict[str, Any]]:
    """The student's certificates, newest first, with the token of their public page."""
    c = table_of("certificates")
    rows = conn.execute(select(c.c.id, c.c.certificate_number, c.c.course_name, c.c.issued_on,
                               c.c.revoked_at, c.c.verification_token)
                        .where(_own("certificates", viewer))
                        .order_by(c.c.issued_on.desc(), c.c.certificate_number))
    return [{"id": r.id, "number": r.certificate_number, "course": r.course_name,
             "issued_on": r.issued_on, "revoked": r.revoked_at is not None,
             "token": r.verification_token} for r in rows]


# --- announcements ----------------------------------------------------------------------------

def announcements(conn: Connection, viewer: Viewer, now: datetime) -> list[Notice]:
    """The notice board a desk of this student would show (not expired, pinned first), read
    through the announcements' sync scope: for everyone, the student role, their batches, in
    their branch."""
    with Session(bind=conn) as session:
        return notices(session, viewer, now, scope=_own("announcements", viewer))


# --- fees -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueRow:
    plan: str
    number: int
    of: int
    due_on: date
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: bool


@dataclass(frozen=True)
class ReceiptRow:
    payment_id: uuid.UUID
    receipt_no: str
    paid_on: date
    amount: Decimal
    mode: str
    status: str | None  # "cancelled", "bounced" or None


@dataclass(frozen=True)
class FeesPage:
    dues: list[DueRow]
    receipts: list[ReceiptRow]
    outstanding: Decimal
    overdue: Decimal
    credit: Decimal
    next_due: DueRow | None  # the next open due not yet overdue (overdue ones are summed)

    @property
    def empty(self) -> bool:
        return not self.dues and not self.receipts


def fees(conn: Connection, viewer: Viewer, today: date) -> FeesPage:
    """What is due (each instalment with its date, paid and still open) and the receipts, from
    the desk's own ledger (institute_core/fees/ledger.py) over the viewer's own money rows."""
    ids = student_ids(viewer)
    pay, ev = table_of("payments"), table_of("payment_events")
    with Session(bind=conn) as session:
        books = ledgers(session, ids)
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for book in books.values():
        for d in book.dues:
            counts[d.plan_id] = max(counts[d.plan_id], d.number)
    dues = [DueRow(d.plan_name, d.number, counts[d.plan_id], d.due_on, d.amount, d.paid,
                   d.outstanding, d.outstanding > 0 and d.due_on < today)
            for book in books.values() for d in book.dues]
    dues.sort(key=lambda d: (d.due_on, d.plan, d.number))
    events = {r.payment_id: r.kind for r in conn.execute(
        select(ev.c.payment_id, ev.c.kind).where(
            _own("payment_events", viewer), ev.c.kind.in_(VOIDING)))}
    receipts = [ReceiptRow(r.id, r.receipt_no, r.paid_on, r.amount,
                           MODE_NAMES.get(r.mode, r.mode), events.get(r.id))
                for r in conn.execute(
                    select(pay.c.id, pay.c.receipt_no, pay.c.paid_on, pay.c.amount, pay.c.mode)
                    .where(_own("payments", viewer))
                    .order_by(pay.c.paid_on.desc(), pay.c.receipt_no.desc()))]
    open_dues = [d for d in dues if d.outstanding > 0]
    return FeesPage(dues, receipts, sum((d.outstanding for d in open_dues), ZERO),
                    sum((d.outstanding for d in open_dues if d.overdue), ZERO),
                    sum((b.credit for b in books.values()), ZERO),
                    next((d for d in open_dues if not d.overdue), None))


def own_payment(conn: Connection, viewer: Viewer, payment_id: str) -> uuid.UUID | None:
    """The payment `payment_id` names if the viewer may read it (their own), else None: a
    malformed id, someone else's receipt and no receipt at all look the same."""
    return _own_row(conn, viewer, "payments", payment_id)


def own_certificate(conn: Connection, viewer: Viewer, certificate_id: str) -> uuid.UUID | None:
    """The certificate `certificate_id` names if it is the viewer's own, else None (as
    `own_payment`)."""
    return _own_row(conn, viewer, "certificates", certificate_id)


def _own_row(conn: Connection, viewer: Viewer, table: str, raw_id: str) -> uuid.UUID | None:
    try:
        wanted = uuid.UUID(raw_id)
    except ValueError:
        return None
    t = table_of(table)
    found: uuid.UUID | None = conn.execute(select(t.c.id).where(
        _own(table, viewer), t.c.id == wanted)).scalar()
    return found


# --- branch -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BranchCard:
    name: str
    address: str | None
    phone: str | None


def branches(conn: Connection, viewer: Viewer) -> list[BranchCard]:
    """The centre(s) of the viewer's own student records (a student record is in one)."""
    st, br = table_of("students"), table_of("branches")
    rows = conn.execute(
        select(br.c.name, br.c.address, br.c.phone).distinct()
        .join(st, st.c.branch_id == br.c.id)
        .where(_own("students", viewer), _own("branches", viewer))
        .order_by(br.c.name))
    return [BranchCard(r.name, r.address, r.phone) for r in rows]
