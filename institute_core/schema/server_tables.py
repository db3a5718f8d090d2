"""Bookkeeping tables of the sync server (PostgreSQL); they exist but stay empty on replicas.

- `sync_clock`: the epoch, compacted and restored versions. Versions themselves come from the
  PostgreSQL sequence `sync_version_seq` (migration 0013, sync_server/sync/versions.py).
- `sync_devices`: each registered device, the last outbox sequence applied from it, its clock,
  its last push and the failure its pushes meet since, if any.
- `sync_applied_changes`: the result of every applied change id, so a retried push is answered
  from here instead of being applied twice.
- `sync_field_versions`: per row, per field, which version/timestamp/author/device last set it —
  what the merge compares a concurrent edit with (none for rows of a table nobody may edit,
  `policy.insert_only`: they never merge).
- `auth_sessions` and `auth_login_failures`: revocable sign-ins and the failed-login counter;
  both live in the database so several server processes can share them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.schema.base import Base
from institute_core.schema.types import JsonDoc, utcnow


class SyncClock(Base):
    """The single row (id = 1) of version bookkeeping (the versions: sync_version_seq)."""

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Tombstones at or below this version may have been removed: a device whose cursor is older
    # must download its scope again instead of missing deletes.
    compacted_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A random id set by migrate and replaced by `institute-sync-server restore`: a desk that
    # sees it change knows the server forgot what came after a backup (sync/restore.py).
    epoch: Mapped[str | None] = mapped_column(String(36))
    # The version clock right after that restore: what the restored server held. Changes a
    # desk sends again were made on rows it saw at most at this version (see sync/restore.py).
    restored_version: Mapped[int | None] = mapped_column(BigInteger)


class SyncDevice(Base):
    """A replica that signed in: whose it is, what it last sent, how far its clock is off."""

    __tablename__ = "sync_devices"
    __table_args__ = (Index("ix_sync_devices_user_id", "user_id"),
                      UniqueConstraint("series_code"))

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    # server time minus device time, in milliseconds, at the device's last request
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    schema_version: Mapped[int | None] = mapped_column(Integer)
    last_pull_version: Mapped[int | None] = mapped_column(BigInteger)
    # The last push the server applied, and the pushes it failed on since (an unexpected
    # error, not a refusal): an admin must see a desk that cannot upload, and the reference
    # that finds the failure in the server log. A successful push clears the failure.
    last_push_at: Mapped[datetime | None]
    push_failing_since: Mapped[datetime | None]
    push_failed_at: Mapped[datetime | None]
    push_failure_ref: Mapped[str | None] = mapped_column(String(32))
    push_failure_reason: Mapped[str | None] = mapped_column(String(500))
    # The device's own series of document numbers ("D07" in receipt 2026-27/D07/000123), given
    # once at its first registration and never reused (institute_core/numbering.py).
    series_code: Mapped[str | None] = mapped_column(String(8))


class SyncAppliedChange(Base):
    """The stored result of one change, keyed by its id (the exactly-once guarantee)."""

    __tablename__ = "sync_applied_changes"
    __table_args__ = (Index("ix_sync_applied_changes_device_id_seq", "device_id", "seq"),)

    change_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID]
    seq: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncFieldVersion(Base):
    """Per row: {field: [version, hlc, author_id, device_id]}; "*" covers fields not listed."""

    __tablename__ = "sync_field_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class AuthSession(Base):
    """One sign-in: revocable, refreshed by a token of which only a hash is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        UniqueConstraint("refresh_hash"),
        Index("ix_auth_sessions_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID | None]
    refresh_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginFailure(Base):
    """Failed sign-ins per email within the current window (slows down password guessing)."""

    __tablename__ = "auth_login_failures"

    email: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
