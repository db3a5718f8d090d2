"""Opening a replica: SQLite in WAL mode with foreign keys on, upgraded to the newest schema."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from institute_core import migrations
from institute_core.replica.indexes import restore_indexes
from institute_core.replica.private import private_file, private_folder
from institute_core.replica.unit_of_work import Actor, install_write_guard, unit_of_work
from institute_core.schema import OutboxEntry, SyncState
from institute_core.sync.hlc import HybridClock, Timestamp

log = logging.getLogger(__name__)

REPLICA_FILENAME = "replica.sqlite3"
# Page cache per connection, in KiB. SQLite's default (2 MiB) holds a few thousand pages: once a
# replica's indexes outgrow it, every insert of a random id reads its index pages from the file
# again, and a first download of a large institute slowed down as it grew.
CACHE_KIB = 32 * 1024


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the UI read while the sync worker writes; NORMAL is durable across app crashes
    # (an OS crash may lose the last commit, never corrupt the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute(f"PRAGMA cache_size=-{int(CACHE_KIB)}")
    # No checkpoint inside a commit: with the audit trail a save dirties ~150 pages, so every
    # few saves one paid for copying 4 MB back (the slowest 15 % of saves). The Checkpointer
    # thread does it instead, off the write path.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class Checkpointer:
    """Copies the WAL back into the database every few seconds on its own thread.

    PASSIVE never waits for readers or writers; the WAL starts over once nothing still reads it.
    """

    INTERVAL_S = 2.0

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replica-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL_S):
            self.checkpoint()

    def checkpoint(self) -> None:
        try:  # mode=rw: a replica whose file is gone is never recreated empty
            connection = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=rw", uri=True,
                                         timeout=10)
        except sqlite3.Error as exc:
            log.debug("checkpoint skipped: %s", exc)
            return
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # busy: the next round retries
            log.debug("checkpoint skipped: %s", exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.checkpoint()


def _real_transactions(engine: Engine) -> Engine:
    """pysqlite's own transaction handling defers BEGIN and runs DDL outside any transaction;
    take control so that every unit of work, and every migration, is one real transaction
    (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html)."""
    event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def make_sqlite_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)
    return _real_transactions(engine)


def migration_engine(path: Path) -> Engine:
    """The replica file as its migrations need it: foreign keys off, as Alembic's batch mode
    needs on SQLite (rebuilding a table must not cascade), and each upgrade one real
    transaction, so a step that fails or a desk killed halfway leaves the schema as it was."""
    return _real_transactions(create_engine(f"sqlite:///{path}"))


class Replica:
    """An open replica: the engine, the device identity, the hybrid clock and the write path.

    Reads go through `read()`, writes through `write(actor)` – the one unit of work that records
    every change in the outbox in the same transaction. Sync applies pulled rows through
    `apply_remote()`, the only other door, which records nothing.
    """

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._checkpointer = Checkpointer(path)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        install_write_guard(engine)
        self.device_id = self._ensure_device_id()
        self.clock = HybridClock(str(self.device_id), offset_ms=int(self.get_state(
            "clock_offset_ms", 0)), last=self._last_stamp())

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | str, *, upgrade: bool = True) -> Replica:
        data_dir = private_folder(Path(data_dir))
        path = private_file(data_dir / REPLICA_FILENAME)
        # Before the migrations, which may change these very indexes: a download killed
        # while it filled empty tables left their plain indexes to build (replica/indexes.py).
        restore_indexes(path)
        if upgrade:
            upgrade_replica(path)
        return cls(path, make_sqlite_engine(path))

    def close(self) -> None:
        self._checkpointer.stop()
        self.engine.dispose()

    # --- access --------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it cannot write (its flushes would be refused)."""
        with self._sessions() as session:
            yield session

    def write(self, actor: Actor) -> Any:
        """The unit of work: `with replica.write(actor) as session: ...` commits or rolls back."""
        return unit_of_work(self._sessions, actor, self.clock)

    @contextmanager
    def apply_remote(self) -> Iterator[Connection]:
        """A transaction for applying rows pulled from the server; it records no changes."""
        with self.engine.begin() as connection:
            connection.info["sync_apply"] = True
            try:
                yield connection
            finally:
                connection.info.pop("sync_apply", None)

    def actor(self, user_id: uuid.UUID | None) -> Actor:
        return Actor(user_id=user_id, device_id=self.device_id)

    # --- small state -----------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(SyncState.value).where(SyncState.key == key)).scalar_one_or_none()
        return default if value is None else value

    def set_state(self, key: str, value: Any, connection: Connection | None = None) -> None:
        from sqlalchemy.dialects.sqlite import insert

        statement = insert(SyncState).values(key=key, value=value)
        statement = statement.on_conflict_do_update(index_elements=["key"],
                                                    set_={"value": value})
        if connection is not None:
            connection.execute(statement)
            return
        with self.engine.begin() as own:
            own.execute(statement)

    def pending_changes(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(OutboxEntry))
                       .scalar_one())

    def _ensure_device_id(self) -> uuid.UUID:
        existing = self.get_state("device_id")
        if existing:
            return uuid.UUID(existing)
        device_id = uuid.uuid4()
        self.set_state("device_id", str(device_id))
        return device_id

    def _last_stamp(self) -> Timestamp | None:
        # The clock never needs its own write per edit: the newest stamp is the newest outbox
        # entry, or the one remembered when the outbox was last emptied by a push.
        stamps = [self.get_state("clock_last")]
        with self.engine.connect() as connection:
            stamps.append(connection.execute(
                select(OutboxEntry.hlc).order_by(OutboxEntry.seq.desc()).limit(1)
            ).scalar_one_or_none())
        parsed = [Timestamp.parse(s) for s in stamps if s]
        return max(parsed) if parsed else None


def upgrade_replica(path: Path) -> None:
    """Bring the replica to the newest schema, backing the file up first when it has data.

    Runs on its own engine (`migration_engine`: foreign keys off, one transaction) and checks
    every foreign key afterwards.
    """
    engine = migration_engine(path)
    try:
        current = migrations.stored_revision(engine)
        if current == migrations.HEAD:
            return
        head = migrations.head_revision()
        if current is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            backup = path.with_name(f"{path.stem}.before-{head}.{stamp}{path.suffix}")
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            # Into a file created owner-only first; copyfile keeps that mode.
            shutil.copyfile(path, private_file(backup))
            log.info("backed up replica to %s before upgrading %s -> %s", backup, current, head)
        migrations.upgrade(engine)
        with engine.connect() as connection:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"replica upgrade left {len(broken)} broken foreign keys, "
                               f"first: {broken[0]}")
    finally:
        engine.dispose()
