"""Audit entries for one flush, built by the unit of work in the same transaction as the change.

Every insert, update, soft delete and restore of a synced table gets one `audit_log` row with the
fields that changed (old and new, JSON-encoded as sync encodes them – the new values are the very
ones the outbox entry carries). The audit table itself is not audited, and secrets (local-only
password hashes, a model's `__secret_columns__`) are recorded as changed, never as values.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from institute_core.schema import AuditEntry, ImportRun, Synced
from institute_core.schema.audit import AuditAction, ImportStatus
from institute_core.schema.types import utcnow
from institute_core.sync.codec import encode_value

# A secret's value never enters the log (the log syncs; the secret must not).
SECRET = "(secret)"
# Bookkeeping the data layer stamps on every write: not an edit anybody made.
_STAMPS = frozenset({"id", "version", "created_at", "updated_at"})
IMPORT_KEY = "import_id"


class _Author(Protocol):
    @property
    def user_id(self) -> uuid.UUID | None: ...

    @property
    def device_id(self) -> uuid.UUID: ...


class AuditTrail:
    """Collects the entries of one flush; `note` is called once per row the flush wrote."""

    def __init__(self, session: Session, author: _Author) -> None:
        self._new = session.new
        self._author = author
        self._import_id = session.info.get(IMPORT_KEY)
        self._now = utcnow()
        self.entries: list[dict[str, Any]] = []

    def note(self, obj: Synced, fields: dict[str, Any]) -> None:
        """Record `obj`; `fields` are its sent columns, already encoded (local ones left out)."""
        if isinstance(obj, AuditEntry):
            return
        local = type(obj).__local_columns__
        hidden = local | getattr(type(obj), "__secret_columns__", frozenset())
        if obj in self._new:
            secrets = [k for k in local if getattr(obj, k) is not None]
            new = {k: SECRET if k in hidden else v for k, v in fields.items()
                   if v is not None and k not in _STAMPS and k != "deleted_at"}
            new.update({k: SECRET for k in secrets})
            action = AuditAction.IMPORT if isinstance(obj, ImportRun) else AuditAction.CREATE
            self._add(obj, action, None, new)
            return
        state = instance_state(obj)
        secrets = [k for k in local if state.attrs[k].history.has_changes()]
        new = {k: SECRET if k in hidden else v for k, v in fields.items() if k not in _STAMPS}
        new.update({k: SECRET for k in secrets})
        if not new:
            return
        old = {}
        for key in new:
            history = state.attrs[key].history
            old[key] = SECRET if key in secrets or key in hidden else (
                encode_value(history.deleted[0]) if history.deleted else None)
        action = AuditAction.UPDATE
        if "deleted_at" in new:
            action = AuditAction.DELETE if new["deleted_at"] is not None else AuditAction.RESTORE
        elif isinstance(obj, ImportRun) and new.get("status") == ImportStatus.UNDONE:
            action = AuditAction.UNDO_IMPORT
        self._add(obj, action, old, new)

    def _add(self, obj: Synced, action: AuditAction, old: dict[str, Any] | None,
             new: dict[str, Any]) -> None:
        self.entries.append({
            "id": uuid.uuid4(), "created_at": self._now, "updated_at": self._now,
            "version": 0, "user_id": self._author.user_id, "device_id": self._author.device_id,
            "action": action.value, "table_name": obj.__tablename__,  # type: ignore[attr-defined]
            "row_id": obj.id, "old_values": old, "new_values": new,
            "import_id": self._import_id})

    @staticmethod
    def outbox_fields(entry: dict[str, Any]) -> dict[str, Any]:
        """The sync fields of an entry (its values are JSON already; ids and times are not)."""
        def text(value: Any) -> str | None:
            return None if value is None else str(value)

        return {"created_at": entry["created_at"].isoformat(),
                "updated_at": entry["updated_at"].isoformat(),
                "user_id": text(entry["user_id"]), "device_id": text(entry["device_id"]),
                "action": entry["action"], "table_name": entry["table_name"],
                "row_id": text(entry["row_id"]), "old_values": entry["old_values"],
                "new_values": entry["new_values"], "import_id": text(entry["import_id"])}
