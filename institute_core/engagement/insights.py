"""Feedback analytics: average rating per faculty and per subject, sentiment month by month,
and the words negative comments use most."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import select, true

from institute_core.analytics.period import Db, Period
from institute_core.enums import Sentiment
from institute_core.schema import Faculty, Feedback, LearningSession, Subject, User
from institute_core.services.common import full_name
from institute_core.sync.scopes import in_branch_ids

# Words that say nothing about what went wrong.
STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "for",
    "with", "by", "from", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this",
    "that", "these", "those", "i", "me", "my", "we", "our", "you", "your", "he", "she", "they",
    "them", "their", "very", "too", "more", "most", "much", "many", "some", "any", "not", "no",
    "nor", "can", "could", "should", "would", "will", "just", "also", "than", "as", "do", "does",
    "did", "have", "has", "had", "get", "got", "am", "all", "out", "up", "about", "into", "over",
    "again", "only", "own", "same", "such", "what", "which", "who", "when", "where", "why", "how",
    "there", "here",
})
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class RatingGroup:
    name: str
    count: int
    average: float


@dataclass(frozen=True)
class MonthSentiment:
    month: date
    positive: int
    neutral: int
    negative: int
    average_score: float | None


@dataclass(frozen=True)
class FeedbackInsights:
    by_faculty: tuple[RatingGroup, ...]
    by_subject: tuple[RatingGroup, ...]
    by_month: tuple[MonthSentiment, ...]
    negative_words: tuple[tuple[str, int], ...]


def negative_words(comments: list[str], top: int = 10) -> tuple[tuple[str, int], ...]:
    """The most frequent meaningful words, most frequent first (ties alphabetical)."""
    counts: Counter[str] = Counter()
    for text in comments:
        counts.update(w for w in _WORD.findall(text.lower())
                      if len(w) > 2 and w not in STOPWORDS)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


def _groups(pairs: list[tuple[str, int]]) -> tuple[RatingGroup, ...]:
    ratings: dict[str, list[int]] = defaultdict(list)
    for name, rating in pairs:
        ratings[name].append(rating)
    groups = [RatingGroup(n, len(r), round(sum(r) / len(r), 2)) for n, r in ratings.items()]
    groups.sort(key=lambda g: (-g.average, g.name))
    return tuple(groups)


def feedback_insights(db: Db, period: Period,
                      branch_ids: Collection[uuid.UUID] | None = None) -> FeedbackInsights:
    """Feedback given in `period` (UTC days), not deleted; of the students of `branch_ids`
    only, when given (feedback lives where its student does, `policy.BRANCH_OF`)."""
    faculty = {r.id: full_name(r.first_name, r.last_name) for r in db.execute(
        select(Faculty.id, User.first_name, User.last_name).join(User, User.id == Faculty.user_id))}
    subjects = dict(db.execute(select(Subject.id, Subject.name)).tuples().all())
    rows = db.execute(
        select(Feedback.rating, Feedback.faculty_id, Feedback.comments, Feedback.sentiment,
               Feedback.sentiment_score, Feedback.created_at, LearningSession.subject_id)
        .outerjoin(LearningSession, LearningSession.id == Feedback.session_id)
        .where(Feedback.deleted_at.is_(None), Feedback.created_at >= period.start_utc(),
               Feedback.created_at < period.end_utc_exclusive(),
               true() if branch_ids is None else in_branch_ids("feedback", branch_ids))
    ).all()
    months: dict[date, Counter[str]] = defaultdict(Counter)
    scores: dict[date, list[float]] = defaultdict(list)
    for r in rows:
        created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)
        month = created.astimezone(UTC).date().replace(day=1)
        months[month][r.sentiment or ""] += 1
        if r.sentiment_score is not None:
            scores[month].append(float(r.sentiment_score))
    return FeedbackInsights(
        by_faculty=_groups([(faculty.get(r.faculty_id, "?"), r.rating) for r in rows
                            if r.faculty_id is not None and r.rating is not None]),
        by_subject=_groups([(subjects.get(r.subject_id, "?"), r.rating) for r in rows
                            if r.subject_id is not None and r.rating is not None]),
        by_month=tuple(
            MonthSentiment(m, months[m][Sentiment.POSITIVE], months[m][Sentiment.NEUTRAL],
                           months[m][Sentiment.NEGATIVE],
                           round(sum(scores[m]) / len(scores[m]), 3) if scores[m] else None)
            for m in sorted(months)),
        negative_words=negative_words([r.comments for r in rows
                                       if r.sentiment == Sentiment.NEGATIVE and r.comments]))


