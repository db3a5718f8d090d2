"""Analytics against the hand-made institute whose answers are known (see institute.py)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from institute_core.analytics import attendance, crm, prediction, risk, utilization, velocity
from institute_core.analytics.period import Period
from institute_core.replica import Replica
from tests.analytics.institute import MARCH, TODAY, Institute


def test_attendance_rate_counts_late_as_attended_and_leaves_excused_out(
        replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        marks = attendance.attendance_marks(db, MARCH)
    asha = attendance.by_student(marks)[institute.students["ENR-1"]]
    assert (asha.present, asha.late, asha.absent, asha.excused) == (6, 1, 3, 1)
    assert asha.rate == 70.00
    assert attendance.by_faculty(marks)[institute.meera].rate == 70.00
    batch = attendance.by_batch(marks)[institute.batch]
    assert (batch.present, batch.rate) == (2, 100.0)
    subject = attendance.by_subject(marks)[institute.subject]
    assert (subject.attended, subject.counted, subject.rate) == (9, 12, 75.0)


def test_absence_streaks_longest_and_current(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        marks = attendance.attendance_marks(db, Period(date(2026, 1, 1), TODAY))
    streaks = attendance.absence_streaks(marks)
    asha = streaks[institute.students["ENR-1"]]
    assert (asha.longest, asha.current) == (3, 0)
    assert (asha.longest_from, asha.longest_to) == (date(2026, 3, 4), date(2026, 3, 6))
    zoe = streaks[institute.students["ENR-3"]]
    assert (zoe.longest, zoe.current) == (2, 2)


def test_empty_period_and_student_without_sessions(replica: Replica,
                                                   institute: Institute) -> None:
    with replica.read() as db:
        empty = attendance.attendance_marks(db, Period(date(2025, 1, 1), date(2025, 1, 31)))
        nia = attendance.attendance_marks(db, MARCH, student_ids=[institute.students["ENR-4"]])
    assert empty == [] and nia == []
    summary = attendance.summarize(nia)
    assert summary.rate is None and summary.total == 0
    assert attendance.absence_streaks(nia) == {}


def test_faculty_utilization_and_no_availability(replica: Replica,
                                                 institute: Institute) -> None:
    with replica.read() as db:
        rows = {u.employee_id: u for u in utilization.faculty_utilization(db, MARCH)}
    meera = rows["FAC-1"]
    assert (meera.hours_taught, meera.hours_available, meera.utilization) == (12.0, 20.0, 60.0)
    assert (meera.sessions_completed, meera.sessions_cancelled,
            meera.sessions_no_show) == (7, 1, 4)
    assert meera.unique_students == 1
    dev = rows["FAC-2"]
    assert (dev.batch_hours, dev.batch_days, dev.hours_taught) == (4.0, 2, 4.0)
    assert dev.hours_available is None and dev.utilization is None
    assert dev.unique_students == 1
    with replica.read() as db:
        idle = utilization.faculty_utilization(db, Period(date(2025, 1, 1), date(2025, 1, 7)))
    assert [(u.hours_taught, u.hours_available) for u in idle] == [(0.0, None), (0.0, 10.0)]


def test_learning_velocity_and_trend(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        rows = {(v.student_id, v.subject_id): v for v in velocity.learning_velocity(db, TODAY)}
    asha = rows[(institute.students["ENR-1"], institute.subject)]
    assert [w.topics for w in asha.weeks] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert asha.weeks[-1].start == TODAY - timedelta(days=6)
    assert (asha.per_week, asha.last_4, asha.previous_4, asha.trend) == (0.5, 4, 0, "rising")
    assert asha.slope is not None and asha.slope > 0
    zoe = rows[(institute.students["ENR-3"], institute.subject)]
    assert (zoe.per_week, zoe.trend, zoe.slope) == (0.0, "steady", 0.0)


def test_predicted_completion_with_range_and_behind_schedule(replica: Replica,
                                                             institute: Institute) -> None:
    with replica.read() as db:
        rows = {p.enrollment_id: p for p in prediction.predict_completion(db, TODAY)}
    asha = rows[institute.enrollments["ENR-1"]]
    # 4 topics in 85 days = 12.142857 weeks -> 0.329 a week; 6 left -> ceil(6/0.329*7) = 128 d.
    assert (asha.topics_total, asha.topics_done, asha.velocity) == (10, 4, 0.329)
    assert asha.predicted == TODAY + timedelta(days=128) == date(2026, 8, 6)
    # 13 weekly windows since enrollment: four 1s, nine 0s -> sigma = 6/13.
    optimistic = 0.329 + 6 / 13
    assert asha.earliest == TODAY + timedelta(days=math.ceil(6 / optimistic * 7))
    assert asha.latest is None  # 0.329 - 0.4615 < 0: no pessimistic date
    assert asha.behind_schedule
    ravi = rows[institute.enrollments["ENR-2"]]
    assert ravi.predicted == TODAY + timedelta(days=math.ceil(8 / 0.467 * 7))
    assert not ravi.behind_schedule
    zoe = rows[institute.enrollments["ENR-3"]]
    assert (zoe.predicted, zoe.behind_schedule) == (None, False)


def test_at_risk_rules_with_reasons(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        flagged = {r.enrollment_no: r for r in risk.at_risk_students(db, TODAY)}
    assert set(flagged) == {"ENR-1", "ENR-3"}
    asha = {f.rule: (f.reason, f.severity) for f in flagged["ENR-1"].flags}
    assert asha == {
        risk.LOW_ATTENDANCE: ("attendance 70.00 % over the last 10 sessions (7 attended)",
                              risk.WATCH),
        risk.NO_RECENT_SESSION: ("no session attended for 18 days (last on 13 Mar 2026)",
                                 risk.WATCH),
        risk.FALLING_COMPETENCY: ("understanding fell 4.0 → 3.0 → 2.0 over the last 3 sessions",
                                  risk.URGENT),
        risk.BEHIND_SCHEDULE: ("Python Basics: predicted 06 Aug 2026, 113 days after the "
                               "expected 15 Apr 2026 (6 topics left)", risk.URGENT),
    }
    # Urgent flags come first, and the student with urgent flags heads the list.
    assert [f.urgent for f in flagged["ENR-1"].flags] == [True, True, False, False]
    zoe = [(f.rule, f.reason, f.severity) for f in flagged["ENR-3"].flags]
    assert zoe == [(risk.NO_RECENT_SESSION,
                    "no session attended since admission on 15 Mar 2026 (16 days)", risk.WATCH)]
    with replica.read() as db:  # two weeks earlier, Asha had just been attending
        early = {r.enrollment_no for r in risk.at_risk_students(db, date(2026, 3, 14))}
    assert "ENR-3" not in early


def test_crm_funnel_conversion_by_source_and_counselor(replica: Replica,
                                                       institute: Institute) -> None:
    with replica.read() as db:
        summary = crm.crm_summary(db, Period(date(2026, 3, 1), date(2026, 3, 31)))
    assert summary.total == 10 and summary.enrolled == 2 and summary.conversion == 20.0
    # Of those reaching a stage: still there, lost there, gone on (the three add up).
    assert [(f.stage, f.reached, f.still_share, f.lost_share, f.went_on_share)
            for f in summary.funnel] == [
        ("new", 10, 30.0, 10.0, 60.0), ("contacted", 6, 33.33, 16.67, 50.0),
        ("follow_up_scheduled", 3, 33.33, 0.0, 66.67), ("enrolled", 2, 100.0, 0.0, None)]
    assert all(f.still_here + f.lost_here + f.went_on == f.reached for f in summary.funnel)
    sources = {g.key: (g.total, g.enrolled, g.lost, g.conversion) for g in summary.by_source}
    assert sources == {"website": (4, 0, 1, 0.0), "referral": (3, 1, 0, 33.33),
                       "walk_in": (3, 1, 1, 33.33)}
    counselors = {g.key: (g.total, g.enrolled) for g in summary.by_counselor}
    assert counselors == {"Kiran Desai": (6, 0), "unassigned": (4, 2)}
    with replica.read() as db:
        empty = crm.crm_summary(db, Period(date(2025, 1, 1), date(2025, 1, 2)))
    assert empty.total == 0 and empty.conversion is None
    assert [(f.still_share, f.lost_share, f.went_on_share) for f in empty.funnel] == \
        [(None, None, None)] * 4
