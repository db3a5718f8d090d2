"""Student progress report: subjects, topics, attendance, assessments, rewards, prediction.

Sources: subjects/prediction from `analytics.prediction.predict_completion` (at `today`), topic
status and competency from student_topic_progress (topics without a row are "not started"),
attendance from `analytics.attendance` over the period, the weekly chart from
`analytics.velocity`, assessments and rewards/penalties dated within the period, flags from
`analytics.risk`. One call collects any number of students with a fixed number of queries, so
the batch report reuses it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Spacer
from sqlalchemy import select

from institute_core.analytics import attendance, prediction, risk, velocity
from institute_core.analytics.period import Db, Period
from institute_core.display import day_month
from institute_core.enums import ActiveStatus, RewardType
from institute_core.reports.charts import bar_chart
from institute_core.reports.common import (
    base_payload,
    faculty_names,
    iso,
    students_info,
    subject_names,
)
from institute_core.reports.layout import (
    CONTENT_WIDTH,
    data_table,
    date_cell,
    fmt,
    heading,
    key_values,
    para,
    paragraphs,
    pct,
    subheading,
)
from institute_core.schema import (
    Assessment,
    Enrollment,
    RewardPenalty,
    StudentTopicProgress,
    Topic,
)

SECTIONS = ("subjects", "topics", "attendance", "assessments", "rewards", "risk", "remarks")
TITLE = "Student progress report"


def collect_progress(db: Db, student_ids: Sequence[uuid.UUID], period: Period, today: date,
                     *, sections: Sequence[str] = SECTIONS,
                     remarks: Mapping[uuid.UUID, str] | None = None) -> list[dict[str, Any]]:
    """One progress payload per student, in the order given."""
    ids = list(student_ids)
    info = students_info(db, ids)
    subjects = subject_names(db)
    faculties = faculty_names(db)
    enrollment_faculty = dict(db.execute(
        select(Enrollment.id, Enrollment.faculty_id)
        .where(Enrollment.student_id.in_(ids))).tuples().all())
    predicted = prediction.predict_completion(db, today, student_ids=ids)
    predictions = prediction.by_student(predicted)
    # A section left out is not computed either (the portal asks for subjects and topics
    # only, on every page view); the payload then holds it empty.
    chosen = set(sections)
    topics = _topic_rows(db, ids, predictions) if "topics" in chosen else {}
    marks = (attendance.attendance_marks(db, period, student_ids=ids)
             if "attendance" in chosen else [])
    summaries = attendance.by_student(marks)
    streaks = attendance.absence_streaks(marks)
    weekly = (_weekly(velocity.learning_velocity(db, today, student_ids=ids))
              if "attendance" in chosen else {})
    assessments = _assessments(db, ids, period, subjects) if "assessments" in chosen else {}
    rewards = _rewards(db, ids, period) if "rewards" in chosen else {}
    flags = (risk.risk_flags(db, today, student_ids=ids, predictions=predicted)
             if "risk" in chosen else {})
    payloads = []
    for sid in ids:
        payload = base_payload("progress", TITLE, period, sections)
        summary = summaries.get(sid, attendance.AttendanceSummary())
        streak = streaks.get(sid)
        payload.update({
            "student": info[sid].as_payload(),
            "subjects": [_subject_row(p, faculties.get(enrollment_faculty[p.enrollment_id]))
                         for p in predictions.get(sid, [])],
            "topics": topics.get(sid, []),
            "attendance": {
                "present": summary.present, "late": summary.late, "absent": summary.absent,
                "excused": summary.excused, "rate": summary.rate,
                "longest_streak": streak.longest if streak else 0,
                "current_streak": streak.current if streak else 0},
            "weekly": weekly.get(sid, {"labels": [], "topics": []}),
            "assessments": assessments.get(sid, []),
            "rewards": rewards.get(sid, []),
            "risk": [{"rule": f.rule, "reason": f.reason} for f in flags.get(sid, [])],
            "remarks": (remarks or {}).get(sid),
        })
        payloads.append(payload)
    return payloads


def _subject_row(p: prediction.CompletionPrediction, faculty: str | None) -> dict[str, Any]:
    done_pct = round(p.topics_done * 100 / p.topics_total, 2) if p.topics_total else None
    return {"subject": p.subject_name, "faculty": faculty or "", "status": p.status,
            "topics_done": p.topics_done, "topics_total": p.topics_total,
            "completion": done_pct, "velocity": p.velocity,
            "predicted": iso(p.predicted), "earliest": iso(p.earliest), "latest": iso(p.latest),
            "expected": iso(p.expected), "behind": p.behind_schedule}


def _topic_rows(db: Db, ids: list[uuid.UUID],
                predictions: Mapping[uuid.UUID, list[prediction.CompletionPrediction]]
                ) -> dict[uuid.UUID, list[dict[str, Any]]]:
    subject_ids = {p.subject_id for own in predictions.values() for p in own}
    topics = db.execute(
        select(Topic.id, Topic.subject_id, Topic.name,
                                                   Topic.order_index)
        .where(Topic.subject_id.in_(list(subject_ids)), Topic.deleted_at.is_(None),
               Topic.status == ActiveStatus.ACTIVE.value)
        .order_by(Topic.subject_id, Topic.order_index)).all()
    per_subject: dict[uuid.UUID, list[tuple[uuid.UUID, str, int]]] = defaultdict(list)
    for tid, subject, name, order in topics:
        per_subject[subject].append((tid, name, order))
    stp = StudentTopicProgress
    progress = {(sid, tid): (status, level, done) for sid, tid, status, level, done in db.execute(
        select(stp.student_id, stp.topic_id, stp.status,
                                                 stp.competency_level, stp.completion_date)
        .where(stp.student_id.in_(ids), stp.deleted_at.is_(None)))}
    result: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for sid, own in predictions.items():
        rows = []
        for p in own:
            for tid, name, order in per_subject.get(p.subject_id, []):
                status, level, done = progress.get((sid, tid), ("not_started", None, None))
                rows.append({"subject": p.subject_name, "order": order, "topic": name,
                             "status": status, "competency": level, "completed_on": iso(done)})
        result[sid] = rows
    return result


def _weekly(rows: list[velocity.LearningVelocity]) -> dict[uuid.UUID, dict[str, Any]]:
    """Topics completed per week, all subjects of a student added up."""
    result: dict[uuid.UUID, dict[str, Any]] = {}
    for v in rows:
        entry = result.setdefault(v.student_id, {
            "labels": [day_month(w.start) for w in v.weeks],
            "topics": [0] * len(v.weeks)})
        for i, week in enumerate(v.weeks):
            entry["topics"][i] += week.topics
    return result


def _assessments(db: Db, ids: list[uuid.UUID], period: Period,
                 subjects: Mapping[uuid.UUID, str]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    a = Assessment
    rows = db.execute(
        select(a.student_id, a.assessment_date, a.title, a.assessment_type, a.subject_id,
            a.marks_obtained, a.total_marks, a.percentage, a.grade)
        .where(a.student_id.in_(ids), a.deleted_at.is_(None),
               a.assessment_date >= period.start, a.assessment_date <= period.end)
        .order_by(a.assessment_date, a.title))
    result: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for sid, day, title, kind, subject, obtained, total, percentage, grade in rows:
        result[sid].append({
            "date": day.isoformat(), "title": title, "type": kind,
            "subject": subjects.get(subject, ""),
            "marks": None if obtained is None else str(obtained),
            "total": str(total), "percentage": None if percentage is None else str(percentage),
            "grade": grade})
    return result


def _rewards(db: Db, ids: list[uuid.UUID], period: Period
             ) -> dict[uuid.UUID, list[dict[str, Any]]]:
    r = RewardPenalty
    rows = db.execute(
        select(r.student_id, r.date, r.type, r.category,
                                               r.reason, r.points)
        .where(r.student_id.in_(ids), r.deleted_at.is_(None),
               r.date >= period.start, r.date <= period.end)
        .order_by(r.date))
    result: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for sid, day, kind, category, reason, points in rows:
        result[sid].append({"date": day.isoformat(), "type": kind, "category": category,
                            "reason": reason, "points": points})
    return result


def net_points(rewards: list[dict[str, Any]]) -> int:
    """Rewards add, penalties subtract (points are stored as magnitudes)."""
    return sum(r["points"] if r["type"] == RewardType.REWARD else -r["points"] for r in rewards)


# --- rendering ------------------------------------------------------------------------------

def progress_story(payload: Mapping[str, Any], *, with_title: bool = True) -> list[Flowable]:
    """The flowables of one student's progress report."""
    s = payload["student"]
    story: list[Flowable] = []
    if with_title:
        story.append(para(f"{s['name']} ({s['enrollment_no']})", "title"))
    story.append(key_values([("Enrollment number", s["enrollment_no"]),
                             ("Admitted", date_cell(s["admission_date"])),
                             ("Status", s["status"])]))
    chosen = set(payload["sections"])
    for section in SECTIONS:
        if section in chosen:
            story.extend(_SECTION_RENDERERS[section](payload))
    return story


