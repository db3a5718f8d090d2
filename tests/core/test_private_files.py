"""The replica, its backups and the logs are the owner's alone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.logs import setup_logging
from institute_core.replica import Replica
from institute_core.replica.backup import backup_replica, export_pending
from institute_core.schema import Subject

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what most desktops run with: new files world-readable
    yield
    os.umask(previous)


def _write_something(replica: Replica) -> None:
    with replica.write(replica.actor(None)) as session:
        session.add(Subject(name="Python", code="PY101", duration_hours=40))


def test_a_new_replica_its_journal_and_its_folder_are_private(tmp_path: Path) -> None:
    data = tmp_path / "InstituteDesk"
    replica = Replica.open(data)
    try:
        _write_something(replica)
        files = sorted(data.glob("replica.sqlite3*"))
        assert {p.name for p in files} >= {"replica.sqlite3", "replica.sqlite3-wal"}
        assert _mode(data) == 0o700
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        replica.close()


def test_an_existing_world_readable_replica_is_tightened_when_opened(tmp_path: Path) -> None:
    Replica.open(tmp_path / "d").close()
    (tmp_path / "d").chmod(0o755)
    (tmp_path / "d" / "replica.sqlite3").chmod(0o644)
    Replica.open(tmp_path / "d").close()
    assert _mode(tmp_path / "d") == 0o700
    assert _mode(tmp_path / "d" / "replica.sqlite3") == 0o600


def test_backups_and_exported_changes_are_private(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "d")
    try:
        _write_something(replica)
        backup_replica(replica, tmp_path / "backups" / "copy.sqlite3")
        assert export_pending(replica, tmp_path / "unsent.json") == replica.pending_changes() > 0
    finally:
        replica.close()
    assert _mode(tmp_path / "backups" / "copy.sqlite3") == 0o600
    assert _mode(tmp_path / "unsent.json") == 0o600


def test_the_log_folder_is_private(tmp_path: Path) -> None:
    import logging

    path = setup_logging(tmp_path / "logs")
    try:
        assert _mode(path.parent) == 0o700
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
