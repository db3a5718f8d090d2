"""What one import row will do to one table row: create it, change some fields, or restore it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from institute_core.schema import MAIN_BRANCH_ID, Synced
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput, validate_values


@dataclass
class Target:
    """A table row an import row writes. `existing` holds the row's current values (None: new)."""

    model: type[Synced]
    row_id: uuid.UUID
    changes: dict[str, Any]
    existing: dict[str, Any] | None = None
    restore: bool = False  # the row was soft-deleted (an undone import): bring it back
    extra: dict[str, Any] = field(default_factory=dict)  # foreign keys set on create only

    @property
    def is_new(self) -> bool:
        return self.existing is None

    @property
    def does_something(self) -> bool:
        return self.is_new or self.restore or bool(self.changes)

    def validate(self) -> None:
        """Raise InvalidInput when the row as it would be written breaks a schema rule."""
        table = self.model.__table__  # type: ignore[attr-defined]
        values = {**(self.existing or {}), **self.extra, **self.changes}
        if self.is_new:
            for column in table.columns:  # scalar defaults apply at INSERT
                if values.get(column.key) is None and column.default is not None \
                        and column.default.is_scalar:
                    values[column.key] = column.default.arg
            values.setdefault("id", self.row_id)
            if "branch_id" in table.c and values.get("branch_id") is None:
                # The unit of work places a new row in its branch when it is written
                # (branches/defaults.py); any branch id meets the column's own rules.
                values["branch_id"] = MAIN_BRANCH_ID
        validate_values(table, values, partial=not self.is_new)

    def write(self, session: Session) -> None:
        if self.is_new:
            session.add(self.model(id=self.row_id, **self.extra, **self.changes))  # type: ignore[call-arg]
            return
        obj = session.get(self.model, self.row_id)
        if obj is None:  # removed since the preview: refuse rather than guess
            raise InvalidInput(self.model.__tablename__, None,  # type: ignore[attr-defined]
                               "a row changed since the preview; preview the file again")
        for key, value in self.changes.items():
            setattr(obj, key, value)
        if self.restore:
            obj.deleted_at = None


def changed(existing: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The wanted values that differ from the existing ones (empty cells never erase)."""
    return {k: v for k, v in wanted.items() if v is not None and existing.get(k) != v}


def soft_delete(session: Session, model: type[Synced], row_id: uuid.UUID) -> None:
    obj = session.get(model, row_id)
    if obj is not None and obj.deleted_at is None:
        obj.deleted_at = utcnow()
