"""Conflicts the server settled: what was overwritten, and restoring a losing value.

The server keeps every overwritten value in `sync_conflicts`; pulls bring the entries that
concern this user. Restoring a lost value is a new, ordinary edit through the unit of work, so
it syncs (and may itself meet a conflict) like any other change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from institute_core.branches.defaults import branch_of_row
from institute_core.replica import Actor, Replica
from institute_core.schema import MODEL_BY_TABLE, ConflictLogEntry, table_of
from institute_core.schema.types import utcnow
from institute_core.services.common import user_names
from institute_core.sync.codec import decode_value
from institute_core.validation import InvalidInput

# Columns that name a row well enough for a person, tried in order.
_LABEL_COLUMNS = ("name", "title", "student_name", "enrollment_no", "employee_id", "email")


@dataclass(frozen=True)
class ConflictRow:
    """One overwritten value, as the conflicts screen shows it."""

    id: uuid.UUID
    table: str
    row_id: uuid.UUID
    row_label: str
    field: str
    kind: str
    kept_value: Any
    lost_value: Any
    kept_by: str
    lost_by: str
    when: datetime
    resolved: bool
    note: str
    # The branch of the overwritten row (None: a row of every branch, such as the syllabus).
    branch_id: uuid.UUID | None = None


def open_conflicts(replica: Replica) -> int:
    """How many conflicts still need attention (for the status bar)."""
    with replica.read() as session:
        return int(session.execute(select(func.count()).select_from(ConflictLogEntry).where(
            ConflictLogEntry.resolved_at.is_(None))).scalar_one())


def _label(session: Any, table: str, row_id: uuid.UUID) -> str:
    model = MODEL_BY_TABLE.get(table)
    if model is None:
        return str(row_id)[:8]
    row = session.get(model, row_id)
    if row is None:
        return f"{table} {str(row_id)[:8]} (not on this device)"
    for column in _LABEL_COLUMNS:
        value = getattr(row, column, None)
        if value:
            return str(value)
    return str(row_id)[:8]


def list_conflicts(replica: Replica, *, include_resolved: bool = False) -> tuple[ConflictRow, ...]:
    """Conflicts newest first; resolved ones only when asked."""
    with replica.read() as session:
        query = select(ConflictLogEntry).order_by(ConflictLogEntry.created_at.desc())
        if not include_resolved:
            query = query.where(ConflictLogEntry.resolved_at.is_(None))
        entries = session.execute(query).scalars().all()
        people = user_names(session, {u for e in entries for u in (e.kept_by, e.lost_by) if u})
        return tuple(ConflictRow(
            id=e.id, table=e.table_name, row_id=e.row_id,
            row_label=_label(session, e.table_name, e.row_id), field=e.field, kind=e.kind,
            kept_value=e.kept_value, lost_value=e.lost_value,
            kept_by=people.get(e.kept_by, "someone") if e.kept_by else "someone",
            lost_by=people.get(e.lost_by, "someone") if e.lost_by else "someone",
            when=e.created_at, resolved=e.resolved_at is not None, note=e.note or "",
            branch_id=branch_of_row(session, e.table_name, e.row_id))
            for e in entries)


def restore_lost_value(replica: Replica, actor: Actor, conflict_id: uuid.UUID) -> Any:
    """Write the losing value back as a new edit; the conflict is then marked resolved.

    Raises InvalidInput when the conflict, its row or its field is unknown here, or when the
    value no longer fits the schema; nothing is written then.
    """
    with replica.read() as session:
        entry = session.get(ConflictLogEntry, conflict_id)
        if entry is None:
            raise InvalidInput("sync_conflicts", "id", "no such conflict", str(conflict_id))
        table, row_id, field, raw = entry.table_name, entry.row_id, entry.field, entry.lost_value
    model = MODEL_BY_TABLE.get(table)
    if model is None or field not in table_of(table).columns:
        raise InvalidInput(table, field, "this field cannot be restored from the app")
    try:
        value = decode_value(table_of(table).columns[field], raw)
    except ValueError as exc:
        raise InvalidInput(table, field, str(exc), raw) from exc
    with replica.write(actor) as session:
        row = session.get(model, row_id)
        if row is None:
            raise InvalidInput(table, "id", "the row is not on this device", str(row_id))
        setattr(row, field, value)
        # Mark resolved in the same transaction: either both happen or neither.
        session.execute(update(ConflictLogEntry).where(ConflictLogEntry.id == conflict_id)
                        .values(resolved_at=utcnow(), resolved_by=actor.user_id))
    return value


def dismiss(replica: Replica, actor: Actor, conflict_id: uuid.UUID) -> None:
    """Accept the kept value: the conflict no longer needs attention."""
    with replica.engine.begin() as connection:
        connection.execute(update(ConflictLogEntry).where(ConflictLogEntry.id == conflict_id)
                           .values(resolved_at=utcnow(), resolved_by=actor.user_id))
