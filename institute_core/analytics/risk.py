"""At-risk students: documented rules, each flag carrying a severity and the reason in words.

Only active, non-deleted students are checked. The thresholds are `RiskThresholds` (defaults in
brackets; an admin tunes them in settings). The rules (reference date `today`):
- low_attendance: attendance below `attendance_below` (75 %) over the student's last
  `attendance_window` (10) counted marks (individual and batch sessions up to `today`; excused
  marks are not counted, late counts as attended); needs at least `attendance_minimum` (3)
  counted marks so one early absence does not flag a newcomer. Urgent below
  `attendance_urgent_below` (50 %).
- no_recent_session: the student has an active enrollment and has attended no session (present
  or late) for `idle_days` (14) or more, counted from the last attended session (or the
  admission date when there is none) to `today`. Urgent from `idle_urgent_days` (28).
- falling_competency: the mean understanding level (1-5) recorded for the topics of each of the
  student's last `competency_sessions` (3) rated sessions falls strictly from one to the next,
  and by at least `competency_drop_tenths` / 10 (2.0) in all. Urgent when the latest level is at
  or below `competency_urgent_level_tenths` / 10 (2.0).
- behind_schedule: an active enrollment with topics left predicted (see `prediction`) to finish
  `behind_days` (21) or more days after its expected completion date, or with nothing completed
  yet when that date has passed. Urgent from `behind_urgent_days` (56) days behind, or when the
  expected date has passed with topics left.

The list is ranked most urgent first: more urgent flags, then more flags, then by name.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, Subquery, case, func, literal, select, union_all

from institute_core.analytics.attendance import ATTENDED
from institute_core.analytics.period import (
    Db,
    StudentIds,
    among,
    as_date,
    percent,
    shared_uuid,
)
from institute_core.analytics.prediction import CompletionPrediction, predict_completion
from institute_core.analytics.risk_settings import RiskThresholds
from institute_core.display import date_text
from institute_core.enums import (
    AttendanceStatus,
    EnrollmentStatus,
    SessionStatus,
    StudentStatus,
)
from institute_core.schema import (
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchSessionAttendance,
    Enrollment,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    Student,
    User,
)

LOW_ATTENDANCE = "low_attendance"
NO_RECENT_SESSION = "no_recent_session"
FALLING_COMPETENCY = "falling_competency"
BEHIND_SCHEDULE = "behind_schedule"

URGENT = "urgent"
WATCH = "watch"
RULE_TITLES = {LOW_ATTENDANCE: "Low attendance", NO_RECENT_SESSION: "No recent session",
               FALLING_COMPETENCY: "Falling understanding", BEHIND_SCHEDULE: "Behind schedule"}


@dataclass(frozen=True)
class RiskFlag:
    """One rule that fired, how urgent it is, and why."""

    rule: str
    reason: str
    severity: str = WATCH

    @property
    def urgent(self) -> bool:
        return self.severity == URGENT


@dataclass(frozen=True)
class AtRiskStudent:
    """A student with at least one risk flag (urgent flags first)."""

    student_id: uuid.UUID
    enrollment_no: str
    name: str
    flags: tuple[RiskFlag, ...]

    @property
    def severity(self) -> str:
        return URGENT if any(f.urgent for f in self.flags) else WATCH

    @property
    def urgent(self) -> bool:
        return self.severity == URGENT

    @property
    def why(self) -> str:
        """The reasons in words, most urgent first."""
        return "; ".join(f"{RULE_TITLES.get(f.rule, f.rule)}: {f.reason}" for f in self.flags)

    def rank(self) -> tuple[int, int, str, str]:
        """Sort key: more urgent flags first, then more flags, then by name."""
        return (-sum(f.urgent for f in self.flags), -len(self.flags), self.name.lower(),
                self.enrollment_no)


def active_students(student_ids: StudentIds | None = None) -> Select[tuple[uuid.UUID]]:
    """Ids of the active, non-deleted students (of `student_ids` when given)."""
    query = select(Student.id).where(Student.deleted_at.is_(None),
                                     Student.status == StudentStatus.ACTIVE.value)
    return query if student_ids is None else query.where(among(Student.id, student_ids))


def at_risk_students(db: Db, today: date | None = None, *,
                     student_ids: StudentIds | None = None,
                     thresholds: RiskThresholds | None = None) -> list[AtRiskStudent]:
    """Flagged students, most urgent first (see `AtRiskStudent.rank`)."""
    today = today or date.today()
    checked = active_students(student_ids)
    flags = risk_flags(db, today, student_ids=checked, thresholds=thresholds)
    students = db.execute(
        select(Student.id, Student.enrollment_no, User.first_name, User.last_name)
        .join(User, User.id == Student.user_id)
        .where(Student.id.in_([sid for sid, own in flags.items() if own]))).all()
    result = [AtRiskStudent(sid, enrollment_no, f"{first} {last}".strip(),
                            tuple(sorted(flags[sid], key=lambda f: not f.urgent)))
              for sid, enrollment_no, first, last in students]
    result.sort(key=AtRiskStudent.rank)
    return result


def risk_flags(db: Db, today: date, *, student_ids: StudentIds,
               predictions: list[CompletionPrediction] | None = None,
               thresholds: RiskThresholds | None = None
               ) -> dict[uuid.UUID, list[RiskFlag]]:
    """Every rule's flags for the given students (a student without a flag may be missing).

    `predictions` of these students at `today` may be passed when the caller already has them.
    The database does the windowing (last N marks, last N rated sessions), so the cost grows
    with the number of students, not with their history.
    """
    limits = thresholds or RiskThresholds()
    flags: dict[uuid.UUID, list[RiskFlag]] = defaultdict(list)
    last_attended: dict[uuid.UUID, date] = {}
    for sid, (counted, attended, last) in _attendance_figures(
            db, student_ids, today, limits.attendance_window).items():
        flag = _low_attendance(counted, attended, limits)
        if flag:
            flags[sid].append(flag)
        if last is not None:
            last_attended[sid] = last
    for sid, admitted in _with_active_enrollment(db, student_ids):
        flag = _no_recent_session(last_attended.get(sid), as_date(admitted), today, limits)
        if flag:
            flags[sid].append(flag)
    for sid, levels in _last_rated_sessions(db, student_ids, today,
                                            limits.competency_sessions).items():
        flag = _falling(levels, limits)
        if flag:
            flags[sid].append(flag)
    if predictions is None:
        # Behind schedule needs no range: skip reading every completion date.
        predictions = predict_completion(db, today, student_ids=student_ids, ranges=False)
    for p in predictions:
        flag = _behind(p, today, limits)
        if flag:
            flags[p.student_id].append(flag)
    return dict(flags)


def _marks(student_ids: StudentIds, today: date) -> Subquery:
    """Every mark up to `today` as (student_id, day, status, source, ref), the rule of
    `analytics.attendance` (cancelled individual sessions and soft-deleted rows left out);
    (day, source, ref) orders a student's marks as `AttendanceMark.sort_key` does."""
    sa, ls = SessionAttendance, LearningSession
    individual = (
        select(shared_uuid(sa.student_id).label("student_id"), ls.session_date.label("day"),
               sa.attendance_status.label("status"), literal("session").label("source"),
               ls.id.label("ref"))
        .join(ls, ls.id == sa.session_id)
        .where(sa.deleted_at.is_(None), ls.deleted_at.is_(None),
               ls.status != SessionStatus.CANCELLED.value, ls.session_date <= today,
               among(sa.student_id, student_ids)))
    bsa, fb = BatchSessionAttendance, FlexibleBatch
    batch = (
        select(bsa.student_id, bsa.session_date, bsa.attendance_status, literal("batch"), fb.id)
        .join(fb, fb.id == bsa.batch_id)
        .where(bsa.deleted_at.is_(None), fb.deleted_at.is_(None), bsa.session_date <= today,
               among(bsa.student_id, student_ids)))
    return union_all(individual, batch).subquery("marks")


