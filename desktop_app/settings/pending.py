"""Restore and reset replace the replica file, so they run at start-up, before it is opened.

The settings dialog checks what it can at once (the backup is readable, nothing unsent is
lost), writes the operation next to the settings file and restarts the app; `run_pending`
does it on the next start and says what happened.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.settings.store import settings_path
from institute_core.replica import Replica
from institute_core.replica.backup import BackupRefused, reset_device, restore_replica

if TYPE_CHECKING:
    from institute_core.sync.credentials import CredentialStore

log = logging.getLogger(__name__)

PENDING_FILENAME = "pending-operation.json"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def pending_path(settings_file: Path | None = None) -> Path:
    return (settings_file or settings_path()).with_name(PENDING_FILENAME)


def schedule(kind: str, file: Path | None, *, data_dir: Path,
             settings_file: Path | None = None) -> Path:
    """Remember `restore` (from `file`) or `reset` (with unsent changes exported to `file`)."""
    if kind not in ("restore", "reset"):
        raise ValueError(f"unknown operation {kind!r}")
    path = pending_path(settings_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"kind": kind, "file": str(file) if file else None,
                                "data_dir": str(data_dir)}), encoding="utf-8")
    return path


def run_pending(data_dir: Path, settings_file: Path | None = None) -> Outcome | None:
    """Do the scheduled operation for `data_dir` (its replica must be closed); None if none."""
    path = pending_path(settings_file)
    if not path.exists():
        return None
    try:
        order = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)  # never retried forever: one attempt, then a message
    if Path(order.get("data_dir", "")) != data_dir:
        return Outcome(False, f"A {order.get('kind')} was asked for {order.get('data_dir')}, "
                              f"but the app opened {data_dir}; nothing was changed.")
    file = Path(order["file"]) if order.get("file") else None
    try:
        if order["kind"] == "restore" and file is not None:
            restored = restore_replica(data_dir, file)
            unsent = (f" {restored.unsent} change(s) that had not been sent when the backup was "
                      f"made were saved to {restored.unsent_file}; the next sync downloads "
                      f"everything the server has." if restored.unsent_file else "")
            return Outcome(True, f"Restored the data from {file.name}. The data it replaced "
                                 f"was kept in {restored.previous_copy}.{unsent}")
        replica = Replica.open(data_dir)
        try:
            result = reset_device(replica, exported_to=file)
        finally:
            replica.close()
        return Outcome(True, f"This device was reset; the next sync downloads everything from "
                             f"the server. The old data was kept in {result.previous_copy}.")
    except BackupRefused as exc:
        log.warning("pending %s refused: %s", order.get("kind"), exc)
        return Outcome(False, f"Nothing was changed: {exc}")


def register_if_needed(replica: Replica, credentials: CredentialStore) -> bool:
    """Register a restored or reset replica as a new device before its first sync.

    Runs on the network worker; a failure leaves the flag set, so the next sync tries again.
    """
    from institute_core.replica.backup import NEW_DEVICE_KEY

    if not replica.get_state(NEW_DEVICE_KEY):
        return False
    from institute_core.sync.account import client_for
    from institute_core.sync.runner import SyncRunner

    SyncRunner(replica, client_for(replica, credentials)).register_device("restored copy")
    replica.set_state(NEW_DEVICE_KEY, False)
    log.info("registered this replica as device %s", replica.device_id)
    return True
