"""Every at-risk rule at its thresholds: just below, at and just above, for both the flag and
its urgency; thresholds an admin tunes move the list; the declarations stay complete."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import date, timedelta

import pytest

from institute_core.analytics import risk
from institute_core.analytics.prediction import CompletionPrediction
from institute_core.analytics.risk_settings import THRESHOLDS, RiskThresholds
from institute_core.replica import Replica
from tests.analytics.institute import TODAY, Institute

LIMITS = RiskThresholds()


def _severity(flag: risk.RiskFlag | None) -> str | None:
    return None if flag is None else flag.severity


@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_low_attendance_around_its_threshold(shift: int) -> None:
    # 100 counted marks make a whole percentage: the rate is exactly the threshold + shift.
    wide = replace(LIMITS, attendance_window=100)
    for threshold, field, below in (
            (wide.attendance_below, "attendance_below", "watch"),
            (wide.attendance_urgent_below, "attendance_urgent_below", "urgent")):
        flag = risk._low_attendance(100, threshold + shift, wide)
        if shift < 0:
            assert _severity(flag) == below, field
        elif field == "attendance_below":
            assert flag is None, "at or above the threshold is not low attendance"
        else:
            assert _severity(flag) == "watch", "at the urgent line it is one to watch"


def test_no_attendance_flag_before_the_fewest_sessions() -> None:
    fewest = LIMITS.attendance_minimum
    assert risk._low_attendance(fewest - 1, 0, LIMITS) is None
    assert _severity(risk._low_attendance(fewest, 0, LIMITS)) == "urgent"


@pytest.mark.parametrize(("days", "expected"), [
    (LIMITS.idle_days - 1, None), (LIMITS.idle_days, "watch"), (LIMITS.idle_days + 1, "watch"),
    (LIMITS.idle_urgent_days - 1, "watch"), (LIMITS.idle_urgent_days, "urgent"),
    (LIMITS.idle_urgent_days + 1, "urgent")])
def test_no_recent_session_around_its_thresholds(days: int, expected: str | None) -> None:
    today = date(2026, 6, 30)
    admitted = today - timedelta(days=200)
    flag = risk._no_recent_session(today - timedelta(days=days), admitted, today, LIMITS)
    assert _severity(flag) == expected
    if flag:
        assert f"no session attended for {days} days" in flag.reason
    never = risk._no_recent_session(None, today - timedelta(days=days), today, LIMITS)
    assert _severity(never) == expected, "counted from admission when nothing was attended"


@pytest.mark.parametrize("shift", [-1, 0, 1])
def test_falling_understanding_around_its_thresholds(shift: int) -> None:
    drop = LIMITS.competency_drop_tenths + shift
    levels = [4.5, (45 - drop / 2) / 10, (45 - drop) / 10]
    flag = risk._falling(levels, LIMITS)
    assert (flag is None) == (shift < 0)
    urgent_line = LIMITS.competency_urgent_level_tenths
    last = (urgent_line + shift) / 10
    flag = risk._falling([last + 2.0, last + 1.0, last], LIMITS)
    assert _severity(flag) == ("watch" if shift > 0 else "urgent")
    assert risk._falling([4.0, 4.0, 2.0], LIMITS) is None, "must fall at every step"


def _prediction(late: int, *, expected_passed: bool = False,
                remaining: int = 5) -> CompletionPrediction:
    expected = date(2026, 8, 1)
    return CompletionPrediction(
        enrollment_id=uuid.uuid4(), student_id=uuid.uuid4(), subject_id=uuid.uuid4(),
        subject_name="Python Basics", status="active", topics_total=10,
        topics_done=10 - remaining, velocity=1.0, predicted=expected + timedelta(days=late),
        earliest=None, latest=None, expected=expected, expected_passed=expected_passed)


@pytest.mark.parametrize(("late", "expected"), [
    (LIMITS.behind_days - 1, None), (LIMITS.behind_days, "watch"),
    (LIMITS.behind_days + 1, "watch"), (LIMITS.behind_urgent_days - 1, "watch"),
    (LIMITS.behind_urgent_days, "urgent"), (LIMITS.behind_urgent_days + 1, "urgent")])
def test_behind_schedule_around_its_thresholds(late: int, expected: str | None) -> None:
    flag = risk._behind(_prediction(late), date(2026, 6, 1), LIMITS)
    assert _severity(flag) == expected
    if flag:
        assert f"{late} days after the expected 01 Aug 2026 (5 topics left)" in flag.reason


def test_behind_schedule_urgent_once_the_expected_date_passed() -> None:
    today = date(2026, 8, 10)
    late = _prediction(LIMITS.behind_days, expected_passed=True)
    assert _severity(risk._behind(late, today, LIMITS)) == "urgent"
    idle = replace(late, predicted=None, topics_done=0)
    flag = risk._behind(idle, today, LIMITS)
    assert flag is not None and flag.urgent
    assert "9 days ago" in flag.reason and "no topic completed" in flag.reason
    assert risk._behind(_prediction(400, remaining=0), today, LIMITS) is None, "finished"


def test_tuned_thresholds_move_the_list(replica: Replica, institute: Institute) -> None:
    with replica.read() as db:
        default = {r.enrollment_no for r in risk.at_risk_students(db, TODAY)}
        patient = {r.enrollment_no for r in risk.at_risk_students(
            db, TODAY, thresholds=replace(LIMITS, idle_days=17, idle_urgent_days=30))}
        strict = risk.at_risk_students(db, TODAY, thresholds=replace(
            LIMITS, idle_days=7, idle_urgent_days=14))
    assert "ENR-3" in default and "ENR-3" not in patient  # idle for 16 days
    zoe = next(r for r in strict if r.enrollment_no == "ENR-3")
    assert zoe.urgent and zoe.why.startswith("No recent session: no session attended since")
    assert [r.urgent for r in strict] == sorted((r.urgent for r in strict), reverse=True)


def test_every_threshold_declared_once_and_stored_within_bounds() -> None:
    assert [t.name for t in THRESHOLDS] == [f.name for f in fields(RiskThresholds)]
    for t in THRESHOLDS:
        default = getattr(LIMITS, t.name)
        assert t.minimum <= default <= t.maximum, t.name
        for bad in (t.minimum - 1, t.maximum + 1, "7", True, None):
            kept = RiskThresholds.from_mapping({t.name: bad})
            assert getattr(kept, t.name) == default, (t.name, bad)
        assert getattr(RiskThresholds.from_mapping({t.name: t.maximum}), t.name) == t.maximum
    assert LIMITS.problems() == []
    assert RiskThresholds.from_mapping(LIMITS.to_mapping()) == LIMITS
    wrong = replace(LIMITS, idle_urgent_days=LIMITS.idle_days - 1, behind_days=400)
    assert wrong.problems() == ["Behind schedule by: must be 0 to 365 days, got 400",
                                "Urgent idle days: must not be fewer than the idle days",
                                "Urgent days behind: must not be fewer than the days behind"]