def _attendance_figures(db: Db, student_ids: StudentIds, today: date, window: int
                        ) -> dict[uuid.UUID, tuple[int, int, date | None]]:
    """(counted, attended) over each student's last `window` counted (non-excused)
    marks, and the day of their last attended mark, in one pass of the database over the
    marks (attended marks are never excused, so the counted marks hold them all)."""
    marks = _marks(student_ids, today)
    newest = func.row_number().over(
        partition_by=marks.c.student_id,
        order_by=(marks.c.day.desc(), marks.c.source.desc(), marks.c.ref.desc())).label("rn")
    counted = (select(marks.c.student_id, marks.c.day, marks.c.status, newest)
               .where(marks.c.status != AttendanceStatus.EXCUSED.value).subquery("counted"))
    recent = counted.c.rn <= window
    was_attended = counted.c.status.in_(list(ATTENDED))
    rows = db.execute(select(
        counted.c.student_id, func.sum(case((recent, 1), else_=0)),
        func.sum(case((recent & was_attended, 1), else_=0)),
        func.max(case((was_attended, counted.c.day), else_=None)))
        .group_by(counted.c.student_id))
    return {sid: (int(n), int(yes), None if last is None else as_date(last))
            for sid, n, yes, last in rows}


def _severity(urgent: bool) -> str:
    return URGENT if urgent else WATCH


def _low_attendance(counted: int, attended: int, limits: RiskThresholds) -> RiskFlag | None:
    if counted < limits.attendance_minimum:
        return None
    rate = percent(attended, counted)
    if rate is None or rate >= limits.attendance_below:
        return None
    return RiskFlag(LOW_ATTENDANCE,
                    f"attendance {rate:.2f} % over the last {counted} sessions "
                    f"({attended} attended)",
                    _severity(rate < limits.attendance_urgent_below))


