"""Demo CRM inquiries with follow-ups, feedback, rewards and penalties, and a few reports."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from institute_core.demo.catalog import FEEDBACK_COMMENTS
from institute_core.demo.context import Context
from institute_core.demo.names import FIRST_NAMES, LAST_NAMES
from institute_core.demo.people import People
from institute_core.demo.syllabus import SubjectInfo
from institute_core.engagement.sentiment import sentiment_of
from institute_core.enums import (
    FacultyReportType,
    FeedbackStatus,
    FeedbackType,
    FollowUpStatus,
    FollowUpType,
    InquirySource,
    InquiryStatus,
    Priority,
    ReportStatus,
    RewardCategory,
    RewardStatus,
    RewardType,
    Sentiment,
    StudentReportType,
)

# The lead funnel narrows: most inquiries are new, fewer contacted, fewer scheduled, fewer enrolled.
FUNNEL = ((InquiryStatus.NEW, 0.31), (InquiryStatus.CONTACTED, 0.24),
          (InquiryStatus.FOLLOW_UP_SCHEDULED, 0.18), (InquiryStatus.ENROLLED, 0.12),
          (InquiryStatus.LOST, 0.15))
# How far back an inquiry in each stage was made (days).
AGE = {InquiryStatus.NEW: 14, InquiryStatus.CONTACTED: 45, InquiryStatus.FOLLOW_UP_SCHEDULED: 60,
       InquiryStatus.ENROLLED: 180, InquiryStatus.LOST: 180}
LOST_REASONS = ("Joined another institute", "Fees too high", "Timing does not suit",
                "Not reachable", "Postponed studies")
KNOWN_PERSON_SHARE = 0.03


def _statuses(ctx: Context, count: int) -> list[InquiryStatus]:
    statuses = [status for status, share in FUNNEL for _ in range(round(count * share))]
    statuses = (statuses + [InquiryStatus.NEW] * count)[:count]
    ctx.rng.shuffle(statuses)
    return statuses


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), UTC)


def make_inquiries(ctx: Context, people: People, subjects: dict[str, SubjectInfo],
                   count: int) -> None:
    """Inquiries spread over six months, the older the further down the funnel."""
    rng = ctx.rng
    subject_ids = [s.id for s in subjects.values()]
    users = {u["id"]: u for u in ctx.tables["users"]}
    demo_due_today = 3
    for n, status in enumerate(_statuses(ctx, count)):
        counselor = (people.demo_counselor if n % len(people.counselors) == 0 or n < 5
                     else rng.choice(people.counselors))
        made = ctx.today - timedelta(days=rng.randint(0, AGE[status]))
        if ctx.chance(KNOWN_PERSON_SHARE):  # someone already known walks in again
            known = users[rng.choice(people.students).user_id]
            name, phone = f"{known['first_name']} {known['last_name']}", known["phone"]
        else:
            name = f"{rng.choice(FIRST_NAMES)[0]} {rng.choice(LAST_NAMES)[0]}"
            phone = ctx.phone()
        inquiry = ctx.add("crm_inquiries", {
            "id": ctx.new_id(), "counselor_id": counselor, "student_name": name,
            "phone": phone, "email": f"lead{n + 1}@example.in" if ctx.chance(0.6) else None,
            "source": rng.choice(list(InquirySource)).value, "status": status.value,
            "priority": rng.choice(list(Priority)).value, "next_follow_up_date": None,
            "lost_reason": None,
            "notes": "Asked about weekend batches" if ctx.chance(0.2) else None,
            "tags": rng.sample(["weekend", "working", "student", "fees-query", "placement"],
                               rng.randint(0, 2)),
        }, ctx.stamp(made, rng.randint(9, 18)))
        for subject_id in rng.sample(subject_ids, rng.choice((1, 1, 2, 3))):
            ctx.add("inquiry_subjects", {"inquiry_id": inquiry["id"], "subject_id": subject_id},
                    inquiry["created_at"])
        due_today = (counselor == people.demo_counselor and demo_due_today > 0
                     and status == InquiryStatus.FOLLOW_UP_SCHEDULED)
        if _follow_ups(ctx, inquiry, counselor, status, made, due_today):
            demo_due_today -= 1


def _follow_ups(ctx: Context, inquiry: dict[str, object], counselor: uuid.UUID,
                status: InquiryStatus, made: date, due_today: bool) -> bool:
    """The follow-ups of one inquiry; returns whether one is due today."""
    rng = ctx.rng
    done = {InquiryStatus.NEW: 0, InquiryStatus.CONTACTED: 1,
            InquiryStatus.FOLLOW_UP_SCHEDULED: rng.randint(1, 2),
            InquiryStatus.ENROLLED: rng.randint(2, 3), InquiryStatus.LOST: rng.randint(1, 3)}
    day = made
    count = done[status]
    for k in range(count):
        day = min(day + timedelta(days=rng.randint(1, 4)), ctx.today - timedelta(days=1))
        last = k == count - 1
        outcome = None
        if last and status == InquiryStatus.ENROLLED:
            outcome = "Enrolled"
        elif last and status == InquiryStatus.LOST:
            outcome = rng.choice(LOST_REASONS)
            inquiry["lost_reason"] = outcome  # lost needs a reason, as in the app
        missed = status == InquiryStatus.LOST and not last and ctx.chance(0.3)
        ctx.add("follow_ups", {
            "id": ctx.new_id(), "inquiry_id": inquiry["id"], "counselor_id": counselor,
            "follow_up_date": _at(day, rng.randint(10, 17)),
            "follow_up_type": rng.choice(list(FollowUpType)).value,
            "notes": "Shared course details and fees", "next_follow_up_date": None,
            "status": (FollowUpStatus.MISSED if missed else FollowUpStatus.COMPLETED).value,
            "outcome": outcome,
        }, ctx.stamp(day, 18))
    if status != InquiryStatus.FOLLOW_UP_SCHEDULED:
        # New and contacted leads have no next contact planned: as in the app, where planning
        # one (a pending follow-up) makes the inquiry "follow-up scheduled".
        return False
    # Scheduled inquiries wait for their next contact: some overdue, some today, most ahead.
    # The date is that of a pending follow-up, as the app keeps it (`touch_follow_up_date`):
    # every date the list shows is on the counselor's Follow-ups home when due or overdue.
    due = ctx.today if due_today else max(ctx.today + timedelta(days=rng.randint(-5, 7)),
                                          day + timedelta(days=1))  # after the last contact
    when = _at(due, rng.randint(10, 17))
    inquiry["next_follow_up_date"] = when
    ctx.add("follow_ups", {
        "id": ctx.new_id(), "inquiry_id": inquiry["id"], "counselor_id": counselor,
        "follow_up_date": when, "follow_up_type": FollowUpType.CALL.value,
        "notes": "Call back about batch timings", "next_follow_up_date": None,
        "status": FollowUpStatus.PENDING.value, "outcome": None,
    }, ctx.stamp(min(due, ctx.today), 9))
    return due == ctx.today


def make_feedback(ctx: Context, people: People) -> None:
    """About one student in four gave feedback, mostly positive."""
    rng = ctx.rng
    sessions = [s for s in ctx.tables["learning_sessions"] if s["status"] == "completed"]
    reviewer = people.admins[0]
    # The sentiment as the desk would have worked it out when recording the comment (a few
    # distinct comments and ratings: each analysed once).
    analysed = cache(sentiment_of)
    for session in rng.sample(sessions, min(len(sessions), len(people.students) // 4)):
        score = rng.choices((1, 2, 3, 4, 5), (3, 7, 20, 40, 30))[0]
        tone = (Sentiment.POSITIVE if score >= 4 else Sentiment.NEUTRAL if score == 3
                else Sentiment.NEGATIVE)
        comment = rng.choice(FEEDBACK_COMMENTS[tone.value])
        sentiment = analysed(comment, score)
        given = session["session_date"]
        reviewed = ctx.chance(0.6)
        ctx.add("feedback", {
            "id": ctx.new_id(), "student_id": session["student_id"],
            "faculty_id": session["faculty_id"], "session_id": session["id"], "rating": score,
            "comments": comment,
            "feedback_type": rng.choice((FeedbackType.SESSION, FeedbackType.FACULTY,
                                         FeedbackType.SUBJECT)).value,
            "sentiment": sentiment[0].value if sentiment else None,
            "sentiment_score": sentiment[1] if sentiment else None,
            "status": (FeedbackStatus.REVIEWED if reviewed else FeedbackStatus.PENDING).value,
            "reviewed_by": reviewer if reviewed else None,
            "reviewed_at": ctx.stamp(given + timedelta(days=2), 11) if reviewed else None,
        }, ctx.stamp(given, 20))


def make_rewards(ctx: Context, people: People) -> None:
    """Rewards for steady attendance and good marks, penalties for chronic absence."""
    rng = ctx.rng
    faculty_user = {f.id: f.user_id for f in people.faculty}
    by_student: dict[uuid.UUID, list[dict[str, object]]] = {}
    for assessment in ctx.tables["assessments"]:
        by_student.setdefault(assessment["student_id"], []).append(assessment)
    attended: Counter[uuid.UUID] = Counter()
    for row in ctx.tables["session_attendance"]:
        if row["attendance_status"] in ("present", "late"):
            attended[row["student_id"]] += 1
    for student in people.students:
        marks = by_student.get(student.id, [])
        if not marks:
            continue
        best = max(marks, key=lambda a: a["percentage"])  # type: ignore[arg-type,return-value]
        faculty_id = best["faculty_id"]
        rows: list[tuple[RewardType, RewardCategory, str, int]] = []
        if student.chronic:
            rows.append((RewardType.PENALTY, RewardCategory.ATTENDANCE,
                         "Missed several sessions without notice", 5))
        elif attended[student.id] >= 8 and ctx.chance(0.3):
            rows.append((RewardType.REWARD, RewardCategory.ATTENDANCE,
                         "Perfect attendance this month", 10))
        if best["percentage"] >= 90 and ctx.chance(0.5):  # type: ignore[operator]
            rows.append((RewardType.REWARD, RewardCategory.PERFORMANCE,
                         f"Top score in {best['title']}", 15))
        for kind, category, reason, points in rows:
            ctx.add("rewards_penalties", {
                "id": ctx.new_id(), "student_id": student.id, "faculty_id": faculty_id,
                "type": kind.value, "category": category.value, "reason": reason,
                "points": points, "date": best["assessment_date"],
                "created_by": faculty_user[faculty_id],  # type: ignore[index]
                "status": rng.choice((RewardStatus.ACTIVE,) * 8 + (RewardStatus.APPEALED,
                                                                  RewardStatus.RESOLVED)).value,
            }, ctx.stamp(best["assessment_date"], 19))  # type: ignore[arg-type]


def make_reports(ctx: Context, people: People) -> None:
    """Last month's utilization report per faculty member, and a few student progress reports."""
    rng = ctx.rng
    end = ctx.today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    admin = people.admins[0]
    for member in people.faculty:
        ctx.add("faculty_reports", {
            "id": ctx.new_id(), "faculty_id": member.id,
            "report_type": FacultyReportType.UTILIZATION.value, "report_period_start": start,
            "report_period_end": end, "data": {"sessions": rng.randint(20, 80)},
            "generated_by": admin, "generated_at": ctx.stamp(end + timedelta(days=1), 9),
            "status": ReportStatus.GENERATED.value,
        }, ctx.stamp(end + timedelta(days=1), 9))
    for student in rng.sample(people.students, max(1, len(people.students) // 50)):
        ctx.add("student_reports", {
            "id": ctx.new_id(), "student_id": student.id,
            "report_type": StudentReportType.PROGRESS.value, "report_period_start": start,
            "report_period_end": end, "data": {"note": "monthly progress"},
            "generated_by": admin, "generated_at": ctx.stamp(end + timedelta(days=1), 10),
            "status": ReportStatus.SENT.value,
        }, ctx.stamp(end + timedelta(days=1), 10))
