"""Topic coverage report for a batch: topics per session, and what each student missed.

A batch session is a date with batch attendance. Its covered topics are the topics recorded
(batch_attendance_topics) for the students who attended it. A student *missed* a topic when it
was covered on a date they were marked absent or excused, and they have not had it in any other
attended session (batch or individual attendance topics) nor completed it
(student_topic_progress completed/mastered). Soft-deleted rows never count.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from reportlab.platypus import Flowable
from sqlalchemy import select

from institute_core.analytics.period import Db, Period, as_date
from institute_core.analytics.velocity import DONE
from institute_core.enums import AttendanceStatus
from institute_core.reports.attendance_report import batch_header, batch_members
from institute_core.reports.common import base_payload, students_info
from institute_core.reports.layout import CONTENT_WIDTH, data_table, date_cell, heading, para
from institute_core.schema import (
    AttendanceTopic,
    BatchAttendanceTopic,
    BatchSessionAttendance,
    SessionAttendance,
    StudentTopicProgress,
    Topic,
)

SECTIONS = ("sessions", "missed")
TITLE = "Topic coverage report"
MISSED_ON = (AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value)


def collect_coverage(db: Db, batch_id: uuid.UUID, period: Period, *,
                     sections: Sequence[str] = SECTIONS) -> dict[str, Any]:
    bsa, bt = BatchSessionAttendance, BatchAttendanceTopic
    marks = db.execute(
        select(bsa.id, bsa.session_date, bsa.student_id, bsa.attendance_status)
        .where(bsa.batch_id == batch_id, bsa.deleted_at.is_(None),
               bsa.session_date >= period.start, bsa.session_date <= period.end)).all()
    topic_names = {tid: (order, name) for tid, order, name in db.execute(
        select(Topic.id, Topic.order_index, Topic.name))}
    covered_rows = db.execute(
        select(bsa.session_date, bt.topic_id)
        .join(bsa, bsa.id == bt.batch_attendance_id)
        .where(bsa.batch_id == batch_id, bsa.deleted_at.is_(None), bt.deleted_at.is_(None),
               bsa.attendance_status.in_([AttendanceStatus.PRESENT.value,
                                          AttendanceStatus.LATE.value]),
               bsa.session_date >= period.start, bsa.session_date <= period.end)).all()
    covered: dict[date, set[uuid.UUID]] = defaultdict(set)
    for day, topic in covered_rows:
        covered[as_date(day)].add(topic)
    members = set(batch_members(db, batch_id)) | {m[2] for m in marks}
    info = students_info(db, list(members))
    had = _topics_had(db, list(members))
    per_date: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    missed_dates: dict[uuid.UUID, list[date]] = defaultdict(list)
    for _id, day, student, status in marks:
        day = as_date(day)
        per_date[day][status] += 1
        if status in MISSED_ON:
            missed_dates[student].append(day)

    def label(topic: uuid.UUID) -> str:
        order, name = topic_names.get(topic, (0, "?"))
        return f"{order}. {name}"

    def ordered(topics: set[uuid.UUID]) -> list[str]:
        return [label(t) for t in sorted(topics, key=lambda t: topic_names.get(t, (0, ""))[0])]

    students = []
    for sid in sorted(members, key=lambda s: (info[s].name.lower(), info[s].enrollment_no)):
        absent_days = sorted(missed_dates.get(sid, []))
        missed = set().union(*(covered.get(d, set()) for d in absent_days)) - had.get(sid, set())
        students.append({**info[sid].as_payload(),
                         "absent_dates": [d.isoformat() for d in absent_days],
                         "missed": ordered(missed)})
    payload = base_payload("coverage", TITLE, period, sections)
    payload.update({
        "batch": batch_header(db, batch_id),
        "sessions": [{"date": d.isoformat(), "topics": ordered(covered.get(d, set())),
                      "attended": counts.get("present", 0) + counts.get("late", 0),
                      "absent": counts.get("absent", 0) + counts.get("excused", 0)}
                     for d, counts in sorted(per_date.items())],
        "students": students,
    })
    return payload


def _topics_had(db: Db, students: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Topics each student attended (any session) or completed."""
    attended = [AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value]
    bsa, bt = BatchSessionAttendance, BatchAttendanceTopic
    sa, at = SessionAttendance, AttendanceTopic
    stp = StudentTopicProgress
    queries = [
        select(bsa.student_id, bt.topic_id).join(bsa, bsa.id == bt.batch_attendance_id)
        .where(bsa.student_id.in_(students), bsa.deleted_at.is_(None), bt.deleted_at.is_(None),
               bsa.attendance_status.in_(attended)),
        select(sa.student_id, at.topic_id).join(sa, sa.id == at.attendance_id)
        .where(sa.student_id.in_(students), sa.deleted_at.is_(None), at.deleted_at.is_(None),
               sa.attendance_status.in_(attended)),
        select(stp.student_id, stp.topic_id)
        .where(stp.student_id.in_(students), stp.deleted_at.is_(None), stp.status.in_(DONE)),
    ]
    had: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for query in queries:
        for student, topic in db.execute(query):
            had[student].add(topic)
    return had


def coverage_story(payload: Mapping[str, Any]) -> list[Flowable]:
    b = payload["batch"]
    w = CONTENT_WIDTH
    story: list[Flowable] = [para(f"Batch {b['name']}", "title"),
                             para(f"Subject: {b['subject']} · Faculty: {b['faculty']}")]
    if "sessions" in payload["sections"]:
        sessions = payload["sessions"]
        story += heading("Topics covered per session")
        if not sessions:
            story.append(para("No session in this period."))
        else:
            story.append(data_table(
                ["Date", "Topics covered", "Attended", "Absent"],
                [[date_cell(s["date"]), "; ".join(s["topics"]) or "(none recorded)", s["attended"],
                  s["absent"]] for s in sessions],
                [w * 0.15, w * 0.55, w * 0.15, w * 0.15], numeric=(2, 3)))
    if "missed" in payload["sections"]:
        students = payload["students"]
        story += heading("Topics missed while absent")
        story.append(data_table(
            ["Student", "Enrollment", "Absent on", "Topics missed"],
            [[s["name"], s["enrollment_no"], ", ".join(map(date_cell, s["absent_dates"])) or "-",
              "; ".join(s["missed"]) or "none"] for s in students],
            [w * 0.22, w * 0.17, w * 0.21, w * 0.4],
            highlight=[i for i, s in enumerate(students) if s["missed"]]))
    return story
