"""The push side of the replica: outbox batches as wire changes, and forgetting confirmed ones.

Wire sequence numbers must grow by one per change for the device's whole life, but the outbox
table numbers its rows with SQLite's rowid, which restarts at 1 whenever the table is emptied
(the column is not AUTOINCREMENT). The replica therefore keeps an offset in sync_state: the wire
seq of an entry is its rowid plus the offset, and the offset grows by the last rowid each time a
confirmation empties the outbox (in the same transaction, so no new entry can slip in between).

A confirmed entry moves to `sync_sent` (with its wire seq) instead of vanishing, and stays
there for `SyncOptions.keep_sent_days`: a server restored from an older backup has forgotten
what it acknowledged since, and gets it again from there (`read_sent`, sync/restore.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from institute_core.replica import Replica
from institute_core.schema import MODEL_BY_TABLE, OutboxEntry, SentChange, SyncState, table_of
from institute_core.sync import wire
from institute_core.sync.codec import decode_value
from institute_core.sync.conflicts import observe_stamps, store_conflicts

SEQ_OFFSET_KEY = "outbox_seq_offset"
REJECTED_KEY = "rejected"
CLOCK_LAST_KEY = "clock_last"
# {"device": id, "seq": n}: the highest seq of this device the server has acknowledged. A
# server answering a lower last_seq has lost changes it had (restored from a backup).
ACKED_KEY = "acked_seq"


@dataclass(frozen=True)
class PendingChange:
    """An outbox entry ready to send: its local rowid, what confirming it needs, and the
    change as the wire carries it (JSON text built by SQLite)."""

    local_seq: int
    seq: int
    change_id: uuid.UUID
    table: str
    row_id: uuid.UUID
    wire_json: str

    @property
    def change(self) -> wire.Change:
        """The change parsed (for a refusal's values, and for tests)."""
        return wire.Change.model_validate_json(self.wire_json)


@dataclass(frozen=True)
class Rejection:
    """A change the server refused, kept with its values so the user can see and redo it."""

    change_id: str
    seq: int
    table: str
    row_id: str
    fields: dict[str, Any]
    reason: str
    at: str


@dataclass
class Confirmation:
    """What one push confirmed: how many entries left the outbox and how they fared."""

    done: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    conflicts: int = 0
    # Rows the server holds but where this device's copy may now differ from it (a refused or
    # lost edit that did not change the server's row): the next pull must bring them back.
    stale: set[tuple[str, uuid.UUID]] = field(default_factory=set)


def _state(connection: Connection, key: str, default: Any) -> Any:
    value = connection.execute(select(SyncState.value).where(SyncState.key == key)).scalar()
    return default if value is None else value


def read_batch(replica: Replica, limit: int, *, after: int = 0) -> list[PendingChange]:
    """The oldest `limit` outbox entries (with a local seq above `after`), ready to send.

    SQLite writes each change's wire JSON itself: a push reads tens of thousands of entries,
    and building them as Python objects only to serialise them again cost more than the
    server took to apply them. The entries were validated when they were written.
    """
    with replica.engine.connect() as connection, connection.begin():
        offset = int(_state(connection, SEQ_OFFSET_KEY, 0))
        entries = connection.exec_driver_sql(_READ_SQL, (offset, after, limit)).all()
    return [PendingChange(local_seq, seq, uuid.UUID(hex=change_id), table, uuid.UUID(hex=row_id),
                          text)
            for local_seq, seq, change_id, table, row_id, text in entries]


def push_body(device_id: uuid.UUID, batch: list[PendingChange]) -> bytes:
    """The body of POST /v1/sync/push (wire.PushRequest) for `batch`, from its JSON texts."""
    changes = ",".join(p.wire_json for p in batch)
    return (f'{{"device_id":"{device_id}","schema_version":{wire.SCHEMA_VERSION},'
            f'"changes":[{changes}]}}').encode()


def _dashed(column: str) -> str:
    """SQL for the canonical text of a UUID that SQLAlchemy stores as 32 hex digits."""
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length in parts)


