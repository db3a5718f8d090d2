"""Every figure of the dashboard, computed in one call on the database thread.

The dashboard covers a period (a date range, by default the last 8 weeks) and a scope: the
whole institute for admins, or one faculty member's own students and sessions.

- active students: students with status active (not soft-deleted); for a faculty member, those
  they teach (an enrollment, a session or a batch of theirs, `sync.scopes.faculty_students`).
- sessions this week: in the Monday-to-Sunday week holding the period's last day, individual
  sessions that are not cancelled plus batch class days (a batch with attendance taken on a
  date); for a faculty member, only their own.
- attendance and its weekly trend: the rule of `analytics.attendance` over the period, per
  Monday week (the first and last weeks are clipped to the period); a faculty member sees the
  marks of the sessions they took.
- utilization per faculty: `analytics.utilization` over the period (a faculty member: theirs).
- velocity: topics completed (completed/mastered, by completion date) per Monday week of the
  period by the students in scope, and the mean per student per week.
- at risk (`dashboard_at_risk`): `analytics.risk` as of the period's last day, over the active
  students in scope.
- CRM funnel: `analytics.crm` over the period; admins only.

A branch selection (`branch_ids`, None: every branch the desk holds) narrows each figure the
way "Branches side by side" groups them (`analytics.branches`): students, their attendance
marks, topics and risk by the student's branch; sessions and batch class days by the session's
or batch's branch; utilisation by the faculty member's home branch; inquiries by theirs.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from institute_core.analytics.attendance import AttendanceSummary, daily_counts
from institute_core.analytics.crm import CrmSummary, crm_summary
from institute_core.analytics.period import Db, Period, week_start
from institute_core.analytics.risk import AtRiskStudent, at_risk_students
from institute_core.analytics.risk_settings import RiskThresholds
from institute_core.analytics.utilization import FacultyUtilization, faculty_utilization
from institute_core.analytics.velocity import completions_per_day
from institute_core.enums import SessionStatus, StudentStatus
from institute_core.schema import (
    BatchSessionAttendance,
    Faculty,
    FlexibleBatch,
    LearningSession,
    Student,
)
from institute_core.sync.scopes import faculty_students

DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class WeekFigure:
    """One Monday week of the period (clipped to it) and its figure."""

    start: date
    end: date
    value: float | None  # attendance rate (None: no counted mark) or topics completed
    count: int  # counted marks, or topics completed


@dataclass(frozen=True)
class DashboardData:
    """What the dashboard shows for one period and scope."""

    period: Period
    faculty_id: uuid.UUID | None  # None: the whole institute
    active_students: int
    sessions_this_week: int
    week: Period
    attendance: AttendanceSummary
    attendance_trend: tuple[WeekFigure, ...]
    utilization: tuple[FacultyUtilization, ...]
    velocity_trend: tuple[WeekFigure, ...]
    # Every topic completed in the period by a student in scope, whatever their status today
    # (a student who finished or left since still learned it in the period).
    topics_completed: int
    crm: CrmSummary | None
    # The part of it by students active today: the base of the per-student pace.
    active_topics_completed: int = 0

    @property
    def velocity_per_student(self) -> float | None:
        """Mean topics completed per active student per week over the period."""
        weeks = self.period.days / 7
        if not self.active_students:
            return None
        return round(self.active_topics_completed / self.active_students / weeks, 2)


def default_period(today: date | None = None) -> Period:
    """The last `DEFAULT_WEEKS` weeks ending today."""
    return Period.last_days(7 * DEFAULT_WEEKS, today)


def weeks_of(period: Period) -> list[Period]:
    """The Monday weeks overlapping the period, each clipped to it, oldest first."""
    weeks = []
    start = week_start(period.start)
    while start <= period.end:
        weeks.append(Period(max(start, period.start), min(start + timedelta(days=6),
                                                          period.end)))
        start += timedelta(days=7)
    return weeks


def students_in_scope(faculty_id: uuid.UUID | None = None,
                      branch_ids: Collection[uuid.UUID] | None = None
                      ) -> Select[tuple[uuid.UUID]]:
    """Active, non-deleted students; only a faculty member's own when one is given, only
    those of the chosen branches when they are given."""
    return everyone_in_scope(faculty_id, branch_ids).where(
        Student.status == StudentStatus.ACTIVE.value)


def everyone_in_scope(faculty_id: uuid.UUID | None = None,
                      branch_ids: Collection[uuid.UUID] | None = None
                      ) -> Select[tuple[uuid.UUID]]:
    """Non-deleted students of any status (what happened in a period includes those who have
    completed or left since); only a faculty member's own when one is given."""
    query = select(Student.id).where(Student.deleted_at.is_(None))
    if faculty_id is not None:
        query = query.where(Student.id.in_(faculty_students(faculty_id)))
    if branch_ids is not None:
        query = query.where(Student.branch_id.in_(list(branch_ids)))
    return query


