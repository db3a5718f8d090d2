"""Saves never copy the WAL back themselves; the replica's checkpoint thread does."""

from __future__ import annotations

from pathlib import Path

from institute_core.replica import Replica
from institute_core.replica.database import Checkpointer


def test_a_commit_never_checkpoints_and_closing_copies_the_wal_back(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path)
    with replica.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    replica.set_state("bench", "x" * 100_000)  # a large write lands in the WAL only
    wal = tmp_path / "replica.sqlite3-wal"
    assert wal.stat().st_size > 100_000
    replica.close()
    reopened = Replica.open(tmp_path)
    assert reopened.get_state("bench") == "x" * 100_000
    reopened.close()


def test_the_checkpoint_thread_never_recreates_a_removed_replica(tmp_path: Path) -> None:
    missing = tmp_path / "gone.sqlite3"
    Checkpointer(missing).stop()
    assert not missing.exists()