def _read_sql(table: str, where: str = "", base_version: str = "base_version") -> str:
    """Entries of the outbox (or of sync_sent, `?1` = 0) as wire JSON, from seq `?2` on."""
    return (
        "SELECT seq, seq + ?1, change_id, table_name, row_id, json_object("
        f"'change_id', {_dashed('change_id')}, 'seq', seq + ?1, 'table', table_name, "
        f"'row_id', {_dashed('row_id')}, 'fields', json(fields), 'hlc', hlc, "
        f"'author_id', CASE WHEN author_id IS NULL THEN NULL ELSE {_dashed('author_id')} END, "
        f"'device_id', {_dashed('device_id')}, 'base_version', {base_version}) "
        f"FROM {table} WHERE seq > ?2 {where} ORDER BY seq LIMIT ?3")


_READ_SQL = _read_sql(OutboxEntry.__tablename__)
# Only this device's: a desk that became a new device keeps nothing to re-send for the old.
_READ_SENT_SQL = _read_sql(SentChange.__tablename__, "AND device_id = ?4",
                           "min(base_version, ?5)")


def read_sent(replica: Replica, limit: int, *, after: int,
              seen_at_most: int = 0) -> list[PendingChange]:
    """The oldest `limit` acknowledged changes kept in sync_sent with a wire seq above
    `after`, ready to send again to a server that lost them.

    Their base versions are capped at `seen_at_most` (sync/restore.py says why)."""
    with replica.engine.connect() as connection, connection.begin():
        entries = connection.exec_driver_sql(
            _READ_SENT_SQL, (0, after, limit, replica.device_id.hex, seen_at_most)).all()
    return [PendingChange(local_seq, seq, uuid.UUID(hex=change_id), table, uuid.UUID(hex=row_id),
                          text)
            for local_seq, seq, change_id, table, row_id, text in entries]


def acked_seq(replica: Replica) -> int:
    """The highest seq of this device the server has acknowledged (0 if none)."""
    acked = replica.get_state(ACKED_KEY) or {}
    return int(acked.get("seq", 0)) if acked.get("device") == str(replica.device_id) else 0


def prune_sent(replica: Replica, keep_days: int) -> int:
    """Forget acknowledged changes older than `keep_days`; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    with replica.apply_remote() as connection:
        return int(connection.execute(
            delete(SentChange).where(SentChange.acked_at < cutoff)).rowcount or 0)


def first_wire_seq(replica: Replica) -> int | None:
    """The wire seq of the oldest waiting change (None when the outbox is empty)."""
    batch = read_batch(replica, 1)
    return batch[0].seq if batch else None


def confirm(replica: Replica, batch: list[PendingChange],
            response: wire.PushResponse, *, resent: bool = False) -> Confirmation:
    """Move the entries the server has applied (seq <= its last_seq) from the outbox to
    sync_sent, in one transaction.

    Rejected changes are kept with their reason under sync_state "rejected"; conflicts the
    server reported go to the local conflict log; the clock's last stamp is remembered so that
    an empty outbox does not lose it. `resent`: the batch came from sync_sent (a restored
    server), where it stays.
    """
    result = Confirmation()
    by_id = {r.change_id: r for r in response.results}
    done = [p for p in batch if p.seq <= response.last_seq]
    at = datetime.now(UTC)
    now = at.isoformat()
    with replica.apply_remote() as connection:
        # Write first: the transaction takes SQLite's write lock before reading anything.
        replica.set_state(CLOCK_LAST_KEY, replica.clock.last.encode(), connection)
        if done and not resent:
            _archive(connection, replica, [p.local_seq for p in done], at)
            replica.set_state(ACKED_KEY, {"device": str(replica.device_id),
                                          "seq": max(p.seq for p in done)}, connection)
        records: list[wire.ConflictRecord] = []
        rejected: list[dict[str, Any]] = []
        for pending in done:
            answer = by_id.get(pending.change_id)
            outcome = answer.outcome.value if answer else wire.Outcome.DUPLICATE.value
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
            if answer is None:
                continue
            records.extend(answer.conflicts)
            if answer.outcome in (wire.Outcome.LOST, wire.Outcome.REJECTED):
                result.stale.add((pending.table, pending.row_id))
            if answer.outcome is wire.Outcome.REJECTED:
                change = pending.change
                rejection = Rejection(str(change.change_id), change.seq, change.table,
                                      str(change.row_id), change.fields,
                                      answer.reason or "refused by the server", now)
                result.rejected.append(rejection)
                rejected.append(rejection.__dict__)
        if rejected:
            kept = list(_state(connection, REJECTED_KEY, []))
            replica.set_state(REJECTED_KEY, kept + rejected, connection)
        result.conflicts = store_conflicts(connection, records)
        _take_kept_values(connection, replica, records)
        result.stale = _on_server(connection, result.stale)
        result.done = len(done)
    observe_stamps(replica.clock, records)
    return result


def _archive(connection: Connection, replica: Replica, local_seqs: list[int],
             at: datetime) -> None:
    """Move confirmed outbox entries to sync_sent under their wire seq, acknowledged `at`."""
    offset = int(_state(connection, SEQ_OFFSET_KEY, 0))
    o = OutboxEntry
    for start in range(0, len(local_seqs), 500):
        chunk = local_seqs[start:start + 500]
        # OR REPLACE: a replica that became a new device (restored from its own backup)
        # numbers from 1 again; what the old identity kept can never be sent again anyway.
        connection.execute(insert(SentChange).prefix_with("OR REPLACE").from_select(
            ["seq", "change_id", "table_name", "row_id", "fields", "hlc", "author_id",
             "device_id", "base_version", "created_at", "acked_at"],
            select(o.seq + offset, o.change_id, o.table_name, o.row_id, o.fields, o.hlc,
                   o.author_id, o.device_id, o.base_version, o.created_at,
                   literal(at, SentChange.acked_at.type)).where(o.seq.in_(chunk))))
        connection.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(chunk)))
    left = connection.execute(select(func.count()).select_from(OutboxEntry)).scalar_one()
    if left == 0:
        replica.set_state(SEQ_OFFSET_KEY, offset + max(local_seqs), connection)


def _take_kept_values(connection: Connection, replica: Replica,
                      records: list[wire.ConflictRecord]) -> None:
    """Where this device's value lost, show the value the server kept (unless edited since)."""
    mine = [r for r in records if r.lost_device == replica.device_id
            and r.kind != "unique_collision" and r.table in MODEL_BY_TABLE]
    if not mine:
        return
    waiting: dict[tuple[str, uuid.UUID], set[str]] = {}
    for record in mine:
        key = (record.table, record.row_id)
        if key not in waiting:
            waiting[key] = pending_rows(connection, record.table, [record.row_id]).get(
                record.row_id, set())
    for record in mine:
        table = table_of(record.table)
        if record.field not in table.c or record.field in waiting[(record.table, record.row_id)]:
            continue
        try:
            value = decode_value(table.c[record.field], record.kept_value)
        except ValueError:
            continue
        connection.execute(update(table).where(table.c.id == record.row_id)
                           .values({record.field: value}))


