"""Conversion by month, days to convert, follow-up adherence; feedback ratings, sentiment by
month and the words of negative comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from institute_core.analytics.period import Period
from institute_core.crm.conversion import EnrollPlan, enroll_inquiry
from institute_core.crm.followups import complete_follow_up, roll_over_missed, schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.crm.insights import crm_insights
from institute_core.engagement.feedback import FeedbackDraft, record_feedback
from institute_core.engagement.insights import feedback_insights, negative_words
from institute_core.replica import Actor, Replica
from tests.services.fixtures import Institute


def test_conversion_days_and_adherence(replica: Replica, institute: Institute,
                                       counselor: Actor) -> None:
    now = datetime.now(UTC)
    ids = [create_inquiry(replica, counselor, InquiryDraft(n, f"98450 6000{k}"))
           for k, n in enumerate(("Asha", "Bina", "Chetan"))]
    on_time = schedule_follow_up(replica, counselor, ids[0], now - timedelta(minutes=5))
    late = schedule_follow_up(replica, counselor, ids[1], now - timedelta(days=2))
    schedule_follow_up(replica, counselor, ids[2], now - timedelta(days=3))
    schedule_follow_up(replica, counselor, ids[2], now + timedelta(days=3))  # not due yet
    complete_follow_up(replica, counselor, on_time, "Coming Monday")
    complete_follow_up(replica, counselor, late, "Called back late")
    roll_over_missed(replica, counselor, date.today())
    enroll_inquiry(replica, counselor, ids[0], EnrollPlan(
        "Asha", "K", "asha@example.in", None, {institute.subject_id: institute.faculty_id},
        date.today()))
    with replica.read() as s:
        result = crm_insights(s, Period.last_days(30, now.date()), now + timedelta(seconds=1))
    assert [(m.month, m.inquiries, m.enrolled) for m in result.by_month] == [
        (now.date().replace(day=1), 3, 1)]
    assert result.by_month[0].rate is not None and round(result.by_month[0].rate) == 33
    assert result.converted_counted == 1 and result.average_days_to_convert == 0.0
    assert (result.adherence.due, result.adherence.on_time) == (3, 1)


def test_feedback_insights(replica: Replica, institute: Institute, counselor: Actor) -> None:
    student = institute.student_ids[0]
    for rating, text in ((5, "Great examples, very clear"), (2, "Sessions start late"),
                         (1, "Late again and the lab machines are slow")):
        record_feedback(replica, counselor, FeedbackDraft(
            student, rating, "session", text, faculty_id=institute.faculty_id,
            session_id=institute.individual_session_id))
    today = datetime.now(UTC).date()
    with replica.read() as s:
        result = feedback_insights(s, Period.last_days(30, today))
    assert [(g.name, g.count, g.average) for g in result.by_faculty] == [
        ("Farah Faculty", 3, 2.67)]
    assert [(g.name, g.count) for g in result.by_subject] == [("Python Programming", 3)]
    month = result.by_month[0]
    assert (month.positive, month.negative) == (1, 2)
    assert result.negative_words[0] == ("late", 2)
    assert "the" not in dict(result.negative_words)


def test_negative_words_ignore_filler_and_count_across_comments() -> None:
    assert negative_words(["Too fast, too fast!", "Fast and loud"], top=2) == (
        ("fast", 3), ("loud", 1))
