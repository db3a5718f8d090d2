"""Faculty utilization and performance report.

Utilization figures from `analytics.utilization.faculty_utilization` (hours taught against hours
available), hours per 7-day slice of the period from the same function, the attendance of the
students they taught from `analytics.attendance`, feedback received (rating 1-5, by created_at
within the period) and assessments they marked (assessment_date within the period).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy import func, select

from institute_core.analytics import attendance, utilization
from institute_core.analytics.period import Db, Period
from institute_core.reports.charts import bar_chart
from institute_core.reports.common import base_payload, students_info
from institute_core.reports.layout import (
    CONTENT_WIDTH,
    axis_day,
    data_table,
    fmt,
    heading,
    key_values,
    para,
    pct,
)
from institute_core.schema import Assessment, Feedback

SECTIONS = ("utilization", "weekly", "students", "performance")
TITLE = "Faculty utilization and performance report"


def _figures(u: utilization.FacultyUtilization) -> dict[str, Any]:
    return {"hours_taught": u.hours_taught, "individual_hours": u.individual_hours,
            "batch_hours": u.batch_hours, "hours_available": u.hours_available,
            "utilization": u.utilization, "sessions_completed": u.sessions_completed,
            "sessions_cancelled": u.sessions_cancelled, "sessions_no_show": u.sessions_no_show,
            "batch_days": u.batch_days, "unique_students": u.unique_students}


def slices(period: Period, days: int = 7) -> list[Period]:
    """The period cut into consecutive `days`-day pieces (the last may be shorter)."""
    pieces, start = [], period.start
    while start <= period.end:
        end = min(period.end, start + timedelta(days=days - 1))
        pieces.append(Period(start, end))
        start = end + timedelta(days=1)
    return pieces


def collect_faculty(db: Db, faculty_id: uuid.UUID, period: Period, *,
                    sections: Sequence[str] = SECTIONS) -> dict[str, Any]:
    """The payload of one faculty member's report."""
    (u,) = utilization.faculty_utilization(db, period, [faculty_id])
    weekly = [(p, utilization.faculty_utilization(db, p, [faculty_id])[0]) for p in slices(period)]
    marks = attendance.attendance_marks(db, period, faculty_id=faculty_id)
    per_student = attendance.by_student(marks)
    info = students_info(db, list(per_student))
    rating_count, rating_avg = db.execute(
        select(func.count(Feedback.rating), func.avg(Feedback.rating))
        .where(Feedback.faculty_id == faculty_id, Feedback.deleted_at.is_(None),
               Feedback.rating.is_not(None), Feedback.created_at >= period.start_utc(),
               Feedback.created_at < period.end_utc_exclusive())).one()
    marked, avg_pct = db.execute(
        select(func.count(Assessment.id), func.avg(Assessment.percentage))
        .where(Assessment.faculty_id == faculty_id, Assessment.deleted_at.is_(None),
               Assessment.assessment_date >= period.start,
               Assessment.assessment_date <= period.end)).one()
    payload = base_payload("faculty", TITLE, period, sections)
    payload.update({
        "faculty": {"id": str(faculty_id), "name": u.name, "employee_id": u.employee_id},
        "figures": _figures(u),
        "attendance_rate": attendance.summarize(marks).rate,
        "weekly": [{"start": p.start.isoformat(), "hours": w.hours_taught,
                    "available": w.hours_available} for p, w in weekly],
        "students": sorted(({"name": info[s].name, "enrollment_no": info[s].enrollment_no,
                             "attended": summary.attended, "counted": summary.counted,
                             "rate": summary.rate} for s, summary in per_student.items()),
                           key=lambda r: (str(r["name"]).lower(), r["enrollment_no"])),
        "feedback": {"count": int(rating_count or 0),
                     "average": None if rating_avg is None else round(float(rating_avg), 2)},
        "assessments": {"count": int(marked or 0),
                        "average": None if avg_pct is None else round(float(avg_pct), 2)},
    })
    return payload


def faculty_story(payload: Mapping[str, Any]) -> list[Flowable]:
    f, fig = payload["faculty"], payload["figures"]
    w = CONTENT_WIDTH
    story: list[Flowable] = [para(f"{f['name']} ({f['employee_id']})", "title")]
    chosen = payload["sections"]
    if "utilization" in chosen:
        available = fig["hours_available"]
        story += [*heading("Utilization"), key_values([
            ("Hours taught", f"{fmt(fig['hours_taught'])} h (individual "
                             f"{fmt(fig['individual_hours'])} h, batches "
                             f"{fmt(fig['batch_hours'])} h)"),
            ("Hours available", "n/a (no availability set)" if available is None
             else f"{fmt(available)} h"),
            ("Utilization", pct(fig["utilization"])),
            ("Sessions completed", fig["sessions_completed"]),
            ("Sessions cancelled", fig["sessions_cancelled"]),
            ("Sessions no-show", fig["sessions_no_show"]),
            ("Batch class days", fig["batch_days"]),
            ("Students taught", fig["unique_students"]),
            ("Attendance in their sessions", pct(payload["attendance_rate"]))])]
    if "weekly" in chosen and payload["weekly"]:
        weeks = payload["weekly"]
        story += [*heading("Hours per week"), bar_chart(
            "Hours taught and available per week", [axis_day(x["start"]) for x in weeks],
            [[x["hours"] for x in weeks], [x["available"] or 0 for x in weeks]],
            legend=("taught", "available"), height=130)]
    if "students" in chosen:
        rows = payload["students"]
        never = sum(1 for r in rows if not r["attended"])
        # Everyone with a mark is listed; who never came is why this can exceed the figure.
        story += heading(f"Students with a mark ({len(rows)}: {len(rows) - never} taught"
                         + (f", {never} never attended)" if never else ")"))
        if not rows:
            story.append(para("No student in this period."))
        else:
            story.append(data_table(
                ["Student", "Enrollment", "Attended", "Counted", "Rate"],
                [[r["name"], r["enrollment_no"], r["attended"], r["counted"], pct(r["rate"])]
                 for r in rows],
                [w * 0.36, w * 0.18, w * 0.14, w * 0.14, w * 0.18],
                highlight=[i for i, r in enumerate(rows)
                           if r["rate"] is not None and r["rate"] < 75],
                numeric=(2, 3, 4)))
    if "performance" in chosen:
        fb, ass = payload["feedback"], payload["assessments"]
        story += [*heading("Performance"), key_values([
            ("Feedback ratings received", fb["count"]),
            ("Average rating (1-5)", fmt(fb["average"])),
            ("Assessments marked", ass["count"]),
            ("Average assessment score", pct(ass["average"]))])]
    return story