def faculty_in(db: Db, branch_ids: Collection[uuid.UUID]) -> list[uuid.UUID]:
    """The faculty members whose home branch is one of `branch_ids`."""
    return list(db.execute(select(Faculty.id).where(
        Faculty.branch_id.in_(list(branch_ids)))).scalars())


def sessions_in(db: Db, period: Period, faculty_id: uuid.UUID | None = None,
                branch_ids: Collection[uuid.UUID] | None = None) -> int:
    """Individual sessions not cancelled plus batch class days in the period."""
    ls = LearningSession
    individual = select(func.count()).select_from(ls).where(
        ls.deleted_at.is_(None), ls.status != SessionStatus.CANCELLED.value,
        ls.session_date >= period.start, ls.session_date <= period.end)
    bsa, fb = BatchSessionAttendance, FlexibleBatch
    days = (select(bsa.batch_id, bsa.session_date).distinct()
            .join(fb, fb.id == bsa.batch_id)
            .where(bsa.deleted_at.is_(None), fb.deleted_at.is_(None),
                   bsa.session_date >= period.start, bsa.session_date <= period.end))
    if faculty_id is not None:
        individual = individual.where(ls.faculty_id == faculty_id)
        days = days.where(fb.faculty_id == faculty_id)
    if branch_ids is not None:
        individual = individual.where(ls.branch_id.in_(list(branch_ids)))
        days = days.where(fb.branch_id.in_(list(branch_ids)))
    batch_days = select(func.count()).select_from(days.subquery())
    return int(db.execute(individual).scalar_one()) + int(db.execute(batch_days).scalar_one())


def _core(db: Db) -> Db:
    # Core statements straight on the connection skip the ORM's result layer: a quarter of the
    # time when tens of thousands of rows are read.
    return db.connection() if isinstance(db, Session) else db


def dashboard_at_risk(db: Db, period: Period | None = None, *,
                      faculty_id: uuid.UUID | None = None,
                      thresholds: RiskThresholds | None = None,
                      branch_ids: Collection[uuid.UUID] | None = None
                      ) -> tuple[AtRiskStudent, ...]:
    """The at-risk students in scope as of the period's last day, most urgent first (the slow
    half: it reads every student's history, so the dashboard shows the overview first)."""
    period = period or default_period()
    return tuple(at_risk_students(_core(db), period.end,
                                  student_ids=students_in_scope(faculty_id, branch_ids),
                                  thresholds=thresholds))


def dashboard_data(db: Db, period: Period | None = None, *,
                   faculty_id: uuid.UUID | None = None,
                   include_crm: bool = True,
                   branch_ids: Collection[uuid.UUID] | None = None) -> DashboardData:
    """The dashboard's overview figures for `period` (default: the last 8 weeks), scope and
    branch selection (None: every branch this desk holds)."""
    period = period or default_period()
    db = _core(db)
    branches = None if branch_ids is None else list(branch_ids)
    students = students_in_scope(faculty_id, branches)
    marked_by = None if branches is None else everyone_in_scope(faculty_id, branches)
    active = int(db.execute(select(func.count()).select_from(students.subquery())).scalar_one())
    this_week = Period(week_start(period.end), week_start(period.end) + timedelta(days=6))
    weeks = weeks_of(period)

    per_day = daily_counts(db, period, faculty_id=faculty_id, student_ids=marked_by)
    per_week = {w.start: _total(per_day[d] for d in w.dates() if d in per_day) for w in weeks}
    attendance_trend = tuple(WeekFigure(w.start, w.end, per_week[w.start].rate,
                                        per_week[w.start].counted) for w in weeks)

    completed: dict[date, int] = defaultdict(int)
    for day, topics in completions_per_day(db, period,
                                           student_ids=everyone_in_scope(faculty_id, branches)
                                           ).items():
        completed[week_start(day)] += topics
    active_completed = sum(completions_per_day(db, period, student_ids=students).values())
    velocity_trend = tuple(WeekFigure(w.start, w.end, float(completed[week_start(w.start)]),
                                      completed[week_start(w.start)]) for w in weeks)

    teachers: list[uuid.UUID] | None = None if faculty_id is None else [faculty_id]
    if branches is not None:
        teachers = [f for f in faculty_in(db, branches) if teachers is None or f in teachers]
    return DashboardData(
        period=period, faculty_id=faculty_id, active_students=active,
        sessions_this_week=sessions_in(db, this_week, faculty_id, branches), week=this_week,
        attendance=_total(per_week.values()), attendance_trend=attendance_trend,
        utilization=tuple(faculty_utilization(db, period, teachers)),
        velocity_trend=velocity_trend,
        topics_completed=sum(w.count for w in velocity_trend),
        active_topics_completed=active_completed,
        crm=(crm_summary(db, period, branch_ids=branches) if include_crm and faculty_id is None
             else None))



def _total(summaries: Iterable[AttendanceSummary]) -> AttendanceSummary:
    total = AttendanceSummary()
    for s in summaries:
        total = AttendanceSummary(total.present + s.present, total.late + s.late,
                                  total.absent + s.absent, total.excused + s.excused)
    return total
