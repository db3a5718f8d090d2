"""Pull: the rows a user may see that changed since their cursor, in pages, parents first.

A window (since, hw] is fixed when it starts (hw = the version watermark: every version at or
below it is committed, versions.py). Pages walk the synced tables in `SYNCED_TABLES` order, each
by (version, id). Every page first reads the watermark, then reads rows in one REPEATABLE READ
snapshot taken after it, which therefore holds every row of the window. When a window is done
and the watermark has moved meanwhile, the next page starts the window (hw, watermark]; only a
window after which the snapshot holds no newer row carries the per-table counts, which
therefore describe exactly the state the client now holds (a pull that ends while a push is
still in flight below newer rows ends without counts).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    Numeric,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, table_of
from institute_core.sync.policy import secret_columns, withheld_columns
from institute_core.sync.scopes import Viewer, private_columns_shown, visible, with_students
from institute_core.sync.wire import (
    MAX_BIGINT,
    MAX_PULL_LIMIT,
    MORE_HEADER,
    NEXT_CURSOR_HEADER,
    ROW_COUNT_HEADER,
    ConflictRecord,
    PullResponse,
)
from sync_server.clock import now_ms
from sync_server.errors import ApiError
from sync_server.principal import Principal
from sync_server.settings import Settings
from sync_server.sync import devices
from sync_server.sync.counts import Newest, newest_of, newest_sql
from sync_server.sync.counts import counts as scope_counts
from sync_server.sync.push import conflict_record
from sync_server.sync.versions import watermark

_conflicts = table_of("sync_conflicts")


@dataclass(frozen=True)
class Cursor:
    """Where a pull stands: window (since, hw], table index, last (version, id) in that table,
    and the last conflict entry (server_version, id) sent while the window's entries still
    come in pages of their own."""

    since: int = 0
    hw: int | None = None
    table: int = 0
    last_version: int | None = None
    last_id: uuid.UUID | None = None
    conflict: tuple[int, uuid.UUID] | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"s": self.since, "h": self.hw, "t": self.table,
                                "v": self.last_version,
                                "i": str(self.last_id) if self.last_id else None}
        if self.conflict is not None:
            data["c"] = [self.conflict[0], str(self.conflict[1])]
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()
                                        ).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            conflict = data.get("c")
            cursor = cls(int(data["s"]), None if data["h"] is None else int(data["h"]),
                         int(data["t"]), None if data["v"] is None else int(data["v"]),
                         None if data["i"] is None else uuid.UUID(data["i"]),
                         None if conflict is None
                         else (int(conflict[0]), uuid.UUID(str(conflict[1]))))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, IndexError,
                binascii.Error) as exc:
            raise ApiError(400, "bad_cursor",
                           "The pull cursor is not one this server issued; pull from the "
                           "start (empty cursor).") from exc
        # Versions are BIGINT: a forged number beyond them is refused here, not by PostgreSQL.
        versions = (cursor.since, cursor.hw or 0, cursor.last_version or 0,
                    cursor.conflict[0] if cursor.conflict else 0)
        if not all(0 <= v <= MAX_BIGINT for v in versions) \
                or not 0 <= cursor.table <= len(SYNCED_TABLES):
            raise ApiError(400, "bad_cursor", "The pull cursor is out of range.")
        return cursor

    @property
    def at_window_start(self) -> bool:
        return self.table == 0 and self.last_version is None


@dataclass(frozen=True)
class PullPage:
    """One pull answer whose rows PostgreSQL already rendered as JSON text.

    Encoding rows in Python cost about 0.3 ms a row; `row_to_json` in the query that reads
    them costs a small fraction of that, and the text goes out as it is.
    """

    rows: list[str]
    answer: PullResponse  # everything but the rows

    def to_json(self) -> bytes:
        rest = self.answer.model_dump_json()
        head = '{"rows":[]'
        if not rest.startswith(head):
            raise RuntimeError("PullResponse no longer starts with its rows")
        return ('{"rows":[' + ",".join(self.rows) + "]" + rest[len(head):]).encode()

    def headers(self) -> dict[str, str]:
        """What a desk needs to ask for the next page before it has parsed this one."""
        more = self.answer.has_more and not self.answer.reset_required
        return {NEXT_CURSOR_HEADER: self.answer.next_cursor, MORE_HEADER: "1" if more else "0",
                ROW_COUNT_HEADER: str(len(self.rows))}


def pull(engine: Engine, settings: Settings, principal: Principal, cursor_text: str,
         limit: int, device_id: uuid.UUID | None, client_time_ms: int | None) -> PullPage:
    """One page of `principal`'s changes after `cursor_text`."""
    cursor = Cursor.decode(cursor_text)
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    with engine.connect() as raw:
        # In a statement of its own, before the snapshot: what committed below the watermark
        # by now is then in the snapshot (a snapshot taken first could miss a push that
        # committed between it and the watermark's read). Autocommit: no BEGIN and ROLLBACK
        # round trips around it.
        raw.execution_options(isolation_level="AUTOCOMMIT")
        clock = watermark(raw)
        raw.rollback()
        conn = raw.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            compacted, epoch, newest = _opening(conn)
            viewer = with_students(conn, principal.viewer)
            if cursor.since > clock or (cursor.since > 0 and cursor.since < compacted):
                # Away longer than tombstones are kept (or the server was restored from an
                # older backup): deletes may be missing, so the device downloads its scope anew.
                last_seq = None if device_id is None else _device_seq(conn, principal, device_id)
                return PullPage([], PullResponse(rows=[], next_cursor="", has_more=False,
                                                 reset_required=True, server_time_ms=now_ms(),
                                                 epoch=epoch, last_seq=last_seq))
            hw = clock if cursor.hw is None else cursor.hw
            window = Cursor(cursor.since, hw, cursor.table, cursor.last_version, cursor.last_id,
                            cursor.conflict)
            conflicts: list[ConflictRecord] = []
            more_conflicts: tuple[int, uuid.UUID] | None = None
            if window.at_window_start and newest.conflicts > window.since:
                # Nearly every window has no entries at all (`newest` says so for free).
                conflicts, more_conflicts = _conflicts_for(conn, viewer, window, limit)
            rows, after = ([], window) if more_conflicts is not None \
                else _page(conn, viewer, window, limit, newest)
            counts = None
            if more_conflicts is not None:
                # Entries come first, `limit` at a time: a user who makes thousands of losing
                # edits a second must not make every other desk's page (and the server's
                # memory for it) as large as the whole log.
                has_more = True
                next_cursor = Cursor(window.since, hw, conflict=more_conflicts)
            elif after.table < len(SYNCED_TABLES):
                has_more, next_cursor = True, after
            elif clock > hw:
                has_more, next_cursor = True, Cursor(since=hw, hw=clock)
            else:
                has_more, next_cursor = False, Cursor(since=hw)
                # Rows above the watermark (a push still in flight below them, or committed
                # since the watermark was read) would be counted but not sent yet: no counts
                # then, and the desk checks at its next sync.
                if not newest.above(hw):
                    counts = scope_counts(conn, viewer, hw, epoch, compacted, newest)
        last_seq = None
        if device_id is not None:
            # Its own transaction: the snapshot's was read-only, and a device row written in
            # it could clash with the device's own push committing meanwhile.
            raw.execution_options(isolation_level="AUTOCOMMIT")
            last_seq = devices.note_pull(raw, principal.user_id, device_id, client_time_ms,
                                         None if has_more else next_cursor.since)
    return PullPage(rows, PullResponse(rows=[], conflicts=conflicts,
                                       next_cursor=next_cursor.encode(), has_more=has_more,
                                       counts=counts, server_time_ms=now_ms(), epoch=epoch,
                                       last_seq=last_seq))


