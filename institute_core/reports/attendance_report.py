"""Attendance report for a date range, per student or per batch, absentees highlighted.

Figures come from `analytics.attendance` (late counts as attended, excused is left out of the
rate). Per student: every mark with its session, absences highlighted. Per batch: one line per
member (below 75 % highlighted), and per session date who was absent.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy import select

from institute_core.analytics import attendance
from institute_core.analytics.period import Db, Period
from institute_core.analytics.risk_settings import RiskThresholds
from institute_core.enums import AttendanceStatus
from institute_core.reports.charts import bar_chart
from institute_core.reports.common import (
    base_payload,
    batch_names,
    faculty_names,
    students_info,
    subject_names,
)
from institute_core.reports.layout import (
    CONTENT_WIDTH,
    axis_day,
    data_table,
    date_cell,
    heading,
    key_values,
    para,
    pct,
)
from institute_core.schema import BatchMember, FlexibleBatch

SECTIONS = ("summary", "sessions")
TITLE = "Attendance report"
# The at-risk rule's default threshold (the report's highlight does not move with settings).
LOW_ATTENDANCE = RiskThresholds().attendance_below


def _summary(summary: attendance.AttendanceSummary,
             streak: attendance.AbsenceStreak | None) -> dict[str, Any]:
    return {"present": summary.present, "late": summary.late, "absent": summary.absent,
            "excused": summary.excused, "counted": summary.counted, "rate": summary.rate,
            "longest_streak": streak.longest if streak else 0}


def collect_student_attendance(db: Db, student_ids: Sequence[uuid.UUID], period: Period, *,
                               sections: Sequence[str] = SECTIONS,
                               batch_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """One per-student attendance payload per student (only one batch's sessions if given)."""
    ids = list(student_ids)
    info = students_info(db, ids)
    marks = attendance.attendance_marks(db, period, student_ids=ids, batch_id=batch_id,
                                        include_individual=batch_id is None)
    summaries, streaks = attendance.by_student(marks), attendance.absence_streaks(marks)
    subjects, faculties, batches = subject_names(db), faculty_names(db), batch_names(db)
    own: dict[uuid.UUID, list[attendance.AttendanceMark]] = defaultdict(list)
    for mark in marks:
        own[mark.student_id].append(mark)
    payloads = []
    for sid in ids:
        payload = base_payload("attendance", TITLE, period, sections)
        rows = sorted(own.get(sid, []), key=lambda m: m.sort_key)
        payload.update({
            "scope": "student",
            "student": info[sid].as_payload(),
            "summary": _summary(summaries.get(sid, attendance.AttendanceSummary()),
                                streaks.get(sid)),
            "marks": [{
                "date": m.day.isoformat(),
                "session": (f"Batch {batches.get(m.batch_id, '')}" if m.batch_id
                            else "Individual"),
                "subject": subjects.get(m.subject_id, ""),
                "faculty": faculties.get(m.faculty_id, ""),
                "status": m.status} for m in rows],
        })
        payloads.append(payload)
    return payloads


def batch_members(db: Db, batch_id: uuid.UUID) -> list[uuid.UUID]:
    """Current and past members of a batch (soft-deleted memberships excluded)."""
    return list(db.execute(select(BatchMember.student_id).where(
        BatchMember.batch_id == batch_id, BatchMember.deleted_at.is_(None))).scalars())


def batch_header(db: Db, batch_id: uuid.UUID) -> dict[str, Any]:
    row = db.execute(select(FlexibleBatch.name, FlexibleBatch.subject_id,
                            FlexibleBatch.faculty_id, FlexibleBatch.start_date,
                            FlexibleBatch.end_date)
                     .where(FlexibleBatch.id == batch_id)).one()
    name, subject, faculty, start, end = row
    return {"id": str(batch_id), "name": name, "subject": subject_names(db).get(subject, ""),
            "faculty": faculty_names(db).get(faculty, ""), "start": start.isoformat(),
            "end": end.isoformat() if end else None}


def collect_batch_attendance(db: Db, batch_id: uuid.UUID, period: Period, *,
                             sections: Sequence[str] = SECTIONS) -> dict[str, Any]:
    """The batch's own sessions: a line per member and a line per session date."""
    members = batch_members(db, batch_id)
    info = students_info(db, members)
    marks = attendance.attendance_marks(db, period, batch_id=batch_id,
                                        include_individual=False)
    summaries, streaks = attendance.by_student(marks), attendance.absence_streaks(marks)
    everyone = sorted(set(members) | set(summaries), key=lambda s: info[s].name.lower()
                      if s in info else "")
    info.update(students_info(db, [s for s in everyone if s not in info]))
    per_date: dict[str, list[attendance.AttendanceMark]] = defaultdict(list)
    for mark in marks:
        per_date[mark.day.isoformat()].append(mark)
    payload = base_payload("attendance", TITLE, period, sections)
    payload.update({
        "scope": "batch",
        "batch": batch_header(db, batch_id),
        "overall": _summary(attendance.summarize(marks), None),
        "students": [{**info[s].as_payload(),
                      **_summary(summaries.get(s, attendance.AttendanceSummary()),
                                 streaks.get(s))} for s in everyone],
        "dates": [{"date": day,
                   **_summary(attendance.summarize(day_marks), None),
                   "absentees": sorted(info[m.student_id].name for m in day_marks
                                       if m.status == AttendanceStatus.ABSENT)}
                  for day, day_marks in sorted(per_date.items())],
    })
    return payload


# --- rendering ------------------------------------------------------------------------------

def _summary_pairs(s: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [("Attendance rate", pct(s["rate"])), ("Present", s["present"]), ("Late", s["late"]),
            ("Absent", s["absent"]), ("Excused (not counted)", s["excused"])]


def attendance_story(payload: Mapping[str, Any]) -> list[Flowable]:
    if payload["scope"] == "batch":
        return _batch_story(payload)
    s = payload["student"]
    w = CONTENT_WIDTH
    story: list[Flowable] = [para(f"{s['name']} ({s['enrollment_no']})", "title")]
    if "summary" in payload["sections"]:
        story += [*heading("Summary"), key_values(
            [*_summary_pairs(payload["summary"]),
             ("Longest absence streak", payload["summary"]["longest_streak"])])]
    if "sessions" in payload["sections"]:
        marks = payload["marks"]
        story += heading("Sessions")
        if not marks:
            story.append(para("No session in this period."))
        else:
            absent = [i for i, m in enumerate(marks) if m["status"] == AttendanceStatus.ABSENT]
            story.append(data_table(
                ["Date", "Session", "Subject", "Faculty", "Status"],
                [[date_cell(m["date"]), m["session"], m["subject"], m["faculty"], m["status"]]
                 for m in marks],
                [w * 0.14, w * 0.26, w * 0.24, w * 0.22, w * 0.14], highlight=absent))
    return story


def _batch_story(payload: Mapping[str, Any]) -> list[Flowable]:
    b = payload["batch"]
    w = CONTENT_WIDTH
    story: list[Flowable] = [para(f"Batch {b['name']}", "title"), key_values([
        ("Subject", b["subject"]), ("Faculty", b["faculty"]), ("Members", len(payload["students"])),
        *_summary_pairs(payload["overall"])])]
    if "summary" in payload["sections"]:
        students = payload["students"]
        low = [i for i, s in enumerate(students)
               if s["rate"] is not None and s["rate"] < LOW_ATTENDANCE]
        story += [*heading("Students"), data_table(
            ["Student", "Enrollment", "Present", "Late", "Absent", "Excused", "Rate",
             "Longest streak"],
            [[s["name"], s["enrollment_no"], s["present"], s["late"], s["absent"],
              s["excused"], pct(s["rate"]), s["longest_streak"]] for s in students],
            [w * 0.25, w * 0.17, w * 0.08, w * 0.07, w * 0.08, w * 0.09, w * 0.12, w * 0.14],
            highlight=low, numeric=(2, 3, 4, 5, 6, 7)),
            para(f"Highlighted: attendance below {LOW_ATTENDANCE} %.", "small")]
    if "sessions" in payload["sections"]:
        dates = payload["dates"]
        story += heading("Sessions")
        if not dates:
            story.append(para("No session in this period."))
        else:
            if len(dates) > 1:
                story.append(bar_chart("Attendance rate per session (%)",
                                       [axis_day(d["date"]) for d in dates],
                                       [[d["rate"] or 0 for d in dates]], value_max=100,
                                       height=120))
            story.append(data_table(
                ["Date", "Present", "Late", "Absent", "Excused", "Rate", "Absentees"],
                [[date_cell(d["date"]), d["present"], d["late"], d["absent"], d["excused"],
                  pct(d["rate"]), ", ".join(d["absentees"])] for d in dates],
                [w * 0.15, w * 0.09, w * 0.07, w * 0.09, w * 0.09, w * 0.11, w * 0.40],
                highlight=[i for i, d in enumerate(dates) if d["absentees"]],
                numeric=(1, 2, 3, 4, 5)))
    return story
