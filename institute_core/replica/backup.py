"""Backing up a replica to one file, restoring it, and resetting a device to download afresh.

Copies are made with SQLite's online backup API, so a backup taken while the app reads and the
sync worker writes is still one consistent snapshot (a plain file copy of a WAL database can
miss the newest commits or catch half of one). Nothing here deletes data: restore and reset
first keep the current file beside the replica as `replica.before-<what>.<time>.sqlite3`.

Both restore and reset leave the replica closed; the caller opens it again with
`Replica.open(data_dir)`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from institute_core import migrations
from institute_core.replica.database import REPLICA_FILENAME, Replica, upgrade_replica
from institute_core.replica.private import private_file
from institute_core.schema import LocalCredential, OutboxEntry, SyncState

BACKUP_SUFFIX = ".idbackup"
# Server-connection facts and this person's own settings survive a reset; pull cursors, parked
# rows and everything else about the old copy of the data do not.
KEPT_ON_RESET = ("server_url", "email", "user_id", "role", "clock_offset_ms", "clock_last",
                 "institute", "desk_settings")
FULL_PULL_KEY = "full_pull_needed"  # institute_core.sync.runner reads it (not imported: cycle)
NEW_DEVICE_KEY = "device_registration_needed"


class BackupRefused(Exception):
    """A backup, restore or reset that was not done; the message says why and what to do."""


class PendingChanges(BackupRefused):
    """Changes made here have not reached the server yet."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count} change(s) made on this device have not been sent to the server yet. "
            f"Sync first, or export them to a file, before resetting this device.")
        self.count = count


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, read from the file itself."""

    path: Path
    size_bytes: int
    revision: str | None
    device_id: str | None
    server_url: str | None
    pending_changes: int


@dataclass(frozen=True)
class RestoreResult:
    """Where the replaced replica went, and the backup's unsent changes if they were set aside."""

    previous_copy: Path
    unsent_file: Path | None = None
    unsent: int = 0


@dataclass(frozen=True)
class ResetResult:
    """Where the old copy went and whether the device must register with the server again."""

    previous_copy: Path
    new_device: bool


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")