def _opening(conn: Connection) -> tuple[int, str | None, Newest]:
    """(compacted version, epoch, newest versions) of the snapshot `conn` opens, in one round
    trip, and the transaction's time zone set to UTC (row_to_json writes timestamps in the
    session's zone: the codec's form is UTC)."""
    compacted, epoch, *newest = conn.exec_driver_sql(_opening_sql()).one()
    return int(compacted), epoch, newest_of(newest)


@functools.cache
def _opening_sql() -> str:
    return ("SELECT c.compacted_version, c.epoch, " + newest_sql()
            + " FROM sync_clock c, set_config('TimeZone', 'UTC', true) WHERE c.id = 1")


def _page(conn: Connection, viewer: Viewer, cursor: Cursor, limit: int, newest: Newest
          ) -> tuple[list[str], Cursor]:
    assert cursor.hw is not None
    rows: list[str] = []
    index, last_version, last_id = cursor.table, cursor.last_version, cursor.last_id
    changed = newest.written(cursor.since, cursor.hw, SYNCED_TABLES[index:])
    while index < len(SYNCED_TABLES) and len(rows) < limit:
        name = SYNCED_TABLES[index]
        if name not in changed:
            # Nothing of this table changed in the window: skip its scope query.
            index += 1
            continue
        wanted = limit - len(rows)
        params: dict[str, Any] = {"since": cursor.since, "hw": cursor.hw, "limit": wanted}
        after = last_version is not None and last_id is not None
        if after:
            params.update(last_version=last_version, last_id=last_id)
        fetched = conn.execute(_page_statement(name, viewer, after), params).all()
        rows.extend(text for _version, _id, text in fetched)
        if len(fetched) < wanted:
            index, last_version, last_id = index + 1, None, None
        else:
            last_version, last_id = int(fetched[-1][0]), fetched[-1][1]
    return rows, Cursor(cursor.since, cursor.hw, index, last_version, last_id)


