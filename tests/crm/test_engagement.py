"""Feedback with offline sentiment, review → resolve; rewards and penalties with appeals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from institute_core.engagement.access import NotAllowed
from institute_core.engagement.feedback import (
    ANONYMOUS,
    FeedbackDraft,
    list_feedback,
    record_feedback,
    resolve_feedback,
    review_feedback,
)
from institute_core.engagement.rewards import appeal, record_points, resolve_appeal, student_points
from institute_core.replica import Actor, Replica
from institute_core.schema import Feedback, OutboxEntry
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def test_sentiment_is_computed_offline_and_stored(replica: Replica, institute: Institute,
                                                  counselor: Actor) -> None:
    good = record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[0], 5, "faculty", "Explains concepts very clearly, great examples!",
        faculty_id=institute.faculty_id))
    bad = record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[1], 2, "session", "Sessions start late and the lab is terrible.",
        session_id=institute.individual_session_id))
    silent = record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[2], 3, "institute"))
    # No sentiment words: the lexicon scores 0, and the low rating gives the label.
    plain = record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[3], 1, "session", "Sessions start late"))
    with replica.read() as s:
        rows = {f.id: f for f in s.execute(select(Feedback)).scalars()}
        assert rows[good].sentiment == "positive" and rows[good].sentiment_score > 0  # type: ignore[operator]
        assert rows[bad].sentiment == "negative" and rows[bad].sentiment_score < 0  # type: ignore[operator]
        assert (rows[silent].sentiment, rows[silent].sentiment_score) == (None, None)
        assert (rows[plain].sentiment, rows[plain].sentiment_score) == ("negative", 0)
        sent = s.execute(select(OutboxEntry.fields).where(OutboxEntry.row_id == bad)).scalar()
        assert sent is not None and sent["sentiment"] == "negative"


def test_anonymous_feedback_hides_the_student(replica: Replica, institute: Institute,
                                              counselor: Actor) -> None:
    record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[0], 4, "facility", "Good lab", anonymous=True))
    record_feedback(replica, counselor, FeedbackDraft(institute.student_ids[1], 4, "facility"))
    students = {r.student for r in list_feedback(replica, institute.counselor_id)}
    assert students == {ANONYMOUS, "Ravi S02"}


def test_review_then_resolve_with_an_action_note(replica: Replica, institute: Institute,
                                                 counselor: Actor) -> None:
    fid = record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[0], 2, "session", "Too fast for beginners"))
    review_feedback(replica, counselor, fid)
    with pytest.raises(InvalidInput, match="say what was done") as caught:
        resolve_feedback(replica, counselor, fid, " ")
    assert caught.value.field == "action_note"
    resolve_feedback(replica, counselor, fid, "Faculty slows down; extra practice on Saturday")
    row = list_feedback(replica, institute.counselor_id)[0]
    assert (row.status, row.action_note) == (
        "resolved", "Faculty slows down; extra practice on Saturday")
    with pytest.raises(InvalidInput, match="resolved already"):
        review_feedback(replica, counselor, fid)


@pytest.mark.parametrize(("rating", "kind", "field"), [
    (0, "session", "rating"), (6, "session", "rating"), (3, "gossip", "feedback_type")])
def test_bad_feedback_is_refused(replica: Replica, institute: Institute, counselor: Actor,
                                 rating: int, kind: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        record_feedback(replica, counselor, FeedbackDraft(institute.student_ids[0], rating, kind))
    assert caught.value.field == field
    assert list_feedback(replica, institute.counselor_id) == ()


def test_faculty_may_not_record_feedback(replica: Replica, institute: Institute,
                                         faculty: Actor) -> None:
    with pytest.raises(NotAllowed):
        record_feedback(replica, faculty, FeedbackDraft(institute.student_ids[0], 5, "faculty"))


def test_balance_history_and_appeal(replica: Replica, institute: Institute, counselor: Actor,
                                    faculty: Actor) -> None:
    student = institute.student_ids[0]
    on = date(2026, 11, 20)
    record_points(replica, faculty, student, "reward", "attendance", "Full month present", 10, on)
    penalty = record_points(replica, counselor, student, "penalty", "behavior", "Phone in class",
                            4, date(2026, 11, 21))
    points = student_points(replica, student)
    assert points.balance == 6
    assert [(line.points, line.reason) for line in points.history] == [
        (-4, "Phone in class"), (10, "Full month present")]
    appeal(replica, counselor, penalty, "It was a medical call")
    assert student_points(replica, student).balance == 6  # counts until decided
    with pytest.raises(NotAllowed):
        resolve_appeal(replica, faculty, penalty, accepted=True, note="ok")
    resolve_appeal(replica, counselor, penalty, accepted=True, note="Doctor's note shown")
    after = student_points(replica, student)
    assert after.balance == 10
    assert after.history[0].status == "resolved" and not after.history[0].counts
    with pytest.raises(InvalidInput, match="no open appeal"):
        resolve_appeal(replica, counselor, penalty, accepted=False, note="again")


@pytest.mark.parametrize(("kind", "category", "reason", "points", "field"), [
    ("bonus", "attendance", "x", 5, "type"), ("reward", "luck", "x", 5, "category"),
    ("reward", "attendance", " ", 5, "reason"), ("penalty", "behavior", "x", 0, "points"),
    ("penalty", "behavior", "x", -3, "points")])
def test_bad_points_are_refused(replica: Replica, institute: Institute, counselor: Actor,
                                kind: str, category: str, reason: str, points: int,
                                field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        record_points(replica, counselor, institute.student_ids[0], kind, category, reason,
                      points, date(2026, 11, 20))
    assert caught.value.field == field
    assert student_points(replica, institute.student_ids[0]).history == ()


def test_sentiment_labels_never_contradict_their_figure() -> None:
    """A label decided by the rating says so, instead of "negative (+0.00)"."""
    from decimal import Decimal

    from institute_core.engagement.sentiment import describe_sentiment, sentiment_of

    shown = describe_sentiment(*sentiment_of("sessions start late", rating=1))  # type: ignore[misc]
    assert shown == "Negative (by the rating; the words are neutral)"
    harsh = sentiment_of("terrible, confusing class")
    assert harsh is not None
    assert describe_sentiment(*harsh).startswith("Negative (words −0.")
    for label in ("positive", "neutral", "negative"):
        for hundredths in range(-100, 101):
            text = describe_sentiment(label, Decimal(hundredths) / 100)
            if "(words " in text:  # the figure is shown only when it agrees with the label
                figure = float(text.split("(words ")[1].rstrip(")").replace("−", "-"))
                assert (figure > 0.04 if label == "positive" else figure < -0.04
                        if label == "negative" else -0.05 < figure < 0.05), text
