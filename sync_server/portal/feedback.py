"""Feedback given on the portal, stored as the feedback rows the desks' CRM analyses.

The row is written server-side as a synced row with the next version of the shared sequence, so
the next pull brings it to every desk that may see the student (as if a desk had pushed it).
Its sentiment is computed with the same lexicon the desk uses.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert

from institute_core.engagement.sentiment import sentiment_of
from institute_core.enums import FeedbackStatus
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from institute_core.validation import validate_values
from sync_server.portal.reader import FeedbackChoice
from sync_server.sync.versions import VersionClock

_feedback = table_of("feedback")
MAX_COMMENT = 2000


def record(engine: Engine, choice: FeedbackChoice, rating: int, comments: str | None,
           anonymous: bool) -> uuid.UUID:
    text = (comments or "").strip()[:MAX_COMMENT] or None
    mood = sentiment_of(text, rating)
    stamp = utcnow()
    feedback_id = uuid.uuid4()
    values = {
        "id": feedback_id, "student_id": choice.student_id, "faculty_id": choice.faculty_id,
        "session_id": choice.session_id, "rating": rating, "comments": text,
        "feedback_type": choice.feedback_type,
        "sentiment": None if mood is None else mood[0].value,
        "sentiment_score": None if mood is None else mood[1],
        "status": FeedbackStatus.PENDING.value, "is_anonymous": anonymous,
        "created_at": stamp, "updated_at": stamp}
    validate_values(_feedback, values)
    with engine.begin() as conn:
        clock = VersionClock(conn)
        conn.execute(insert(_feedback).values(**values, version=clock.next()))
    return feedback_id
