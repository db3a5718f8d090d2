"""How a student's progress on a topic follows from the topic ratings of attended sessions.

The demo derives every `student_topic_progress` row with these rules, so progress is always
consistent with attendance:
- a topic is `in_progress` once it was covered in an attended session;
- a rating of 3 or more makes it `completed`, a rating of 5 makes it `mastered` (a mastered
  topic rated 3-4 later stays mastered);
- a rating of 2 or less after it was completed or mastered makes it `needs_review`
  (a rating of 3+ later completes it again);
- competency_level is the latest rating; session_count the number of ratings; time_spent the
  minutes of those sessions shared evenly among the topics each covered;
- first_introduced_date is the first session's date; completion_date the date it first became
  completed or mastered, kept only while it is completed or mastered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from institute_core.enums import ProgressStatus

COMPLETED_AT = 3
MASTERED_AT = 5
REVIEW_AT_OR_BELOW = 2


@dataclass(frozen=True)
class Rating:
    """One covering of a topic in an attended session."""

    on: date
    level: int
    minutes: int


@dataclass(frozen=True)
class Progress:
    """The progress that a series of ratings adds up to."""

    status: ProgressStatus
    competency_level: int
    session_count: int
    time_spent_minutes: int
    first_introduced_date: date
    completion_date: date | None


def next_status(status: ProgressStatus, level: int) -> ProgressStatus:
    """The status after one more rating."""
    if level >= MASTERED_AT:
        return ProgressStatus.MASTERED
    if level >= COMPLETED_AT:
        return (ProgressStatus.MASTERED if status == ProgressStatus.MASTERED
                else ProgressStatus.COMPLETED)
    if status in (ProgressStatus.COMPLETED, ProgressStatus.MASTERED, ProgressStatus.NEEDS_REVIEW):
        return ProgressStatus.NEEDS_REVIEW
    return ProgressStatus.IN_PROGRESS


def progress_of(ratings: list[Rating]) -> Progress:
    """Fold ratings (in date order) into a progress row; `ratings` must not be empty."""
    status = ProgressStatus.IN_PROGRESS
    completed_on: date | None = None
    for rating in ratings:
        status = next_status(status, rating.level)
        if status in (ProgressStatus.COMPLETED, ProgressStatus.MASTERED):
            completed_on = completed_on or rating.on
        else:
            completed_on = None
    return Progress(
        status=status,
        competency_level=ratings[-1].level,
        session_count=len(ratings),
        time_spent_minutes=sum(r.minutes for r in ratings),
        first_introduced_date=ratings[0].on,
        completion_date=completed_on,
    )


def is_done(status: ProgressStatus | str) -> bool:
    """Whether a topic counts towards an enrollment's completion percentage."""
    return status in (ProgressStatus.COMPLETED, ProgressStatus.MASTERED)
