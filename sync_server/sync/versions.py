"""The global version clock: every server-side write takes the next version under its lock.

Its row also holds the server's epoch, a random id that `institute-sync-server restore`
replaces: desks compare it with the one they last saw to notice a restore (docs/sync.md).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, select, update

from institute_core.schema import table_of

_clock = table_of("sync_clock")


class VersionClock:
    """The sync_clock row, locked for the rest of the transaction (serializes writers)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        row = conn.execute(select(_clock.c.version, _clock.c.epoch)
                           .where(_clock.c.id == 1).with_for_update()).one()
        self.version = int(row.version)
        self.epoch: str | None = row.epoch
        self._start = self.version

    def next(self) -> int:
        self.version += 1
        return self.version

    def save(self) -> None:
        """Write the new value; readers see it only once the transaction commits."""
        if self.version != self._start:
            self._conn.execute(update(_clock).where(_clock.c.id == 1)
                               .values(version=self.version))


def committed_version(conn: Connection) -> tuple[int, int]:
    """(version, compacted_version) as committed; no lock."""
    row = conn.execute(select(_clock.c.version, _clock.c.compacted_version)
                       .where(_clock.c.id == 1)).one()
    return int(row.version), int(row.compacted_version)


def server_epoch(conn: Connection) -> str | None:
    """The epoch desks are told (None only for a database not migrated past 0006)."""
    epoch: str | None = conn.execute(select(_clock.c.epoch).where(_clock.c.id == 1)).scalar()
    return epoch


def restored_version(conn: Connection) -> int | None:
    """The version clock right after the last `restore` (None if there never was one)."""
    version = conn.execute(select(_clock.c.restored_version).where(_clock.c.id == 1)).scalar()
    return None if version is None else int(version)


def renew_epoch(conn: Connection) -> str:
    """Give the database a new epoch and note where its clock stands (after a restore)."""
    epoch = str(uuid.uuid4())
    conn.execute(update(_clock).where(_clock.c.id == 1)
                 .values(epoch=epoch, restored_version=_clock.c.version))
    return epoch