def _no_recent_session(last: date | None, admitted: date, today: date,
                       limits: RiskThresholds) -> RiskFlag | None:
    since = (today - (last or admitted)).days
    if since < limits.idle_days:
        return None
    severity = _severity(since >= limits.idle_urgent_days)
    if last is None:
        return RiskFlag(NO_RECENT_SESSION,
                        f"no session attended since admission on {date_text(admitted)} "
                        f"({since} days)", severity)
    return RiskFlag(NO_RECENT_SESSION,
                    f"no session attended for {since} days (last on {date_text(last)})",
                    severity)


def _falling(levels: list[float], limits: RiskThresholds) -> RiskFlag | None:
    if len(levels) < limits.competency_sessions:
        return None
    # Levels are means of whole ratings: compare in tenths so 3.0 - 2.0 is exactly one level.
    tenths = [round(v * 10) for v in levels]
    if not all(a > b for a, b in itertools.pairwise(tenths)):
        return None
    if tenths[0] - tenths[-1] < limits.competency_drop_tenths:
        return None
    shown = " → ".join(f"{v:.1f}" for v in levels)
    return RiskFlag(FALLING_COMPETENCY,
                    f"understanding fell {shown} over the last {len(levels)} sessions",
                    _severity(tenths[-1] <= limits.competency_urgent_level_tenths))


def _behind(p: CompletionPrediction, today: date, limits: RiskThresholds) -> RiskFlag | None:
    if p.status != EnrollmentStatus.ACTIVE or p.expected is None or p.remaining == 0:
        return None
    expected = date_text(p.expected)
    if p.predicted is None:
        if not p.expected_passed:
            return None
        return RiskFlag(BEHIND_SCHEDULE,
                        f"{p.subject_name}: expected by {expected} "
                        f"({(today - p.expected).days} days ago) with no topic completed",
                        URGENT)
    late = (p.predicted - p.expected).days
    if late < max(1, limits.behind_days):
        return None
    urgent = late >= limits.behind_urgent_days or p.expected_passed
    return RiskFlag(BEHIND_SCHEDULE,
                    f"{p.subject_name}: predicted {date_text(p.predicted)}, {late} days after "
                    f"the expected {expected} ({p.remaining} topics left)", _severity(urgent))


def _with_active_enrollment(db: Db, student_ids: StudentIds
                            ) -> list[tuple[uuid.UUID, date]]:
    """(student, admission date) of the students with an active enrollment."""
    enrolled = select(Enrollment.student_id).where(
        Enrollment.deleted_at.is_(None), Enrollment.status == EnrollmentStatus.ACTIVE.value)
    return [(sid, admitted) for sid, admitted in db.execute(
        select(Student.id, Student.admission_date)
        .where(Student.id.in_(enrolled), among(Student.id, student_ids)))]


def _last_rated_sessions(db: Db, student_ids: StudentIds, today: date, window: int
                         ) -> dict[uuid.UUID, list[float]]:
    """Mean understanding level of each of a student's last rated sessions, oldest first."""
    at, sa, ls = AttendanceTopic, SessionAttendance, LearningSession
    individual = (
        select(shared_uuid(sa.student_id).label("student_id"), ls.session_date.label("day"),
               sa.id.label("ref"), func.avg(at.understanding_level).label("level"))
        .join(sa, sa.id == at.attendance_id).join(ls, ls.id == sa.session_id)
        .where(at.deleted_at.is_(None), sa.deleted_at.is_(None), ls.deleted_at.is_(None),
               at.understanding_level.is_not(None), among(sa.student_id, student_ids),
               ls.session_date <= today)
        .group_by(sa.student_id, ls.session_date, sa.id))
    bt, bsa = BatchAttendanceTopic, BatchSessionAttendance
    batch = (
        select(bsa.student_id, bsa.session_date, bsa.id, func.avg(bt.understanding_level))
        .join(bsa, bsa.id == bt.batch_attendance_id)
        .where(bt.deleted_at.is_(None), bsa.deleted_at.is_(None),
               bt.understanding_level.is_not(None), among(bsa.student_id, student_ids),
               bsa.session_date <= today)
        .group_by(bsa.student_id, bsa.session_date, bsa.id))
    rated = union_all(individual, batch).subquery("rated")
    newest = func.row_number().over(partition_by=rated.c.student_id,
                                    order_by=(rated.c.day.desc(), rated.c.ref.desc())).label("rn")
    ranked = select(rated.c.student_id, rated.c.day, rated.c.ref, rated.c.level,
                    newest).subquery("ranked")
    rows: dict[uuid.UUID, list[tuple[date, str, float]]] = defaultdict(list)
    for student, day, ref, level in db.execute(
            select(ranked.c.student_id, ranked.c.day, ranked.c.ref, ranked.c.level)
            .where(ranked.c.rn <= window)):
        rows[student].append((as_date(day), str(ref), float(level)))
    return {sid: [level for _d, _r, level in sorted(own)] for sid, own in rows.items()}