def _subjects(payload: Mapping[str, Any]) -> list[Flowable]:
    rows = payload["subjects"]
    if not rows:
        return [*heading("Subjects and predicted completion"), para("Not enrolled in a subject.")]
    header = ["Subject", "Faculty", "Status", "Topics", "Done", "Per week",
              "Predicted (range)", "Expected"]
    data = []
    for r in rows:
        when = date_cell(r["predicted"]) or "n/a"
        if r["predicted"] and (r["earliest"], r["latest"]) != (r["predicted"], r["predicted"]):
            when = (f"{when} ({date_cell(r['earliest']) or '?'} – "
                    f"{date_cell(r['latest']) or 'open'})")
        data.append([r["subject"], r["faculty"], r["status"],
                     f"{r['topics_done']}/{r['topics_total']}", pct(r["completion"]),
                     fmt(r["velocity"], places=3), when, date_cell(r["expected"]) or "n/a"])
    w = CONTENT_WIDTH
    widths = [w * 0.15, w * 0.12, w * 0.08, w * 0.08, w * 0.1, w * 0.08, w * 0.25, w * 0.14]
    behind = [i for i, r in enumerate(rows) if r["behind"]]
    flowables: list[Flowable] = [*heading("Subjects and predicted completion"),
                                 data_table(header, data, widths, highlight=behind,
                                            numeric=(3, 4, 5))]
    if behind:
        flowables.append(para("Highlighted: behind schedule (predicted after expected).",
                              "small"))
    return flowables