@functools.lru_cache(maxsize=2048)
def _page_statement(name: str, viewer: Viewer, after: bool) -> Any:
    """The page query of table `name` for `viewer`, the window and limit left as parameters
    (`after`: the page goes on after (:last_version, :last_id)). Built once per table, viewer
    and kind of page: building the scope's clauses and the statement's cache key on every
    pull cost more than PostgreSQL's reading the rows (SQLAlchemy keeps the key on the
    object)."""
    table = table_of(name)
    conditions = [table.c.version > bindparam("since", type_=BigInteger),
                  table.c.version <= bindparam("hw", type_=BigInteger), visible(name, viewer)]
    if after:
        conditions.append(tuple_(table.c.version, table.c.id)
                          > tuple_(bindparam("last_version", type_=BigInteger),
                                   bindparam("last_id", type_=Uuid)))
    return _rows_as_json(name, viewer, and_(*conditions), bindparam("limit", type_=Integer))


def _wire_column(column: Column[Any]) -> Any:
    """The column as the codec sends it, where row_to_json's own form differs (decimals)."""
    kind = column.type
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return cast(column, Text).label(column.name)
    return column


def _rows_as_json(name: str, viewer: Viewer, where: Any, limit: Any) -> Any:
    """(version, id, PulledRow JSON text) of up to `limit` rows, in (version, id) order."""
    table = table_of(name)
    model = MODEL_BY_TABLE[name]
    private = sorted(getattr(model, "__private_columns__", frozenset()))
    # Local columns never sync; secrets (a reset's verifier) stay on the server.
    kept_back = model.__local_columns__ | secret_columns(name)
    columns = [_wire_column(c) for c in table.columns if c.name not in kept_back]
    inner = (select(*columns).where(where).order_by(table.c.version, table.c.id).limit(limit)
             .subquery("r"))
    whole_row: Any = literal_column("r")
    values: Any = func.row_to_json(whole_row)
    if private and not viewer.sees_private:
        as_doc = func.to_jsonb(whole_row)
        values = case((private_columns_shown(viewer, inner.c.user_id), as_doc),
                      else_=as_doc.op("-")(literal(private, ARRAY(Text))))
    payload = func.json_build_object(literal("table"), literal(name), literal("id"), inner.c.id,
                                     literal("version"), inner.c.version,
                                     literal("values"), values)
    return (select(inner.c.version, inner.c.id, cast(payload, Text))
            .order_by(inner.c.version, inner.c.id))


def conflicts_visible(viewer: Viewer) -> Any:
    """Conflict log entries a user is shown: what they lost, or entries about rows they can see.

    Having written the kept value does not show an entry about a row the user no longer sees:
    the loser's value in it is someone else's.
    """
    if viewer.may("audit.view"):
        return None
    about_rows = [and_(_conflicts.c.table_name == name, _conflicts.c.row_id.in_(
        select(table_of(name).c.id).where(visible(name, viewer)))) for name in SYNCED_TABLES]
    return or_(_conflicts.c.lost_by == viewer.user_id, *about_rows)


def _conflicts_for(conn: Connection, viewer: Viewer, window: Cursor, limit: int
                   ) -> tuple[list[ConflictRecord], tuple[int, uuid.UUID] | None]:
    """The window's entries after the cursor's last one, at most `limit`; and where the next
    page goes on when there may be more (None: all sent)."""
    assert window.hw is not None
    conditions = [_conflicts.c.server_version > window.since,
                  _conflicts.c.server_version <= window.hw]
    if window.conflict is not None:
        conditions.append(tuple_(_conflicts.c.server_version, _conflicts.c.id)
                          > tuple_(literal(window.conflict[0]), literal(window.conflict[1])))
    if not conn.execute(select(exists().where(*conditions))).scalar():
        # Nearly every window has no entries at all: the scope (a subquery per synced table)
        # is built and run only when it has something to filter.
        return [], None
    scope = conflicts_visible(viewer)
    if scope is not None:
        conditions.append(scope)
    rows = conn.execute(select(_conflicts).where(and_(*conditions))
                        .order_by(_conflicts.c.server_version, _conflicts.c.id)
                        .limit(limit)).mappings().all()
    more = (int(rows[-1]["server_version"]), rows[-1]["id"]) if len(rows) == limit else None
    records = []
    for row in rows:
        # A conflict on a colleague's pay, or a refused row holding it, must not carry it.
        hidden = withheld_columns(row["table_name"], viewer.sees_private)
        if row["field"] in hidden:
            continue
        entry = dict(row)
        for side in ("kept_value", "lost_value"):
            if hidden and isinstance(entry[side], dict):
                entry[side] = {k: v for k, v in entry[side].items() if k not in hidden}
        records.append(conflict_record(entry))
    return records, more


def _device_seq(conn: Connection, principal: Principal, device_id: uuid.UUID) -> int | None:
    """The last change applied from the caller's device; None if the server does not know it
    as theirs (the desk tells a restored server by this, docs/sync.md)."""
    devices_table = table_of("sync_devices")
    seq = conn.execute(select(devices_table.c.last_seq).where(
        devices_table.c.device_id == device_id,
        devices_table.c.user_id == principal.user_id)).scalar()
    return None if seq is None else int(seq)
