"""The three views of seed 000 as SQLAlchemy Core queries that give the same numbers on SQLite
and PostgreSQL.

They are queries, not `CREATE VIEW`s: one definition serves the replica and the server, and
each caller can filter, order and page them like any select (`student_progress().where(...)`).

How they stay identical on both dialects:
- averages and percentages are computed in whole hundredths with integer arithmetic, rounded
  half up (`(2*n*100 + d) / (2*d)`, integer division on both), and returned as `Decimal` with two
  places by the `Hundredths` type – no float AVG, no ROUND(double) vs ROUND(numeric) difference;
- names are joined with `||` and a literal space; a ratio over zero rows is NULL (never a
  division by zero), counts and sums over no rows are 0;
- soft-deleted rows (deleted_at set) of the counted tables never count: students, enrollments,
  topics, topic progress, sessions, attendance, batches. The names of a soft-deleted faculty
  member or subject still show on the rows that refer to them (history stays readable).

Differences from seed 000 (see docs/schema.md):
- attendance follows the rule of `institute_core.analytics.attendance`: late counts as attended,
  excused is left out of the denominator, cancelled individual sessions are ignored, and batch
  attendance counts as well as individual sessions; `attendance_percentage` =
  (present + late) × 100 / (present + late + absent); `present_only_percentage` is seed 000's
  present-only figure with the same denominator; `last_absent_date` is the date of the session
  (seed: when the row was written, which after offline work may be days later);
- `completed_topics` counts completed and mastered topics (a mastered topic is completed);
- extra columns: subject_id, subject_topics, faculty_record_id, excused_count,
  no_show_sessions, batch_sessions; `faculty_id` of the student progress view keeps the seed's
  meaning, the faculty member's users.id.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    String,
    and_,
    case,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.types import TypeDecorator

from institute_core.enums import AttendanceStatus, ProgressStatus, SessionStatus
from institute_core.schema import (
    BatchSessionAttendance,
    Enrollment,
    Faculty,
    FlexibleBatch,
    LearningSession,
    SessionAttendance,
    Student,
    StudentTopicProgress,
    Subject,
    Topic,
    User,
)


class Hundredths(TypeDecorator[Decimal]):
    """A whole number of hundredths in SQL, a two-place Decimal in Python."""

    impl = BigInteger
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-2)


def _int(value: int) -> ColumnElement[int]:
    return literal_column(str(int(value)), BigInteger)


def ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any],
          factor: int = 1) -> ColumnElement[Decimal]:
    """numerator × factor / denominator to two places, half up; NULL when denominator is 0.

    Both arguments must be integer expressions (counts, sums of integer columns).
    """
    scaled = (_int(2 * factor * 100) * numerator + denominator) / (_int(2) * denominator)
    return type_coerce(case((denominator == 0, None), else_=scaled), Hundredths())


def _full_name(user: Any) -> ColumnElement[str]:
    return (user.first_name + literal_column("' '", String) + user.last_name)


def _count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def student_progress() -> Select[Any]:
    """Seed 000's student_progress_view: one row per live enrollment with its topic progress."""
    s = Student.__table__.alias("s")  # type: ignore[attr-defined]
    u = User.__table__.alias("u")  # type: ignore[attr-defined]
    sse = Enrollment.__table__.alias("sse")  # type: ignore[attr-defined]
    sub = Subject.__table__.alias("sub")  # type: ignore[attr-defined]
    f = Faculty.__table__.alias("f")  # type: ignore[attr-defined]
    fu = User.__table__.alias("fu")  # type: ignore[attr-defined]
    t = Topic.__table__.alias("t")  # type: ignore[attr-defined]
    stp = StudentTopicProgress.__table__.alias("stp")  # type: ignore[attr-defined]
    done = stp.c.status.in_([ProgressStatus.COMPLETED.value, ProgressStatus.MASTERED.value])
    return (
        select(
            s.c.id.label("student_id"),
            s.c.enrollment_no,
            _full_name(u.c).label("student_name"),
            sub.c.id.label("subject_id"),
            sub.c.name.label("subject_name"),
            sub.c.code.label("subject_code"),
            sse.c.completion_percentage,
            sse.c.status.label("enrollment_status"),
            func.count(stp.c.id).label("total_topics"),
            _count_when(done).label("completed_topics"),
            ratio(func.coalesce(func.sum(stp.c.competency_level), 0),
                  func.count(stp.c.competency_level)).label("avg_competency"),
            func.count(t.c.id).label("subject_topics"),
            f.c.user_id.label("faculty_id"),
            f.c.id.label("faculty_record_id"),
            _full_name(fu.c).label("faculty_name"),
        )
        .select_from(s)
        .join(u, s.c.user_id == u.c.id)
        .join(sse, and_(s.c.id == sse.c.student_id, sse.c.deleted_at.is_(None)))
        .join(sub, sse.c.subject_id == sub.c.id)
        .join(f, sse.c.faculty_id == f.c.id)
        .join(fu, f.c.user_id == fu.c.id)
        .outerjoin(t, and_(sub.c.id == t.c.subject_id, t.c.deleted_at.is_(None)))
        .outerjoin(stp, and_(s.c.id == stp.c.student_id, t.c.id == stp.c.topic_id,
                             stp.c.deleted_at.is_(None)))
        .where(s.c.deleted_at.is_(None))
        .group_by(s.c.id, s.c.enrollment_no, u.c.first_name, u.c.last_name, sub.c.id,
                  sub.c.name, sub.c.code, sse.c.id, sse.c.completion_percentage, sse.c.status,
                  f.c.id, f.c.user_id, fu.c.first_name, fu.c.last_name)
    )