def _topics(payload: Mapping[str, Any]) -> list[Flowable]:
    rows = payload["topics"]
    if not rows:
        return []
    w = CONTENT_WIDTH
    per_subject: dict[str, list[list[Any]]] = {}
    for r in rows:
        per_subject.setdefault(r["subject"], []).append(
            [r["order"], r["topic"], r["status"].replace("_", " "),
             "" if r["competency"] is None else r["competency"], date_cell(r["completed_on"])])
    flowables = heading("Topic-wise status and competency (0-5)")
    for subject, data in per_subject.items():
        flowables += [*subheading(subject),
                      data_table(["#", "Topic", "Status", "Competency", "Completed on"], data,
                                 [w * 0.06, w * 0.49, w * 0.16, w * 0.13, w * 0.16],
                                 numeric=(0, 3))]
    return flowables


def _attendance(payload: Mapping[str, Any]) -> list[Flowable]:
    a = payload["attendance"]
    flowables: list[Flowable] = [*heading("Attendance summary"), key_values([
        ("Attendance rate (late counts as attended, excused not counted)", pct(a["rate"])),
        ("Present", a["present"]), ("Late", a["late"]), ("Absent", a["absent"]),
        ("Excused", a["excused"]),
        ("Longest absence streak", a["longest_streak"]),
        ("Current absence streak", a["current_streak"])])]
    weekly = payload.get("weekly") or {}
    if weekly.get("labels"):
        flowables += [Spacer(1, 4), bar_chart("Topics completed per week", weekly["labels"],
                                              [weekly["topics"]], height=120)]
    return flowables


def _assessments_section(payload: Mapping[str, Any]) -> list[Flowable]:
    rows = payload["assessments"]
    flowables = heading("Assessments")
    if not rows:
        return [*flowables, para("No assessment in this period.")]
    w = CONTENT_WIDTH
    data = [[date_cell(r["date"]), r["subject"], r["title"], r["type"],
             f"{r['marks'] or '-'} / {r['total']}", pct_text(r["percentage"]), r["grade"] or ""]
            for r in rows]
    return [*flowables, data_table(
        ["Date", "Subject", "Title", "Type", "Marks", "Percent", "Grade"], data,
        [w * 0.15, w * 0.16, w * 0.23, w * 0.1, w * 0.15, w * 0.12, w * 0.09],
        numeric=(4, 5))]


def pct_text(value: str | None) -> str:
    return "n/a" if value is None else f"{value} %"


def _rewards_section(payload: Mapping[str, Any]) -> list[Flowable]:
    rows = payload["rewards"]
    flowables = heading("Rewards and penalties")
    if not rows:
        return [*flowables, para("None in this period.")]
    w = CONTENT_WIDTH
    data = [[date_cell(r["date"]), r["type"], r["category"], r["reason"],
             r["points"] if r["type"] == RewardType.REWARD else -r["points"]] for r in rows]
    return [*flowables,
            data_table(["Date", "Type", "Category", "Reason", "Points"], data,
                       [w * 0.15, w * 0.11, w * 0.14, w * 0.48, w * 0.12], numeric=(4,)),
            para(f"Net points: {net_points(rows)}", "body")]


def _risk(payload: Mapping[str, Any]) -> list[Flowable]:
    flags = payload["risk"]
    flowables = heading("Attention needed")
    if not flags:
        return [*flowables, para("No risk flag.")]
    return [*flowables, *(para(f"• {f['reason']}") for f in flags)]


def _remarks(payload: Mapping[str, Any]) -> list[Flowable]:
    text = payload.get("remarks") or ""
    if not text:  # lines to write on by hand
        return [KeepTogether([*heading("Remarks"), para("_" * 90), para("_" * 90)])]
    first, *rest = paragraphs(text)
    return [KeepTogether([*heading("Remarks"), first]), *rest]


_SECTION_RENDERERS = {
    "subjects": _subjects, "topics": _topics, "attendance": _attendance,
    "assessments": _assessments_section, "rewards": _rewards_section, "risk": _risk,
    "remarks": _remarks,
}


def student_ids_for(payloads: Collection[Mapping[str, Any]]) -> list[uuid.UUID]:
    return [uuid.UUID(p["student"]["id"]) for p in payloads]
