"""Versions: every server-side write takes its versions from one sequence, without a lock that
other writers wait for, and a pull reads only up to the watermark below which nothing is still
being written.

- A writer's first version is announced by a transaction advisory lock keyed on it (taken with
  the version, under a shared gate, by the SQL function `sync_take_versions`); it is held until
  the writer commits or aborts. Its later versions are all larger.
- `watermark()` (SQL `sync_watermark`) takes the gate exclusively for an instant and returns one
  less than the smallest announced first version still held, or the newest version handed out
  when no writer is in flight: every version at or below it is committed or will never exist.
  It must be read BEFORE the snapshot that reads rows up to it is taken (see pull.py).
- Writers also hold a shared "writers" lock for their transaction, which tombstone compaction
  takes exclusively (`VersionClock(conn, exclusive=True)`): compaction never interleaves with a
  write, while writes never wait for each other.

Migration 0013 creates the sequence and functions; docs/sync.md has the argument. The
`sync_clock` row still holds the epoch (a random id that `institute-sync-server restore`
replaces: desks compare it with the one they last saw to notice a restore), the compacted
version and the restored version.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, literal_column, select, text, update

from institute_core.schema import table_of

_clock = table_of("sync_clock")

# Keep in step with migration 0013. Versions are announced as int8 advisory keys offset into a
# range nothing else uses; the gate and the writers lock use the two-int4 key form.
VERSION_KEY_BASE = 0x5E00_0000_0000_0000
_LOCK_CLASS = 0x5E5C_0000
_WRITERS = 2
# Versions taken at once when a writer does not say how many it needs.
_DEFAULT_BLOCK = 1
_LAST_HANDED_OUT = ("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
                    "FROM sync_version_seq")


def _writers_lock(*, exclusive: bool) -> str:
    """SQL taking the writers lock for the transaction (shared: a writer; exclusive:
    compaction)."""
    lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return f"{lock}({_LOCK_CLASS}, {_WRITERS})"


# Joins the writers for the transaction (shared): SQL for a statement that reads `sync_clock`
# anyway (the epoch), so joining costs no round trip of its own.
JOIN_WRITERS = _writers_lock(exclusive=False)


class VersionClock:
    """The versions one transaction writes with; see the module docstring.

    Creating it joins the writers (shared lock, or exclusive for compaction) and reads the epoch;
    versions are taken from the sequence at the first `next()`, `expect(n)` at a time.
    `joined(conn, epoch)` is the clock of a transaction whose own statement already did both
    (selected `JOIN_WRITERS` and the epoch from `sync_clock`).
    """

    def __init__(self, conn: Connection, *, exclusive: bool = False,
                 joined_epoch: tuple[str | None] | None = None) -> None:
        self._conn = conn
        if joined_epoch is None:
            joined_epoch = (conn.execute(
                select(_clock.c.epoch, literal_column(_writers_lock(exclusive=exclusive)))
                .where(_clock.c.id == 1)).one().epoch,)
        self.epoch: str | None = joined_epoch[0]
        self._free: list[int] = []
        self._block = _DEFAULT_BLOCK
        self.version = 0  # the last version this transaction took (0: none yet)

    @classmethod
    def joined(cls, conn: Connection, epoch: str | None) -> VersionClock:
        """The clock of a transaction that selected `JOIN_WRITERS` and `epoch` itself."""
        return cls(conn, joined_epoch=(epoch,))

    def expect(self, count: int) -> None:
        """Take up to `count` versions in one go at the next `next()` (one round trip)."""
        self._block = max(_DEFAULT_BLOCK, count)

    def next(self) -> int:
        if not self._free:
            taken = self._conn.execute(text("SELECT sync_take_versions(:n)"),
                                       {"n": self._block}).scalar_one()
            self._free = sorted(int(v) for v in taken)
            self._free.reverse()
            self._block = _DEFAULT_BLOCK
        self.version = self._free.pop()
        return self.version


def watermark(conn: Connection) -> int:
    """Every version at or below this is committed or never will be (see the module
    docstring). Read it in its own statement before the snapshot that relies on it."""
    return int(conn.execute(text("SELECT sync_watermark()")).scalar_one())


def last_handed_out(conn: Connection) -> int:
    """The newest version the sequence has handed out (committed or not)."""
    return int(conn.execute(text(_LAST_HANDED_OUT)).scalar_one())


def advance_to(conn: Connection, version: int) -> None:
    """Never hand out `version` or anything below it again (after a bulk load of rows)."""
    conn.execute(text("SELECT setval('sync_version_seq', GREATEST(:v, (" + _LAST_HANDED_OUT
                      + "), 1), true)"), {"v": version})


def compacted_version(conn: Connection) -> int:
    return int(conn.execute(select(_clock.c.compacted_version).where(_clock.c.id == 1))
               .scalar_one())


def server_epoch(conn: Connection) -> str | None:
    """The epoch desks are told (None only for a database not migrated past 0006)."""
    epoch: str | None = conn.execute(select(_clock.c.epoch).where(_clock.c.id == 1)).scalar()
    return epoch


def restored_version(conn: Connection) -> int | None:
    """The version clock right after the last `restore` (None if there never was one)."""
    version = conn.execute(select(_clock.c.restored_version).where(_clock.c.id == 1)).scalar()
    return None if version is None else int(version)


def renew_epoch(conn: Connection) -> str:
    """Give the database a new epoch and note where its versions stand (after a restore)."""
    epoch = str(uuid.uuid4())
    conn.execute(update(_clock).where(_clock.c.id == 1)
                 .values(epoch=epoch, restored_version=last_handed_out(conn)))
    return epoch
