"""Rewards and penalties: points with a type, category and reason; a student's balance and
history; an appeal that someone at the desk resolves (an accepted appeal voids the points)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from institute_core.engagement.access import DESK, STAFF, require_any
from institute_core.enums import RewardCategory, RewardStatus, RewardType
from institute_core.replica import Actor, Replica
from institute_core.schema import RewardPenalty
from institute_core.schema.types import utcnow
from institute_core.services.common import faculty_id_of
from institute_core.sync.scopes import in_branch_ids
from institute_core.validation import InvalidInput

TABLE = "rewards_penalties"


def _one_of(field: str, value: str, choices: type[RewardType] | type[RewardCategory]) -> str:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput(TABLE, field, f"must be one of: {', '.join(allowed)}", value)
    return value


def record_points(replica: Replica, actor: Actor, student_id: uuid.UUID, kind: str,
                  category: str, reason: str, points: int, on: date) -> uuid.UUID:
    """A reward or a penalty of `points` (a positive number; the kind gives the sign)."""
    _one_of("type", kind, RewardType)
    _one_of("category", category, RewardCategory)
    if not isinstance(points, int) or points <= 0:
        raise InvalidInput(TABLE, "points", "must be a whole number greater than 0", points)
    if not reason.strip():
        raise InvalidInput(TABLE, "reason", "is required: say what it is for")
    with replica.write(actor) as session:
        require_any(session, actor.user_id, STAFF, "giving points")
        assert actor.user_id is not None
        row = RewardPenalty(student_id=student_id, type=kind, category=category,
                            reason=reason.strip(), points=points, date=on,
                            created_by=actor.user_id,
                            faculty_id=faculty_id_of(session, actor.user_id))
        session.add(row)
        session.flush()
        return row.id


def _get(session: Session, entry_id: uuid.UUID) -> RewardPenalty:
    row = session.get(RewardPenalty, entry_id)
    if row is None or row.deleted_at is not None:
        raise LookupError(f"no reward or penalty with id {entry_id}")
    return row


def appeal(replica: Replica, actor: Actor, entry_id: uuid.UUID, reason: str) -> None:
    """Dispute an entry; it still counts until the appeal is resolved."""
    if not reason.strip():
        raise InvalidInput(TABLE, "appeal_reason", "is required: say why it is disputed")
    with replica.write(actor) as session:
        require_any(session, actor.user_id, STAFF, "recording an appeal")
        row = _get(session, entry_id)
        if row.status != RewardStatus.ACTIVE:
            raise InvalidInput(TABLE, "status", f"is {row.status}: only an active entry can be "
                               "appealed")
        row.status, row.appeal_reason = RewardStatus.APPEALED.value, reason.strip()


def resolve_appeal(replica: Replica, actor: Actor, entry_id: uuid.UUID, *, accepted: bool,
                   note: str) -> None:
    """Decide an appeal; accepted means the points no longer count."""
    if not note.strip():
        raise InvalidInput(TABLE, "appeal_note", "is required: say why it was decided so")
    with replica.write(actor) as session:
        require_any(session, actor.user_id, DESK, "resolving an appeal")
        row = _get(session, entry_id)
        if row.status != RewardStatus.APPEALED:
            raise InvalidInput(TABLE, "status", f"is {row.status}: there is no open appeal")
        row.status, row.appeal_accepted = RewardStatus.RESOLVED.value, accepted
        row.appeal_note, row.resolved_at = note.strip(), utcnow()


@dataclass(frozen=True)
class PointsLine:
    id: uuid.UUID
    on: date
    kind: str
    category: str
    points: int  # signed: penalties negative
    reason: str
    status: str
    counts: bool


@dataclass(frozen=True)
class StudentPoints:
    balance: int
    history: tuple[PointsLine, ...]


def student_points(replica: Replica, student_id: uuid.UUID) -> StudentPoints:
    """A student's balance (rewards minus penalties, voided entries left out) and history."""
    with replica.read() as session:
        lines = tuple(
            PointsLine(r.id, r.date, r.type, r.category,
                       r.points if r.type == RewardType.REWARD else -r.points, r.reason,
                       r.status, r.appeal_accepted is not True)
            for r in session.execute(select(RewardPenalty).where(
                RewardPenalty.student_id == student_id, RewardPenalty.deleted_at.is_(None))
                .order_by(RewardPenalty.date.desc(), RewardPenalty.created_at.desc())).scalars())
    return StudentPoints(sum(line.points for line in lines if line.counts), lines)


@dataclass(frozen=True)
class PointsTotals:
    """Points that count (voided ones left out) over the students of a branch selection."""

    students: int  # with at least one entry that counts
    rewards: int
    penalties: int  # as a positive number

    @property
    def net(self) -> int:
        return self.rewards - self.penalties


def points_totals(replica: Replica, branch_ids: Collection[uuid.UUID] | None = None
                  ) -> PointsTotals:
    """Rewards and penalties that count, of the students of `branch_ids` (None: every student
    this desk holds); one query, an entry lives where its student does (`policy.BRANCH_OF`)."""
    counts = RewardPenalty.appeal_accepted.is_not(True)
    with replica.read() as session:
        students, rewards, penalties = session.execute(
            select(func.count(RewardPenalty.student_id.distinct()),
                   func.coalesce(func.sum(RewardPenalty.points).filter(
                       RewardPenalty.type == RewardType.REWARD.value), 0),
                   func.coalesce(func.sum(RewardPenalty.points).filter(
                       RewardPenalty.type == RewardType.PENALTY.value), 0))
            .where(RewardPenalty.deleted_at.is_(None), counts,
                   true() if branch_ids is None
                   else in_branch_ids("rewards_penalties", branch_ids))).one()
    return PointsTotals(int(students), int(rewards), int(penalties))