def _copy_database(source: sqlite3.Connection, destination: Path) -> None:
    """Write a consistent snapshot of `source` to `destination` (via a temporary file)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(private_file(partial))
    try:
        source.backup(target)
        # A backup is one self-contained file: no -wal beside it to lose.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    partial.replace(destination)


def backup_replica(replica: Replica, destination: Path) -> BackupInfo:
    """Copy the open replica to `destination` while it stays in use."""
    with replica.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        _copy_database(raw, destination)
    return describe_backup(destination)


def _state_value(connection: sqlite3.Connection, key: str) -> Any:
    row = connection.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None or row[0] is None else json.loads(row[0])


def describe_backup(path: Path) -> BackupInfo:
    """Check that `path` is an intact Institute Desk replica and say what it holds."""
    if not path.is_file():
        raise BackupRefused(f"There is no file at {path}.")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupRefused(f"{path.name} cannot be opened: {exc}.") from exc
    try:
        tables = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"sync_state", "sync_outbox", "alembic_version"} <= tables:
            raise BackupRefused(f"{path.name} is not an Institute Desk backup.")
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupRefused(f"{path.name} is damaged ({check}); choose another backup.")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        pending = connection.execute("SELECT count(*) FROM sync_outbox").fetchone()[0]
        device_id = _state_value(connection, "device_id")
        server_url = _state_value(connection, "server_url")
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{path.name} is not an Institute Desk backup ({exc}).") from exc
    finally:
        connection.close()
    head = migrations.head_revision()
    if revision is not None and revision[0] > head:
        raise BackupRefused(f"{path.name} was made by a newer Institute Desk (schema "
                            f"{revision[0]}, this app knows up to {head}); update the app first.")
    return BackupInfo(path, path.stat().st_size, revision[0] if revision else None,
                      device_id, server_url, int(pending))


def _set_aside(replica_path: Path, what: str) -> Path:
    """Keep a consistent copy of the closed replica beside it, then remove the live files."""
    aside = replica_path.with_name(f"{replica_path.stem}.before-{what}.{_stamp()}"
                                   f"{replica_path.suffix}")
    if replica_path.exists():
        source = sqlite3.connect(replica_path)
        try:
            _copy_database(source, aside)
        finally:
            source.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{replica_path}{suffix}").unlink(missing_ok=True)
    return aside


def _as_new_device(connection: sqlite3.Connection, unsent_file: Path) -> int:
    """Give the copy a new device identity with an empty outbox; returns how many were waiting.

    The server applies each device's changes once, in sequence: the copy's numbering would
    collide with what the old identity sent after the backup, so it registers as a new device
    and downloads its whole scope. Changes that were waiting in the backup are written to
    `unsent_file` (most reached the server later from the original desk; the server today
    cannot tell a new device's resent change from a new one without stalling its sequence).
    """
    connection.row_factory = sqlite3.Row
    rows = [dict(r) for r in connection.execute("SELECT * FROM sync_outbox ORDER BY seq")]
    connection.row_factory = None
    if rows:
        for row in rows:
            row["fields"] = json.loads(row["fields"]) if row["fields"] else {}
        _write_changes(rows, _state_value(connection, "device_id"),
                       _state_value(connection, "server_url"), unsent_file)
        connection.execute("DELETE FROM sync_outbox")
    for key, value in (("device_id", str(uuid.uuid4())), ("outbox_seq_offset", 0),
                       (FULL_PULL_KEY, True), (NEW_DEVICE_KEY, True)):
        connection.execute("INSERT INTO sync_state(key, value) VALUES (?, ?) ON CONFLICT(key) "
                           "DO UPDATE SET value = excluded.value", (key, json.dumps(value)))
    connection.execute("DELETE FROM sync_state WHERE key IN ('pull_cursor', 'parked_rows')")
    return len(rows)


def restore_replica(data_dir: Path, source: Path) -> RestoreResult:
    """Replace the (closed) replica in `data_dir` with the backup `source`.

    A backup of a connected device comes back as a new device that downloads its whole scope
    again on the next sync (see `_as_new_device` for the changes that were waiting in it).
    """
    info = describe_backup(source)
    target = data_dir / REPLICA_FILENAME
    # Prepared beside the replica first: if anything fails here, the replica is untouched.
    staged = target.with_name(f"{target.name}.restoring")
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _copy_database(reader, staged)
    finally:
        reader.close()
    unsent, unsent_file = 0, data_dir / f"unsent-in-{source.stem}.{_stamp()}.json"
    if info.server_url:
        connection = sqlite3.connect(staged)
        try:
            with connection:
                unsent = _as_new_device(connection, unsent_file)
        finally:
            connection.close()
    aside = _set_aside(target, "restore")
    staged.replace(target)
    upgrade_replica(target)
    return RestoreResult(aside, unsent_file if unsent else None, unsent)


def export_pending(replica: Replica, destination: Path) -> int:
    """Write every change still waiting to be sent to a JSON file; returns how many."""
    with replica.engine.connect() as connection:
        rows = connection.execute(select(OutboxEntry.__table__)
                                  .order_by(OutboxEntry.seq)).mappings().all()
    _write_changes([dict(r) for r in rows], str(replica.device_id),
                   replica.get_state("server_url"), destination)
    return len(rows)


def _write_changes(rows: list[dict[str, Any]], device_id: str | None, server_url: str | None,
                   destination: Path) -> None:
    document = {"exported_at": datetime.now(UTC).isoformat(), "device_id": device_id,
                "server_url": server_url, "changes": rows}
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = private_file(destination.with_name(destination.name + ".partial"))
    partial.write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
    partial.replace(destination)


def reset_device(replica: Replica, *, exported_to: Path | None = None) -> ResetResult:
    """Empty this device's copy so that the next sync downloads everything from the server.

    Refuses (PendingChanges) while changes wait to be sent, unless `exported_to` names a file
    `export_pending` wrote with all of them. Refuses for a replica never connected to a
    server: its data exists nowhere else. Closes `replica`.
    """
    if not replica.get_state("server_url"):
        raise BackupRefused("This device is not connected to a server, so its data exists "
                            "only here: back it up instead of resetting it.")
    pending = replica.pending_changes()
    if pending:
        if exported_to is None or not exported_to.is_file():
            raise PendingChanges(pending)
        exported = json.loads(exported_to.read_text(encoding="utf-8")).get("changes", [])
        if len(exported) < pending:
            raise BackupRefused(f"{exported_to.name} holds {len(exported)} change(s) but "
                                f"{pending} are waiting; export them again.")
    kept = {key: replica.get_state(key) for key in KEPT_ON_RESET}
    kept = {k: v for k, v in kept.items() if v is not None}
    # The same identity only when nothing was dropped: its sequence then carries on unbroken.
    new_device = pending > 0
    if not new_device:
        kept["device_id"] = str(replica.device_id)
        kept["outbox_seq_offset"] = replica.get_state("outbox_seq_offset", 0)
    else:
        kept[NEW_DEVICE_KEY] = True
    kept[FULL_PULL_KEY] = True
    with replica.engine.connect() as connection:
        credentials = [dict(r) for r in connection.execute(
            select(LocalCredential.__table__)).mappings()]
    data_dir = replica.path.parent
    replica.close()
    aside = _set_aside(replica.path, "reset")
    upgrade_replica(replica.path)
    engine = create_engine(f"sqlite:///{replica.path}")
    try:
        with engine.begin() as connection:
            for key, value in kept.items():
                connection.execute(insert(SyncState).values(key=key, value=value))
            if credentials:
                connection.execute(insert(LocalCredential), credentials)
    finally:
        engine.dispose()
    assert (data_dir / REPLICA_FILENAME).exists()
    return ResetResult(aside, new_device)
