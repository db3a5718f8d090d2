"""At-risk students: documented rules, each flag carrying the reason a person can read.

Only active, non-deleted students are checked. The rules (reference date `today`):
- low_attendance: attendance below 75 % over the student's last 10 counted marks (individual and
  batch sessions up to `today`; excused marks are not counted, late counts as attended); needs at
  least 3 counted marks so one early absence does not flag a newcomer.
- no_recent_session: the student has an active enrollment and has attended no session (present
  or late) in the last 14 days, i.e. the last attended session (or the admission date when there
  is none) is 14 or more days before `today`.
- falling_competency: the mean understanding level (1-5) recorded for the topics of each of the
  student's last 3 rated sessions falls strictly from one to the next.
- behind_schedule: an active enrollment whose predicted completion date is after its expected
  completion date (see `prediction`).
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from institute_core.analytics.attendance import AttendanceMark, attendance_marks, summarize
from institute_core.analytics.period import Db, Period, as_date
from institute_core.analytics.prediction import CompletionPrediction, predict_completion
from institute_core.enums import AttendanceStatus, EnrollmentStatus, StudentStatus
from institute_core.schema import (
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchSessionAttendance,
    Enrollment,
    LearningSession,
    SessionAttendance,
    Student,
    User,
)

LOW_ATTENDANCE = "low_attendance"
NO_RECENT_SESSION = "no_recent_session"
FALLING_COMPETENCY = "falling_competency"
BEHIND_SCHEDULE = "behind_schedule"

ATTENDANCE_THRESHOLD = 75.0
ATTENDANCE_WINDOW = 10
ATTENDANCE_MINIMUM = 3
IDLE_DAYS = 14
COMPETENCY_WINDOW = 3
_EVER = date(1900, 1, 1)


@dataclass(frozen=True)
class RiskFlag:
    """One rule that fired, and why."""

    rule: str
    reason: str


@dataclass(frozen=True)
class AtRiskStudent:
    """A student with at least one risk flag."""

    student_id: uuid.UUID
    enrollment_no: str
    name: str
    flags: tuple[RiskFlag, ...]


def at_risk_students(db: Db, today: date | None = None, *,
                     student_ids: Collection[uuid.UUID] | None = None) -> list[AtRiskStudent]:
    """Flagged students, most flags first, then by name."""
    today = today or date.today()
    query = (select(Student.id, Student.enrollment_no, User.first_name, User.last_name)
             .join(User, User.id == Student.user_id)
             .where(Student.deleted_at.is_(None), Student.status == StudentStatus.ACTIVE.value))
    if student_ids is not None:
        query = query.where(Student.id.in_(list(student_ids)))
    students = db.execute(query).all()
    flags = risk_flags(db, today, student_ids=[s[0] for s in students])
    result = [AtRiskStudent(sid, enrollment_no, f"{first} {last}".strip(), tuple(flags[sid]))
              for sid, enrollment_no, first, last in students if flags.get(sid)]
    result.sort(key=lambda r: (-len(r.flags), r.name.lower(), r.enrollment_no))
    return result


def risk_flags(db: Db, today: date, *, student_ids: Collection[uuid.UUID],
               predictions: list[CompletionPrediction] | None = None
               ) -> dict[uuid.UUID, list[RiskFlag]]:
    """Every rule's flags for the given students (students with none map to []).

    `predictions` of these students at `today` may be passed when the caller already has them.
    """
    ids = list(student_ids)
    flags: dict[uuid.UUID, list[RiskFlag]] = {sid: [] for sid in ids}
    marks = attendance_marks(db, Period(_EVER, today), student_ids=ids)
    per_student: dict[uuid.UUID, list[AttendanceMark]] = defaultdict(list)
    for mark in marks:
        per_student[mark.student_id].append(mark)
    active = _with_active_enrollment(db, ids)
    admitted = dict(db.execute(select(Student.id, Student.admission_date)
                               .where(Student.id.in_(ids))).tuples().all())
    for sid in ids:
        own = sorted(per_student.get(sid, []), key=lambda m: m.sort_key)
        flag = _low_attendance(own)
        if flag:
            flags[sid].append(flag)
        if sid in active:
            flag = _no_recent_session(own, as_date(admitted[sid]), today)
            if flag:
                flags[sid].append(flag)
    for sid, levels in _last_rated_sessions(db, ids, today).items():
        flag = _falling(levels)
        if flag:
            flags[sid].append(flag)
    if predictions is None:
        predictions = predict_completion(db, today, student_ids=ids)
    for p in predictions:
        if p.status == EnrollmentStatus.ACTIVE and p.behind_schedule:
            when = p.predicted.isoformat() if p.predicted else "no progress yet"
            expected = p.expected.isoformat() if p.expected else "?"
            flags[p.student_id].append(RiskFlag(
                BEHIND_SCHEDULE,
                f"{p.subject_name}: predicted {when}, expected by {expected}"))
    return flags


def _low_attendance(marks: list[AttendanceMark]) -> RiskFlag | None:
    counted = [m for m in marks if m.status != AttendanceStatus.EXCUSED][-ATTENDANCE_WINDOW:]
    if len(counted) < ATTENDANCE_MINIMUM:
        return None
    summary = summarize(counted)
    rate = summary.rate
    if rate is None or rate >= ATTENDANCE_THRESHOLD:
        return None
    return RiskFlag(LOW_ATTENDANCE,
                    f"attendance {rate:.2f} % over the last {summary.counted} sessions "
                    f"({summary.attended} attended)")


def _no_recent_session(marks: list[AttendanceMark], admitted: date,
                       today: date) -> RiskFlag | None:
    attended = [m.day for m in marks if m.attended]
    last = attended[-1] if attended else None
    since = (today - (last or admitted)).days
    if since < IDLE_DAYS:
        return None
    if last is None:
        return RiskFlag(NO_RECENT_SESSION,
                        f"no session attended since admission on {admitted.isoformat()} "
                        f"({since} days)")
    return RiskFlag(NO_RECENT_SESSION,
                    f"no session attended for {since} days (last on {last.isoformat()})")


def _falling(levels: list[float]) -> RiskFlag | None:
    if len(levels) < COMPETENCY_WINDOW:
        return None
    if all(a > b for a, b in itertools.pairwise(levels)):
        shown = " → ".join(f"{v:.1f}" for v in levels)
        return RiskFlag(FALLING_COMPETENCY,
                        f"understanding fell {shown} over the last {len(levels)} sessions")
    return None


def _with_active_enrollment(db: Db, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set(db.execute(
        select(Enrollment.student_id).where(
            Enrollment.student_id.in_(ids), Enrollment.deleted_at.is_(None),
            Enrollment.status == EnrollmentStatus.ACTIVE.value)).scalars())


def _last_rated_sessions(db: Db, ids: list[uuid.UUID], today: date
                         ) -> dict[uuid.UUID, list[float]]:
    """Mean understanding level of each of a student's last rated sessions, oldest first."""
    at, sa, ls = AttendanceTopic, SessionAttendance, LearningSession
    individual = (
        select(sa.student_id, ls.session_date, sa.id, func.avg(at.understanding_level))
        .join(sa, sa.id == at.attendance_id).join(ls, ls.id == sa.session_id)
        .where(at.deleted_at.is_(None), sa.deleted_at.is_(None), ls.deleted_at.is_(None),
               at.understanding_level.is_not(None), sa.student_id.in_(ids),
               ls.session_date <= today)
        .group_by(sa.student_id, ls.session_date, sa.id))
    bt, bsa = BatchAttendanceTopic, BatchSessionAttendance
    batch = (
        select(bsa.student_id, bsa.session_date, bsa.id, func.avg(bt.understanding_level))
        .join(bsa, bsa.id == bt.batch_attendance_id)
        .where(bt.deleted_at.is_(None), bsa.deleted_at.is_(None),
               bt.understanding_level.is_not(None), bsa.student_id.in_(ids),
               bsa.session_date <= today)
        .group_by(bsa.student_id, bsa.session_date, bsa.id))
    rows: dict[uuid.UUID, list[tuple[date, str, float]]] = defaultdict(list)
    for query in (individual, batch):
        for student, day, ref, level in db.execute(query):
            rows[student].append((as_date(day), str(ref), float(level)))
    return {sid: [level for _d, _r, level in sorted(own)[-COMPETENCY_WINDOW:]]
            for sid, own in rows.items()}
