"""Backing up and restoring a replica, and resetting a device, as a person relies on them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app.settings.pending import register_if_needed
from institute_core.replica import Replica
from institute_core.replica.backup import (
    BackupRefused,
    PendingChanges,
    backup_replica,
    describe_backup,
    export_pending,
    reset_device,
    restore_replica,
)
from institute_core.schema import Subject
from institute_core.sync.account import sync_replica
from tests.support.server import ServerProcess
from tests.sync.builders import add_subject
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk


def _codes(replica: Replica) -> set[str]:
    with replica.read() as s:
        return set(s.scalars(select(Subject.code)).all())


def test_backup_then_restore_brings_back_exactly_what_was_saved(replica: Replica,
                                                                 tmp_path: Path) -> None:
    add_subject(replica, None, "PY101")
    with replica.read() as s:  # a reader is busy while the backup runs: it must not matter
        s.execute(select(func.count()).select_from(Subject)).scalar_one()
        info = backup_replica(replica, tmp_path / "backups" / "monday.idbackup")
    assert info.pending_changes == replica.pending_changes() > 0
    add_subject(replica, None, "JS201")
    data_dir = replica.path.parent
    replica.close()

    kept = restore_replica(data_dir, info.path).previous_copy
    restored = Replica.open(data_dir)
    try:
        assert _codes(restored) == {"PY101"}
        assert restored.pending_changes() == info.pending_changes  # nothing waiting is lost
    finally:
        restored.close()
    before = Replica.open(tmp_path / "inspect")
    before.close()
    kept_copy = tmp_path / "inspect" / "replica.sqlite3"
    kept_copy.write_bytes(kept.read_bytes())
    previous = Replica.open(kept_copy.parent)
    try:
        assert _codes(previous) == {"PY101", "JS201"}  # the replaced data was kept aside
    finally:
        previous.close()


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(
        replica: Replica, tmp_path: Path) -> None:
    add_subject(replica, None, "PY101")
    data_dir = replica.path.parent
    replica.close()
    bogus = tmp_path / "notes.idbackup"
    bogus.write_text("shopping list")
    with pytest.raises(BackupRefused, match=r"notes\.idbackup"):
        restore_replica(data_dir, bogus)
    with pytest.raises(BackupRefused, match="no file"):
        describe_backup(tmp_path / "missing.idbackup")
    again = Replica.open(data_dir)
    try:
        assert _codes(again) == {"PY101"}
    finally:
        again.close()


def test_reset_refuses_for_a_device_that_never_synced(replica: Replica) -> None:
    add_subject(replica, None, "PY101")
    with pytest.raises(BackupRefused, match="not connected to a server"):
        reset_device(replica)
    assert _codes(replica) == {"PY101"}


def test_reset_redownloads_from_the_server_and_refuses_while_changes_wait(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    add_subject(desk.replica, desk.user_id, "PY101")
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    add_subject(desk.replica, desk.user_id, "UNSENT")
    device = desk.replica.device_id

    waiting = desk.replica.pending_changes()
    assert waiting > 0
    with pytest.raises(PendingChanges, match=f"^{waiting} change"):
        reset_device(desk.replica)
    assert _codes(desk.replica) == {"PY101", "UNSENT"}  # refused: nothing touched

    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    add_subject(desk.replica, desk.user_id, "LOCAL", topics=0)
    export = tmp_path / "unsent.json"
    assert export_pending(desk.replica, export) == desk.replica.pending_changes() > 0
    assert "subjects" in {c["table_name"] for c in json.loads(export.read_text())["changes"]}
    data_dir = desk.replica.path.parent
    result = reset_device(desk.replica, exported_to=export)
    assert result.new_device and result.previous_copy.exists()

    fresh = Replica.open(data_dir)
    desks.append(Desk(fresh, desk.email, desk.user_id, desk.credentials, desk.server_url))
    assert fresh.device_id != device and _codes(fresh) == set()
    assert register_if_needed(fresh, desk.credentials)  # what the desktop's sync does first
    assert not register_if_needed(fresh, desk.credentials)  # once
    sync_replica(fresh, desk.credentials, retry=FAST_RETRY)
    assert _codes(fresh) == {"PY101", "UNSENT"}  # everything the server has came back
    add_subject(fresh, desk.user_id, "AFTER", topics=0)
    sending = fresh.pending_changes()
    report = sync_replica(fresh, desk.credentials, retry=FAST_RETRY)
    assert report.sent == sending > 0 and not report.rejected and fresh.pending_changes() == 0


def test_reset_with_nothing_waiting_keeps_the_device_identity(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    add_subject(desk.replica, desk.user_id, "PY101")
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    device = desk.replica.device_id
    data_dir = desk.replica.path.parent
    assert not reset_device(desk.replica).new_device
    fresh = Replica.open(data_dir)
    desks.append(Desk(fresh, desk.email, desk.user_id, desk.credentials, desk.server_url))
    assert fresh.device_id == device and fresh.get_state("email") == desk.email
    sync_replica(fresh, desk.credentials, retry=FAST_RETRY)
    assert _codes(fresh) == {"PY101"}
    add_subject(fresh, desk.user_id, "NEXT", topics=0)  # its sequence carries on unbroken
    sending = fresh.pending_changes()
    report = sync_replica(fresh, desk.credentials, retry=FAST_RETRY)
    assert report.sent == sending > 0 and not report.rejected and fresh.pending_changes() == 0


def test_exported_changes_name_their_device(replica: Replica, tmp_path: Path) -> None:
    add_subject(replica, None, "PY101", topics=1)
    count = export_pending(replica, tmp_path / "out.json")
    document = json.loads((tmp_path / "out.json").read_text())
    assert count == replica.pending_changes() > 0
    assert uuid.UUID(document["device_id"]) == replica.device_id


def test_restored_copy_of_a_connected_desk_syncs_on_as_a_new_device(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    add_subject(desk.replica, desk.user_id, "SENT")
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    add_subject(desk.replica, desk.user_id, "IN_BACKUP", topics=0)  # unsent when backed up
    info = backup_replica(desk.replica, tmp_path / "desk.idbackup")
    assert info.pending_changes > 0 and info.server_url == desk.server_url
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    add_subject(desk.replica, desk.user_id, "LATER", topics=0)
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    old_device = desk.replica.device_id
    data_dir = desk.replica.path.parent
    desk.replica.close()
    desks.remove(desk)

    result = restore_replica(data_dir, info.path)
    assert result.unsent == info.pending_changes and result.unsent_file is not None
    saved = json.loads(result.unsent_file.read_text())["changes"]
    assert len(saved) == info.pending_changes and saved[0]["fields"]
    restored = Replica.open(data_dir)
    desks.append(Desk(restored, desk.email, desk.user_id, desk.credentials, desk.server_url))
    assert restored.device_id != old_device
    assert register_if_needed(restored, desk.credentials)
    report = sync_replica(restored, desk.credentials, retry=FAST_RETRY)
    assert not report.rejected and restored.pending_changes() == 0
    assert _codes(restored) == {"SENT", "IN_BACKUP", "LATER"}  # the full pull caught up
    add_subject(restored, desk.user_id, "NEW", topics=0)
    report = sync_replica(restored, desk.credentials, retry=FAST_RETRY)
    assert report.sent > 0 and not report.rejected
