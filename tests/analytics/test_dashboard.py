"""The dashboard's figures against hand-written SQL on the known-answer institute."""

from __future__ import annotations

from datetime import date, timedelta

from institute_core.analytics import dashboard
from institute_core.analytics.period import Period
from institute_core.replica import Replica
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.reports import sql

WEEK_RATES = """
SELECT COALESCE(SUM(status IN ('present', 'late')), 0), COALESCE(SUM(status != 'excused'), 0)
  FROM (SELECT sa.attendance_status AS status, ls.session_date AS day, ls.faculty_id AS f
          FROM session_attendance sa JOIN learning_sessions ls ON ls.id = sa.session_id
         WHERE sa.deleted_at IS NULL AND ls.deleted_at IS NULL AND ls.status != 'cancelled'
        UNION ALL
        SELECT b.attendance_status, b.session_date, fb.faculty_id
          FROM batch_session_attendance b JOIN flexible_batches fb ON fb.id = b.batch_id
         WHERE b.deleted_at IS NULL AND fb.deleted_at IS NULL)
 WHERE day BETWEEN :a AND :b AND (:f IS NULL OR f = :f)
"""


def _rate(replica: Replica, start: date, end: date, faculty: object = None) -> float | None:
    attended, counted = sql.one(replica, WEEK_RATES, a=start.isoformat(), b=end.isoformat(),
                                f=faculty)
    return round(attended * 100 / counted, 2) if counted else None


def test_overview_figures_match_sql(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        data = dashboard.dashboard_data(db, MARCH)
    (active,) = sql.one(replica, "SELECT COUNT(*) FROM students WHERE deleted_at IS NULL "
                                 "AND status = 'active'")
    assert data.active_students == active
    monday = MARCH.end - timedelta(days=MARCH.end.weekday())
    sunday = monday + timedelta(days=6)
    (individual,) = sql.one(replica, """
        SELECT COUNT(*) FROM learning_sessions WHERE deleted_at IS NULL
           AND status != 'cancelled' AND session_date BETWEEN :a AND :b""",
                            a=monday.isoformat(), b=sunday.isoformat())
    (batch_days,) = sql.one(replica, """
        SELECT COUNT(*) FROM (SELECT DISTINCT batch_id, session_date
          FROM batch_session_attendance WHERE deleted_at IS NULL
           AND session_date BETWEEN :a AND :b)""", a=monday.isoformat(), b=sunday.isoformat())
    assert data.sessions_this_week == individual + batch_days
    assert data.week == Period(monday, sunday)
    # 2-15 March 2026 is two Monday weeks; each week's rate is its own SQL.
    assert [w.start for w in data.attendance_trend] == [date(2026, 3, 2), date(2026, 3, 9)]
    for week in data.attendance_trend:
        assert week.value == _rate(replica, week.start, week.end)
    assert data.attendance.rate == _rate(replica, MARCH.start, MARCH.end)
    (done,) = sql.one(replica, """
        SELECT COUNT(*) FROM student_topic_progress WHERE deleted_at IS NULL
           AND status IN ('completed', 'mastered') AND completion_date BETWEEN :a AND :b""",
                      a=MARCH.start.isoformat(), b=MARCH.end.isoformat())
    assert data.topics_completed == done
    assert [u.employee_id for u in data.utilization] == ["FAC-2", "FAC-1"]  # by name: Dev, Meera
    assert data.crm is not None and data.crm.total == 10


def test_a_faculty_member_sees_only_their_own(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        data = dashboard.dashboard_data(db, MARCH, faculty_id=institute.dev)
        risky = dashboard.dashboard_at_risk(db, Period(MARCH.start, TODAY),
                                            faculty_id=institute.dev)
    (mine,) = sql.one(replica, """
        SELECT COUNT(*) FROM students WHERE deleted_at IS NULL AND status = 'active' AND id IN (
          SELECT student_id FROM batch_members WHERE batch_id IN (
            SELECT id FROM flexible_batches WHERE faculty_id = :f)
          UNION SELECT student_id FROM student_subject_enrollments WHERE faculty_id = :f
          UNION SELECT student_id FROM learning_sessions WHERE faculty_id = :f)""",
                      f=institute.dev)
    assert data.active_students == mine
    assert [u.faculty_id for u in data.utilization] == [institute.dev]
    assert data.attendance.rate == _rate(replica, MARCH.start, MARCH.end, institute.dev)
    assert data.crm is None
    ours = set(institute.students[no] for no in ("ENR-2", "ENR-3"))
    assert {r.student_id for r in risky} <= ours


def test_an_empty_period_gives_no_rates_and_no_crash(replica: Replica,
                                                    institute: Institute) -> None:
    empty = Period(date(2001, 1, 1), date(2001, 1, 14))
    with replica.read() as db:
        data = dashboard.dashboard_data(db, empty)
        risky = dashboard.dashboard_at_risk(db, empty)
    assert data.sessions_this_week == 0 and data.attendance.rate is None
    assert all(w.value is None and w.count == 0 for w in data.attendance_trend)
    assert data.topics_completed == 0 and data.velocity_per_student == 0
    assert all(u.hours_taught == 0 for u in data.utilization)
    assert data.crm is not None and data.crm.conversion is None
    assert isinstance(risky, tuple)


def test_topics_completed_in_the_period_count_students_who_have_left_since(
        replica: Replica, institute: Institute) -> None:
    """The card says "N topics completed in the period": a student who completed topics in
    March and was marked completed (no longer active) in April still learned them in March."""
    from institute_core.schema import Student

    with replica.read() as db:
        before = dashboard.dashboard_data(db, MARCH)
    asha = institute.students["ENR-1"]
    (hers,) = sql.one(replica, """
        SELECT COUNT(*) FROM student_topic_progress WHERE deleted_at IS NULL AND student_id = :s
           AND status IN ('completed', 'mastered') AND completion_date BETWEEN :a AND :b""",
                      s=asha, a=MARCH.start.isoformat(), b=MARCH.end.isoformat())
    assert hers > 0
    with replica.write(replica.actor(institute.admin)) as s:
        student = s.get(Student, asha)
        assert student is not None
        student.status = "completed"
    with replica.read() as db:
        after = dashboard.dashboard_data(db, MARCH)
    assert after.topics_completed == before.topics_completed
    assert after.active_students == before.active_students - 1
    # The pace per student is of the students active today, over their own completions.
    weeks = MARCH.days / 7
    assert after.velocity_per_student == round(
        (before.topics_completed - hers) / after.active_students / weeks, 2)
