"""Student feedback: recorded with its sentiment, reviewed, resolved with an action note."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.engagement.access import DESK, require_any
from institute_core.engagement.sentiment import sentiment_of
from institute_core.enums import FeedbackStatus, FeedbackType
from institute_core.replica import Actor, Replica
from institute_core.schema import Faculty, Feedback, Student, User
from institute_core.schema.types import utcnow
from institute_core.services.common import full_name
from institute_core.validation import InvalidInput

TABLE = "feedback"
ANONYMOUS = "Anonymous"


@dataclass(frozen=True)
class FeedbackDraft:
    student_id: uuid.UUID
    rating: int
    feedback_type: str
    comments: str | None = None
    faculty_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    anonymous: bool = False


def record_feedback(replica: Replica, actor: Actor, draft: FeedbackDraft) -> uuid.UUID:
    """Save feedback with the sentiment of its comments."""
    if not isinstance(draft.rating, int) or not 1 <= draft.rating <= 5:
        raise InvalidInput(TABLE, "rating", "must be a whole number from 1 to 5", draft.rating)
    allowed = [t.value for t in FeedbackType]
    if draft.feedback_type not in allowed:
        raise InvalidInput(TABLE, "feedback_type", f"must be one of: {', '.join(allowed)}",
                           draft.feedback_type)
    comments = (draft.comments or "").strip() or None
    sentiment = sentiment_of(comments, draft.rating)
    with replica.write(actor) as session:
        require_any(session, actor.user_id, DESK, "recording feedback")
        feedback = Feedback(student_id=draft.student_id, rating=draft.rating,
                            feedback_type=draft.feedback_type, comments=comments,
                            faculty_id=draft.faculty_id, session_id=draft.session_id,
                            is_anonymous=draft.anonymous,
                            sentiment=sentiment[0].value if sentiment else None,
                            sentiment_score=sentiment[1] if sentiment else None)
        session.add(feedback)
        session.flush()
        return feedback.id


def _get(session: Session, feedback_id: uuid.UUID) -> Feedback:
    row = session.get(Feedback, feedback_id)
    if row is None or row.deleted_at is not None:
        raise LookupError(f"no feedback with id {feedback_id}")
    return row


def review_feedback(replica: Replica, actor: Actor, feedback_id: uuid.UUID) -> None:
    """Mark feedback as read by staff (pending → reviewed)."""
    with replica.write(actor) as session:
        require_any(session, actor.user_id, DESK, "reviewing feedback")
        row = _get(session, feedback_id)
        if row.status == FeedbackStatus.RESOLVED:
            raise InvalidInput(TABLE, "status", "is resolved already")
        row.status = FeedbackStatus.REVIEWED.value
        row.reviewed_by, row.reviewed_at = actor.user_id, utcnow()


def resolve_feedback(replica: Replica, actor: Actor, feedback_id: uuid.UUID,
                     action_note: str) -> None:
    """Close feedback with what was done about it."""
    note = action_note.strip()
    if not note:
        raise InvalidInput(TABLE, "action_note", "is required: say what was done")
    with replica.write(actor) as session:
        require_any(session, actor.user_id, DESK, "resolving feedback")
        row = _get(session, feedback_id)
        now = utcnow()
        if row.reviewed_by is None:
            row.reviewed_by, row.reviewed_at = actor.user_id, now
        row.status, row.action_note, row.resolved_at = FeedbackStatus.RESOLVED.value, note, now


@dataclass(frozen=True)
class FeedbackRow:
    id: uuid.UUID
    given_at: datetime
    student: str  # "Anonymous" when the student asked not to be named
    faculty: str
    rating: int | None
    feedback_type: str
    comments: str
    sentiment: str
    sentiment_score: Decimal | None
    status: str
    action_note: str
    branch_id: uuid.UUID | None = None  # the student's branch (even when anonymous)


def list_feedback(replica: Replica, user_id: uuid.UUID) -> tuple[FeedbackRow, ...]:
    """All feedback, newest first, with anonymous givers hidden."""
    with replica.read() as session:
        require_any(session, user_id, DESK, "reading feedback")
        students = session.execute(select(Student.id, Student.branch_id, User.first_name,
                                          User.last_name)
                                   .join(User, User.id == Student.user_id)).all()
        names = {r.id: full_name(r.first_name, r.last_name) for r in students}
        branches = {r.id: r.branch_id for r in students}
        faculty = {r.id: full_name(r.first_name, r.last_name) for r in session.execute(
            select(Faculty.id, User.first_name, User.last_name)
            .join(User, User.id == Faculty.user_id))}
        return tuple(
            FeedbackRow(f.id, f.created_at,
                        ANONYMOUS if f.is_anonymous else names.get(f.student_id, "?"),
                        faculty.get(f.faculty_id, "") if f.faculty_id else "", f.rating,
                        f.feedback_type, f.comments or "", f.sentiment or "",
                        f.sentiment_score, f.status, f.action_note or "",
                        branches.get(f.student_id))
            for f in session.execute(select(Feedback).where(Feedback.deleted_at.is_(None))
                                     .order_by(Feedback.created_at.desc())).scalars())
