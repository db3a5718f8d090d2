"""Small value types and helpers shared by the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.schema import Faculty, User


class SessionKind(StrEnum):
    """An individual session (one student) or one day's meeting of a flexible batch."""

    INDIVIDUAL = "individual"
    BATCH = "batch"


@dataclass(frozen=True, order=True)
class SessionKey:
    """Names one teaching session: a learning_sessions row, or a batch on a date.

    Batch meetings have no row of their own in the schema; they are (batch, date), which is also
    the natural key of their attendance rows.
    """

    kind: SessionKind
    id: uuid.UUID
    on: date

    @classmethod
    def individual(cls, session_id: uuid.UUID, on: date) -> SessionKey:
        return cls(SessionKind.INDIVIDUAL, session_id, on)

    @classmethod
    def batch(cls, batch_id: uuid.UUID, on: date) -> SessionKey:
        return cls(SessionKind.BATCH, batch_id, on)


@dataclass(frozen=True)
class TopicRef:
    """A syllabus topic as the UI shows it."""

    id: uuid.UUID
    name: str
    order_index: int


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def faculty_id_of(session: Session, user_id: uuid.UUID | None) -> uuid.UUID | None:
    """The faculties.id of a user, or None when the user is not faculty."""
    if user_id is None:
        return None
    return session.execute(select(Faculty.id).where(
        Faculty.user_id == user_id, Faculty.deleted_at.is_(None))).scalar_one_or_none()


def user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of users by id (unknown ids are simply absent)."""
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.first_name, User.last_name)
                           .where(User.id.in_(ids)))
    return {r.id: full_name(r.first_name, r.last_name) for r in rows}


def minutes_between(start: time | None, end: time | None, default: int = 60) -> int:
    """Length of a slot in minutes; `default` when either end is unknown or the slot is empty."""
    if start is None or end is None:
        return default
    minutes = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds // 60
    return minutes or default


def parse_hhmm(value: Any) -> time | None:
    """A time from "HH:MM" text as stored in schedule JSON; None for missing or bad text."""
    if not value:
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None