def _on_server(connection: Connection, rows: set[tuple[str, uuid.UUID]]
               ) -> set[tuple[str, uuid.UUID]]:
    """The rows among `rows` that the server has (this copy carries a server version)."""
    out = set()
    for name, row_id in rows:
        if name not in MODEL_BY_TABLE:
            continue
        table = table_of(name)
        version = connection.execute(select(table.c.version).where(table.c.id == row_id)).scalar()
        if version:
            out.add((name, row_id))
    return out


def rejected_changes(replica: Replica) -> list[Rejection]:
    """Every change the server refused and the user has not dismissed yet, oldest first."""
    return [Rejection(**r) for r in replica.get_state(REJECTED_KEY, [])]


def dismiss_rejected(replica: Replica, change_ids: set[str]) -> None:
    """The user has seen these refusals (and redone what they wanted); stop showing them."""
    with replica.apply_remote() as connection:
        kept = [r for r in _state(connection, REJECTED_KEY, [])
                if r["change_id"] not in change_ids]
        replica.set_state(REJECTED_KEY, kept, connection)


def pending_rows(connection: Connection, table: str, ids: list[uuid.UUID]) -> dict[uuid.UUID,
                                                                                 set[str]]:
    """For rows of `table` among `ids`, the fields that have edits waiting in the outbox."""
    out: dict[uuid.UUID, set[str]] = {}
    if len(ids) > 50:
        # A page of pulled rows: one pass over the (usually short) outbox of that table beats
        # binding thousands of ids.
        wanted = set(ids)
        for row_id, fields in connection.execute(
                select(OutboxEntry.row_id, OutboxEntry.fields).where(
                    OutboxEntry.table_name == table)):
            if row_id in wanted:
                out.setdefault(row_id, set()).update(fields)
        return out
    for row_id, fields in connection.execute(
            select(OutboxEntry.row_id, OutboxEntry.fields).where(
                OutboxEntry.table_name == table, OutboxEntry.row_id.in_(ids))):
        out.setdefault(row_id, set()).update(fields)
    return out