def faculty_utilization() -> Select[Any]:
    """Seed 000's faculty_utilization_view: individual sessions per faculty member, plus the
    number of batch session days they taught."""
    f = Faculty.__table__.alias("f")  # type: ignore[attr-defined]
    u = User.__table__.alias("u")  # type: ignore[attr-defined]
    ls = LearningSession.__table__.alias("ls")  # type: ignore[attr-defined]
    fb = FlexibleBatch.__table__.alias("fb")  # type: ignore[attr-defined]
    bsa = BatchSessionAttendance.__table__.alias("bsa")  # type: ignore[attr-defined]
    days = (select(fb.c.faculty_id, bsa.c.batch_id, bsa.c.session_date)
            .join(bsa, bsa.c.batch_id == fb.c.id)
            .where(fb.c.deleted_at.is_(None), bsa.c.deleted_at.is_(None))
            .distinct().subquery("batch_days"))
    batch_days = (select(days.c.faculty_id, func.count().label("batch_sessions"))
                  .group_by(days.c.faculty_id).subquery("faculty_batch_days"))
    minutes = func.coalesce(func.sum(ls.c.duration_minutes), 0)
    return (
        select(
            f.c.id.label("faculty_id"),
            f.c.employee_id,
            _full_name(u.c).label("faculty_name"),
            func.count(ls.c.id).label("total_sessions"),
            minutes.label("total_minutes"),
            func.count(ls.c.student_id.distinct()).label("unique_students"),
            ratio(minutes, func.count(ls.c.duration_minutes)).label("avg_session_duration"),
            _count_when(ls.c.status == SessionStatus.COMPLETED.value).label("completed_sessions"),
            _count_when(ls.c.status == SessionStatus.CANCELLED.value).label("cancelled_sessions"),
            _count_when(ls.c.status == SessionStatus.NO_SHOW.value).label("no_show_sessions"),
            func.coalesce(batch_days.c.batch_sessions, 0).label("batch_sessions"),
        )
        .select_from(f)
        .join(u, f.c.user_id == u.c.id)
        .outerjoin(ls, and_(f.c.id == ls.c.faculty_id, ls.c.deleted_at.is_(None)))
        .outerjoin(batch_days, batch_days.c.faculty_id == f.c.id)
        .where(f.c.deleted_at.is_(None))
        .group_by(f.c.id, f.c.employee_id, u.c.first_name, u.c.last_name,
                  batch_days.c.batch_sessions)
    )


def _attendance_marks() -> Any:
    """Every live attendance mark of individual and batch sessions: student, status, date."""
    sa = SessionAttendance.__table__.alias("sa")  # type: ignore[attr-defined]
    ls = LearningSession.__table__.alias("mls")  # type: ignore[attr-defined]
    bsa = BatchSessionAttendance.__table__.alias("mbsa")  # type: ignore[attr-defined]
    fb = FlexibleBatch.__table__.alias("mfb")  # type: ignore[attr-defined]
    individual = (select(sa.c.student_id, sa.c.attendance_status.label("status"),
                         ls.c.session_date.label("on_date"))
                  .join(ls, ls.c.id == sa.c.session_id)
                  .where(sa.c.deleted_at.is_(None), ls.c.deleted_at.is_(None),
                         ls.c.status != SessionStatus.CANCELLED.value))
    batch = (select(bsa.c.student_id, bsa.c.attendance_status.label("status"),
                    bsa.c.session_date.label("on_date"))
             .join(fb, fb.c.id == bsa.c.batch_id)
             .where(bsa.c.deleted_at.is_(None), fb.c.deleted_at.is_(None)))
    return union_all(individual, batch).subquery("marks")


def attendance_analytics() -> Select[Any]:
    """Seed 000's attendance_analytics_view: attendance counts and rate per student."""
    s = Student.__table__.alias("s")  # type: ignore[attr-defined]
    u = User.__table__.alias("u")  # type: ignore[attr-defined]
    m = _attendance_marks()
    present = _count_when(m.c.status == AttendanceStatus.PRESENT.value)
    absent = _count_when(m.c.status == AttendanceStatus.ABSENT.value)
    late = _count_when(m.c.status == AttendanceStatus.LATE.value)
    counted = present + late + absent
    return (
        select(
            s.c.id.label("student_id"),
            s.c.enrollment_no,
            _full_name(u.c).label("student_name"),
            func.count(m.c.student_id).label("total_sessions"),
            present.label("present_count"),
            absent.label("absent_count"),
            late.label("late_count"),
            _count_when(m.c.status == AttendanceStatus.EXCUSED.value).label("excused_count"),
            ratio(present + late, counted, 100).label("attendance_percentage"),
            ratio(present, counted, 100).label("present_only_percentage"),
            func.max(case((m.c.status == AttendanceStatus.ABSENT.value, m.c.on_date)))
            .label("last_absent_date"),
        )
        .select_from(s)
        .join(u, s.c.user_id == u.c.id)
        .outerjoin(m, m.c.student_id == s.c.id)
        .where(s.c.deleted_at.is_(None))
        .group_by(s.c.id, s.c.enrollment_no, u.c.first_name, u.c.last_name)
    )


VIEWS: dict[str, Callable[[], Select[Any]]] = {
    "student_progress_view": student_progress,
    "faculty_utilization_view": faculty_utilization,
    "attendance_analytics_view": attendance_analytics,
}


def view_rows(bind: Engine | Connection, statement: Select[Any]) -> list[dict[str, Any]]:
    """Run a view (or any select) and return plain dict rows, safe to hand to any thread."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(statement)]
    return [dict(row._mapping) for row in bind.execute(statement)]
