"""Batch report: an overview page, then every student's progress report in one PDF.

Each student's pages are the progress report (`progress.collect_progress`, collected for the
whole batch at once); the overview lists each member's attendance rate, topics done, predicted
completion and risk flags.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from reportlab.platypus import Flowable, PageBreak

from institute_core.analytics.period import Db, Period
from institute_core.reports import progress
from institute_core.reports.attendance_report import batch_header, batch_members
from institute_core.reports.common import base_payload, students_info
from institute_core.reports.layout import CONTENT_WIDTH, data_table, date_cell, heading, para, pct

TITLE = "Batch report"


def collect_batch(db: Db, batch_id: uuid.UUID, period: Period, today: date, *,
                  sections: Sequence[str] = progress.SECTIONS,
                  remarks: Mapping[uuid.UUID, str] | None = None,
                  student_ids: Sequence[uuid.UUID] | None = None) -> dict[str, Any]:
    """The batch's members (or the given students) with their progress payloads."""
    members = list(student_ids) if student_ids is not None else batch_members(db, batch_id)
    info = students_info(db, members)
    members.sort(key=lambda s: (info[s].name.lower(), info[s].enrollment_no))
    students = progress.collect_progress(db, members, period, today, sections=sections,
                                         remarks=remarks)
    payload = base_payload("batch", TITLE, period, sections)
    payload.update({"batch": batch_header(db, batch_id), "students": students})
    return payload


def overview_row(p: Mapping[str, Any]) -> list[Any]:
    done = sum(s["topics_done"] for s in p["subjects"])
    total = sum(s["topics_total"] for s in p["subjects"])
    predicted = ", ".join(date_cell(s["predicted"]) or "n/a" for s in p["subjects"]) or "n/a"
    return [p["student"]["name"], p["student"]["enrollment_no"], pct(p["attendance"]["rate"]),
            f"{done}/{total}", predicted, len(p["risk"])]


def batch_story(payload: Mapping[str, Any]) -> list[Flowable]:
    b = payload["batch"]
    w = CONTENT_WIDTH
    students = payload["students"]
    story: list[Flowable] = [
        para(f"Batch {b['name']}", "title"),
        para(f"Subject: {b['subject']} · Faculty: {b['faculty']} · Students: {len(students)}"),
        *heading("Overview"),
        data_table(["Student", "Enrollment", "Attendance", "Topics", "Predicted",
                    "Flags"], [overview_row(p) for p in students],
                   [w * 0.25, w * 0.17, w * 0.12, w * 0.1, w * 0.26, w * 0.1],
                   highlight=[i for i, p in enumerate(students) if p["risk"]],
                   numeric=(2, 3, 5)),
        para("Highlighted: at least one risk flag (see the student's page).", "small"),
    ]
    for p in students:
        story.append(PageBreak())
        story.extend(progress.progress_story(p))
    return story
