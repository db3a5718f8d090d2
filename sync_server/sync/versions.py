"""The global version clock: every server-side write takes the next version under its lock."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from institute_core.schema import table_of

_clock = table_of("sync_clock")


class VersionClock:
    """The sync_clock row, locked for the rest of the transaction (serializes writers)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.version = int(conn.execute(
            select(_clock.c.version).where(_clock.c.id == 1).with_for_update()).scalar_one())
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
