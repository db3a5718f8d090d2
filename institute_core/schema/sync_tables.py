"""Bookkeeping tables of sync itself (never synced as rows).

They live in the same metadata and migration history as the institute tables, so one history
takes both an empty SQLite replica and an empty PostgreSQL database to head. A table used by
only one side stays empty on the other.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from institute_core.schema.base import Base
from institute_core.schema.types import JsonDoc, utcnow


class _ChangeColumns:
    """One captured change as the wire carries it: the outbox's and the kept sent ones'."""

    change_id: Mapped[uuid.UUID]
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    fields: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    hlc: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID]
    base_version: Mapped[int] = mapped_column(BigInteger)


class OutboxEntry(_ChangeColumns, Base):
    """Client: an edit captured in the same transaction as the write, waiting to be pushed."""

    __tablename__ = "sync_outbox"
    __table_args__ = (
        UniqueConstraint("change_id"),
        Index("ix_sync_outbox_table_name_row_id", "table_name", "row_id"),
    )

    # Per-device sequence: the server applies each device's changes once and in this order.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SentChange(_ChangeColumns, Base):
    """Client: an outbox entry the server acknowledged, kept for `SyncOptions.keep_sent_days`.

    A server restored from a backup has forgotten what it acknowledged after that backup;
    these are what the desk sends again then (sync/restore.py). `seq` is the wire seq.
    """

    __tablename__ = "sync_sent"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]
    acked_at: Mapped[datetime]


class SyncState(Base):
    """Client: small facts about this replica (device id, pull cursor, server, clock offset)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonDoc)


class LocalCredential(Base):
    """Client: an argon2 verifier of a password that signed in online on this device.

    Lets that person sign in offline later; it is never the password and never leaves the device.
    """

    __tablename__ = "local_credentials"
    __table_args__ = (UniqueConstraint("email"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    verifier: Mapped[str] = mapped_column(String(255))
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictLogEntry(Base):
    """Both sides: a value overwritten (or refused) in a conflict, with both versions.

    The server writes it when it merges; clients pull the entries that concern their user (and
    admins all of them) so the app can show them and restore the losing value as a new edit.
    """

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        Index("ix_sync_conflicts_table_name_row_id", "table_name", "row_id"),
        Index("ix_sync_conflicts_server_version", "server_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    kept_value: Mapped[Any | None] = mapped_column(JsonDoc)
    lost_value: Mapped[Any | None] = mapped_column(JsonDoc)
    kept_by: Mapped[uuid.UUID | None]
    lost_by: Mapped[uuid.UUID | None]
    kept_hlc: Mapped[str | None] = mapped_column(String(128))
    lost_hlc: Mapped[str | None] = mapped_column(String(128))
    kept_device: Mapped[uuid.UUID | None]
    lost_device: Mapped[uuid.UUID | None]
    server_version: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[uuid.UUID | None]
