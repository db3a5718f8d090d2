"""Push: apply a device's changes exactly once, in order, merging field by field.

The whole push is one transaction. It takes its versions from the server's sequence without
waiting for other desks' pushes (versions.py: pulls read only up to the watermark below which
no push is still in flight), and it locks its device's row, so one device's pushes apply in
order. Each change runs under a SAVEPOINT: a
change that is refused (not allowed, invalid, a unique collision, a missing parent) rolls back
alone and is reported with a reason; the others stand. A crash at any point rolls the whole
push back; the client still holds its outbox and sends it again, and change ids make the
retry safe. An unexpected error (not a refusal) is answered with a 500 whose reference the
server log carries too, with the change being applied; the device row keeps the failure for
the admins until a push succeeds (see `_failed`).
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, exists, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from institute_core.ids import uuid_array_literal
from institute_core.numbering import branch_label, in_series, number_branch, parse
from institute_core.schema import (
    MODEL_BY_TABLE,
    table_of,
)
from institute_core.sync.codec import decode_fields, encode_value
from institute_core.sync.hlc import Timestamp
from institute_core.sync.merge import (
    ConflictKind,
    FieldConflict,
    FieldStamp,
    Incoming,
    MergeDecision,
    merge_change,
    owner_matters,
)
from institute_core.sync.owners import owner_of
from institute_core.sync.policy import insert_only, number_columns, secret_columns
from institute_core.sync.scopes import visible
from institute_core.sync.wire import (
    Change,
    ConflictRecord,
    Outcome,
    PushRequest,
)
from institute_core.validation import InvalidInput, explain_integrity_error, validate_values
from sync_server.auth.revocation import account_to_sign_out, end_sessions
from sync_server.clock import now, now_ms
from sync_server.errors import CLIENT_TOO_OLD, ApiError
from sync_server.failures import Failed, failure_detail, new_ref
from sync_server.principal import Principal
from sync_server.settings import Settings
from sync_server.sync import authorize, devices, reversion, rowstore
from sync_server.sync.store import BatchStore
from sync_server.sync.versions import JOIN_WRITERS, VersionClock

_applied = table_of("sync_applied_changes")
log = logging.getLogger(__name__)
# Never accepted from a client: the key, the server's version, and columns that never sync.
_SERVER_FIELDS = frozenset({"id", "version"})


class Refused(Exception):
    """A change that is not applied; `conflicts` are still logged (unique collisions)."""

    def __init__(self, reason: str, conflicts: list[FieldConflict] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.conflicts = conflicts or []


def push(engine: Engine, settings: Settings, principal: Principal, body: PushRequest,
         client_time_ms: int | None) -> bytes:
    """Apply `body` for `principal`: the JSON of a wire.PushResponse, one result per change,
    in order.

    Results are built as JSON-ready dicts, stored as they are for retries and sent as they
    are: a model per result, validated or dumped, cost more than applying the change."""
    if body.schema_version < settings.min_client_schema:
        raise ApiError(426, "client_too_old", CLIENT_TOO_OLD)
    try:
        return _taking_turns(lambda: _push(engine, principal, body, client_time_ms,
                                           _Position(), buffered=True))
    except (ApiError, OperationalError):
        raise
    except (IntegrityError, DataError):
        # The bulk write met a constraint the checks did not foresee: redo it change by
        # change, each under a savepoint, so only the offending change is refused.
        log.info("push from device %s redone change by change", body.device_id)
    except Exception:
        # Unforeseen, and the bulk write cannot say which change met it: redo the push once,
        # change by change, which either gets through or fails on the change to blame.
        log.warning("push from device %s failed in bulk; redone change by change",
                    body.device_id, exc_info=True)
    at = _Position()
    try:
        return _taking_turns(lambda: _push(engine, principal, body, client_time_ms, at,
                                           buffered=False))
    except (ApiError, OperationalError):
        raise
    except Exception as exc:
        raise _failed(engine, principal, body, at.change, exc) from exc


# PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole and
# may simply run again (two pushes that met on rows the batch lock does not cover, e.g. the
# rows a newly visible student's history bumps).
_RETRYABLE = frozenset({"40P01", "40001"})
_TURNS = 3


def _taking_turns(attempt: Callable[[], bytes]) -> bytes:
    """Run a push, again (up to _TURNS times in all) when the database chose it as the victim
    of a deadlock; any other error, or the last turn's, goes to the caller."""
    for turn in range(1, _TURNS + 1):
        try:
            return attempt()
        except OperationalError as exc:
            if turn == _TURNS or getattr(exc.orig, "sqlstate", None) not in _RETRYABLE:
                raise
            log.info("push rolled back by the database (%s); running it again",
                     getattr(exc.orig, "sqlstate", None))
    raise AssertionError("unreachable")


@dataclass
class _Position:
    """The change a push is applying (None before the first and once all are applied)."""

    change: Change | None = None


def _failed(engine: Engine, principal: Principal, body: PushRequest, change: Change | None,
            exc: Exception) -> Failed:
    """Log an unexpected failure with its reference and what it was applying, note it on the
    device for the admins, and return the `Failed` that answers the desk."""
    ref = new_ref()
    what = (f"{change.table} row {change.row_id} (change {change.change_id}, seq {change.seq})"
            if change is not None else "the batch")
    log.error("push failed (ref %s): POST /v1/sync/push device %s user %s, applying %s",
              ref, body.device_id, principal.email, what, exc_info=exc)
    # For the admins' list: what, then the cause's first line (never the data SQLAlchemy
    # appends to it), then its kind for whoever reads the log next.
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = f"applying {what}: {cause[0] if cause else ''} ({type(exc).__name__})"
    try:
        devices.record_push_failure(engine, principal, body.device_id, ref, reason)
    except Exception:  # the answer matters more than the note; the log has both
        log.exception("could not note the failed push (ref %s) on device %s", ref,
                      body.device_id)
    return Failed(ref, failure_detail(ref, "a change this device sent"))


def _push(engine: Engine, principal: Principal, body: PushRequest,
          client_time_ms: int | None, at: _Position, *, buffered: bool) -> bytes:
    with engine.begin() as conn:
        opening = _open(conn, principal, body)
        clock = VersionClock.joined(conn, opening.epoch)
        clock.expect(len(body.changes))
        store = BatchStore(conn, buffered=buffered)
        store.lock(_rows_changed(body.changes))
        wanted = _rows_wanted(body.changes)
        store.prefetch(wanted)
        authorize.prefetch_branch_rows(store, principal.viewer, wanted)
        store.prefetch_owners(wanted)
        applier = _Applier(store, clock, principal, opening.series_code)
        last_seq = opening.last_seq
        known = opening.known
        applied_at = now()
        results: list[dict[str, Any]] = []
        for change in body.changes:
            if change.change_id in known:
                results.append(_duplicate(known[change.change_id], change))
                continue
            if change.seq <= last_seq:
                results.append(_answer(change, Outcome.DUPLICATE,
                                       reason="already received earlier"))
                continue
            if change.seq != last_seq + 1:
                # Not stored and last_seq unchanged: the device must send the gap first.
                results.append(_answer(
                    change, Outcome.REJECTED,
                    reason=f"missing earlier changes, resend from seq {last_seq + 1}"))
                continue
            at.change = change
            result = applier.apply(change, body.device_id)
            at.change = None
            store.record_applied(change.change_id, body.device_id, change.seq, result,
                                 applied_at)
            known[change.change_id] = result
            last_seq = change.seq
            results.append(result)
        store.finish(*devices.push_succeeded(body.device_id, client_time_ms, last_seq,
                                             body.schema_version))
    return _json({"results": results, "last_seq": last_seq, "server_time_ms": now_ms(),
                  "epoch": clock.epoch})


def _json(answer: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(answer)
    except TypeError:  # a reason quoting a lone surrogate the desk sent
        return json.dumps(answer, separators=(",", ":"), default=str).encode()


def _rows_changed(changes: list[Change]) -> dict[str, set[uuid.UUID]]:
    """The rows a batch writes, per synced table."""
    changed: dict[str, set[uuid.UUID]] = {}
    for change in changes:
        if change.table in MODEL_BY_TABLE:
            changed.setdefault(change.table, set()).add(change.row_id)
    return changed


def _rows_wanted(changes: list[Change]) -> dict[str, set[uuid.UUID]]:
    """The rows a batch will read: the changed rows and the parents their fields name."""
    wanted: dict[str, set[uuid.UUID]] = {}
    for change in changes:
        if change.table not in MODEL_BY_TABLE:
            continue
        wanted.setdefault(change.table, set()).add(change.row_id)
        for column, parent in _parents(change.table):
            raw = change.fields.get(column)
            if isinstance(raw, str):
                try:
                    wanted.setdefault(parent, set()).add(uuid.UUID(raw))
                except ValueError:
                    continue
    return wanted


@functools.cache
def _parents(table_name: str) -> tuple[tuple[str, str], ...]:
    """(column, parent table) of each foreign key of a synced table, worked out once: every
    change of a push asks."""
    return tuple((fk.parent.name, fk.column.table.name)
                 for fk in table_of(table_name).foreign_keys)


@functools.cache
def _unsendable(table_name: str) -> frozenset[str]:
    """Fields a change of `table_name` may not set: the server's and the desk's own."""
    return _SERVER_FIELDS | MODEL_BY_TABLE[table_name].__local_columns__


_STORED_SQL = ("SELECT change_id, result FROM sync_applied_changes "
               "WHERE change_id = ANY(%s::uuid[])")

# A push's first statement: the session's time zone (rows are read through the driver,
# store._driver_rows, and their timestamps must come back in UTC like the ORM's), the device
# row locked (one device's pushes apply in order), the writers joined and the epoch read
# (versions.py), and the results already stored for the batch's change ids – one round trip
# where SET, the lock, the clock and the lookup were four.
#
# The lookup reads the statement's snapshot, taken before the device lock was granted: a push
# of the same device that committed while this one waited is not in it. The locked row is
# then newer than the snapshot's (`seen_seq`, read in the same snapshot, differs from
# `last_seq`: every push that stores results moves last_seq), and the lookup is asked again.
_OPENING_SQL = (
    "SELECT d.user_id, d.last_seq, d.series_code, c.epoch, " + JOIN_WRITERS + " AS joined,"
    " (SELECT s.last_seq FROM sync_devices s WHERE s.device_id = %s) AS seen_seq,"
    " (SELECT json_agg(json_build_array(a.change_id, a.result)) FROM sync_applied_changes a"
    "  WHERE a.change_id = ANY(%s::uuid[])) AS stored"
    " FROM set_config('TimeZone', 'UTC', true) AS utc, sync_devices d, sync_clock c"
    " WHERE d.device_id = %s AND c.id = 1 FOR UPDATE OF d")


@dataclass(frozen=True)
class _Opening:
    """What a push knows after its first statement."""

    last_seq: int
    series_code: str | None
    epoch: str | None
    known: dict[uuid.UUID, Any]  # stored results of the batch's change ids


def _open(conn: Connection, principal: Principal, body: PushRequest) -> _Opening:
    ids = [c.change_id for c in body.changes]
    row = conn.exec_driver_sql(_OPENING_SQL, (body.device_id, uuid_array_literal(ids),
                                              body.device_id)).first()
    devices.refuse_unless_mine(row, principal)
    assert row is not None  # refused above
    if row.seen_seq == row.last_seq:
        known = {uuid.UUID(change_id): result for change_id, result in row.stored or ()}
    else:  # another push of this device committed while this one waited for the lock
        known = _stored_results(conn, ids)
    return _Opening(int(row.last_seq), row.series_code, row.epoch, known)


def _stored_results(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    # One text parameter: psycopg dumps a list of UUIDs id by id in Python.
    rows = conn.exec_driver_sql(_STORED_SQL, (uuid_array_literal(ids),)).all()
    return {change_id: result for change_id, result in rows}


def _duplicate(stored: Mapping[str, Any], change: Change) -> dict[str, Any]:
    first = stored.get("outcome", "applied")
    why = f": {stored['reason']}" if stored.get("reason") else ""
    return _answer(change, Outcome.DUPLICATE, stored.get("version"),
                   reason=f"already received earlier ({first}{why})")


class _Applier:
    """Applies single changes inside the push transaction."""

    def __init__(self, store: BatchStore, clock: VersionClock, principal: Principal,
                 series: str | None = None) -> None:
        self.store = store
        self.clock = clock
        self.principal = principal
        self.viewer = principal.viewer
        self.series = series  # the pushing device's series of document numbers

    def apply(self, change: Change, device_id: uuid.UUID) -> dict[str, Any]:
        # Buffered, a change writes only after every check passed, so a refusal leaves
        # nothing behind; immediate (the careful redo), a savepoint undoes what it wrote.
        savepoint = None if self.store.buffered else self.store.conn.begin_nested()
        try:
            if change.device_id != device_id:
                raise Refused("the change was made on another device than the one pushing it")
            result = self._apply(change)
        except Refused as refused:
            if savepoint is not None:
                savepoint.rollback()
            records = self._log(change.table, change.row_id, refused.conflicts) \
                if refused.conflicts else []
            return _answer(change, Outcome.REJECTED, reason=refused.reason, conflicts=records)
        except InvalidInput as invalid:
            if savepoint is not None:
                savepoint.rollback()
            return self._rejected(change, str(invalid))
        except (IntegrityError, DataError) as exc:
            if savepoint is None:
                raise  # buffered: the whole push is redone change by change
            savepoint.rollback()
            return self._rejected(change, _integrity_reason(exc))
        if savepoint is not None:
            savepoint.commit()
        return result

    @staticmethod
    def _rejected(change: Change, reason: str) -> dict[str, Any]:
        return _answer(change, Outcome.REJECTED, reason=reason)

    def _decode(self, change: Change) -> tuple[Table, dict[str, Any]]:
        if change.table not in MODEL_BY_TABLE:
            raise Refused(f"unknown table {change.table!r}")
        table = table_of(change.table)
        unsendable = _unsendable(change.table)
        if not unsendable.isdisjoint(change.fields):
            forbidden = sorted(unsendable.intersection(change.fields))
            raise Refused(f"{change.table}: field(s) {', '.join(forbidden)} cannot be sent")
        if not change.fields:
            raise Refused(f"{change.table}: the change sets no fields")
        try:
            Timestamp.parse(change.hlc)
            fields = decode_fields(table, change.fields)
        except ValueError as exc:
            raise Refused(str(exc)) from exc
        return table, fields

    def _apply(self, change: Change) -> dict[str, Any]:
        table, fields = self._decode(change)
        # The server trusts the token, not the body, for who made the edit.
        incoming = Incoming(change.change_id, fields, change.hlc, self.principal.user_id,
                            change.device_id, change.base_version)
        current = self.store.row(change.table, change.row_id)
        if current is None and change.base_version > 0:
            # The device had this row from the server, which no longer holds it: a tombstone
            # removed by compaction. A partial edit must not recreate it.
            raise Refused(f"{change.table} row {change.row_id} was deleted and has since been "
                          "removed from the server; the edit cannot be applied")
        if current is None:
            return self._insert(change, table, incoming)
        return self._update(change, table, dict(current), incoming)

    def _check_allowed(self, table_name: str, old: Mapping[str, Any] | None,
                       new: Mapping[str, Any], changed: set[str]) -> None:
        reason = authorize.refusal(self.store, self.viewer, table_name, old, new,
                                   frozenset(changed))
        if reason:
            raise Refused(f"not allowed: {reason}")

    def _check_numbers(self, table_name: str, values: Mapping[str, Any]) -> None:
        """A receipt or credit-note number must be of the pushing device's own series, so no
        desk can issue (or forge) a number of another desk's."""
        for column in sorted(number_columns(table_name)):
            if not in_series(values.get(column), self.series):
                raise Refused(
                    f"{table_name}.{column}: {values.get(column)!r} is not a number of this "
                    f"device's series ({self.series or 'none given yet'}): expected "
                    "<financial year>/<series>/<sequence>, e.g. 2026-27/D07/000123")
            self._check_branch_code(table_name, column, values.get(column))
            if "branch_id" in table_of(table_name).c:
                self._check_own_branch(table_name, column, values)

    def _check_branch_code(self, table_name: str, column: str, value: Any) -> None:
        """A number that starts with a branch code (a certificate's) must name a real branch:
        a desk cannot print a centre that does not exist. (Not necessarily the student's branch
        now: a certificate issued offline keeps the branch the student was in then.)"""
        parsed = parse(value)
        if parsed is None or parsed.branch is None:
            return
        memo_key = ("branch-label", parsed.branch)
        if memo_key not in self.store.memo:
            branches = table_of("branches")
            codes = self.store.connection().execute(select(branches.c.code).where(
                branches.c.deleted_at.is_(None))).scalars()
            self.store.memo[memo_key] = any(branch_label(c) == parsed.branch for c in codes)
        if not self.store.memo[memo_key]:
            raise Refused(f"{table_name}.{column}: {value!r} starts with {parsed.branch!r}, "
                          "which is the code of no branch")

    def _check_own_branch(self, table_name: str, column: str,
                          values: Mapping[str, Any]) -> None:
        """Money numbered in a branch (a receipt, a credit note) carries that branch's code, so
        a desk cannot issue a number that reads as another branch's series. A plain number is
        allowed (it claims no branch: receipts before branch codes, a code too long to fit)."""
        parsed = parse(values.get(column))
        if parsed is None or parsed.branch is None:
            return
        branch_id = values.get("branch_id")
        memo_key = ("number-branch", branch_id)
        if memo_key not in self.store.memo:
            branches = table_of("branches")
            code = None if branch_id is None else self.store.connection().execute(
                select(branches.c.code).where(branches.c.id == branch_id)).scalar()
            room = getattr(table_of(table_name).c[column].type, "length", None) or 0
            self.store.memo[memo_key] = number_branch(code, room)
        expected = self.store.memo[memo_key]
        if parsed.branch != expected:
            raise Refused(
                f"{table_name}.{column}: {values.get(column)!r} starts with {parsed.branch!r}, "
                f"but the row's branch_id is of "
                + (f"the branch coded {expected!r}" if expected else "a branch whose numbers "
                   "carry no code")
                + ": a number must carry the code of its own branch")

    def _new_link(self, table_name: str, old: Mapping[str, Any] | None,
                  new: Mapping[str, Any]) -> tuple[uuid.UUID, str, uuid.UUID] | None:
        """A viewer this change newly shows the student to (their history must follow)."""
        link = reversion.new_viewer_link(self.store.row, table_name, old, new)
        if link is None or ("linked", *link) in self.store.memo:
            return None
        self.store.memo[("linked", *link)] = True
        if reversion.already_visible(self.store.connection(), link):
            return None
        return link

    def _reversion(self, link: tuple[uuid.UUID, str, uuid.UUID] | None, version: int) -> None:
        if link is not None:
            reversion.reversion_student(self.store.connection(), link[0], version)
            self.store.forget()

    def _insert(self, change: Change, table: Table, incoming: Incoming) -> dict[str, Any]:
        values = dict(incoming.fields)
        values["id"] = change.row_id
        # Who made the row comes from the token (a desk may only name its own user).
        authors = authorize.authors(self.viewer, change.table, values)
        if isinstance(authors, str):
            raise Refused(f"not allowed: {authors}")
        values.update(authors)
        # A new row naming no branch gets the one it belongs to, as on a desk (docs/sync.md).
        placed = authorize.branch_default(self.store, self.viewer, change.table, values)
        values.update(placed)
        # Authors and the branch are ids; every other value came through the codec.
        validate_values(table, values, decoded=True)
        self._check_numbers(change.table, values)
        # Parents first: the policy's rules read them (a session's faculty, a reset's user).
        self._check_parents(change.table, values)
        self._check_allowed(change.table, None, values, set(values))
        self._check_unique(change, table, incoming, values, set(values))
        link = self._new_link(change.table, None, values)
        decision = merge_change(None, {}, 0, incoming, None, now_ms())
        version = self.clock.next()
        self.store.insert(change.table, {**values, "version": version},
                          sent={**change.fields, "id": change.row_id, "version": version,
                                **authors, **placed})
        if not insert_only(change.table):
            # Every field of a new row has the same stamp: "*" alone says so (stamps_for), and
            # a push of new rows writes a tenth of the stamp data. A row nobody may edit never
            # merges: no stamp (half the rows a push of attendance edits and their audit
            # entries wrote).
            stamp = rowstore.stamp_json(version, decision.hlc, incoming.author,
                                        incoming.device)
            self.store.save_meta(change.table, change.row_id, {rowstore.DEFAULT_FIELD: stamp})
        self._reversion(link, version)
        self._sign_out(change.table, None, values)
        return _answer(change, Outcome.APPLIED, version)

    def _update(self, change: Change, table: Table, current: dict[str, Any],
                incoming: Incoming) -> dict[str, Any]:
        intended = {**current, **incoming.fields}
        self._check_allowed(change.table, current, intended,
                            {k for k, v in incoming.fields.items() if current.get(k) != v})
        meta = self.store.meta(change.table, change.row_id)
        row_version = int(current["version"])
        stamps = rowstore.stamps_for(meta, row_version, incoming.fields)
        owner = owner_of(self.store.owner_row, change.table, current) \
            if owner_matters(stamps, row_version, incoming) else None
        decision = merge_change(current, stamps, row_version, incoming, owner, now_ms())
        merged = {**current, **decision.apply}
        # The stored values passed when they were written: only what this change sets is new.
        validate_values(table, merged, changed=decision.apply, decoded=True)
        if not decision.apply and not decision.conflicts:
            return _answer(change, decision.outcome, int(current["version"]))
        link = None
        if decision.apply:
            self._check_unique(change, table, incoming, merged, set(decision.apply))
            self._check_parents(change.table, decision.apply)
            link = self._new_link(change.table, current, merged)
        version = self.clock.next()
        if decision.apply:
            self.store.update(change.table, change.row_id, {**decision.apply, "version": version})
            self._save_stamps(change.table, change.row_id, meta, current, decision,
                              incoming, version)
            self._sign_out(change.table, current, merged)
        records = (self._log(change.table, change.row_id, decision.conflicts, version)
                   if decision.conflicts else [])
        self._reversion(link, version)
        return _answer(change, decision.outcome, version, conflicts=records)

    def _sign_out(self, table_name: str, old: Mapping[str, Any] | None,
                  new: Mapping[str, Any]) -> None:
        """End the sign-ins of an account this change resets, deactivates or deletes."""
        user_id = account_to_sign_out(table_name, old, new)
        if user_id is not None:
            # auth_sessions is not one of the buffered tables: no flush needed first.
            end_sessions(self.store.conn, user_id, keep=self.principal.session_id)

    def _save_stamps(self, table_name: str, row_id: uuid.UUID,
                     meta: dict[str, list[Any]] | None, current: Mapping[str, Any],
                     decision: MergeDecision, incoming: Incoming, version: int) -> None:
        new_meta = dict(meta or {})
        new_meta.setdefault(rowstore.DEFAULT_FIELD,
                            rowstore.stamp_json(int(current["version"]), "", None, None))
        stamp = rowstore.stamp_json(version, decision.hlc, incoming.author, incoming.device)
        for name in decision.apply:
            new_meta[name] = stamp
        self.store.save_meta(table_name, row_id, new_meta)

    def _check_parents(self, table_name: str, values: Mapping[str, Any]) -> None:
        """Refuse, by name, a change whose parent row is not on the server (yet)."""
        for column, parent in _parents(table_name):
            ref = values.get(column)
            if ref is None:
                continue
            if self.store.row(parent, ref) is None:
                raise Refused(f"{table_name}.{column}: the {parent} row it refers to "
                              f"({ref}) is not on the server; its creation must sync first")

    def _check_unique(self, change: Change, table: Table, incoming: Incoming,
                      row: Mapping[str, Any], changed: set[str]) -> None:
        checked = rowstore.unique_columns(change.table, changed)
        if not checked:
            return
        clash = rowstore.unique_clash(self.store.connection(), table, row, checked)
        if clash is not None:
            self._refuse_collision(change, incoming, row, *clash)

    def _refuse_collision(self, change: Change, incoming: Incoming, values: Mapping[str, Any],
                          columns: list[str], existing: uuid.UUID) -> None:
        """Keep the refused row whole in the conflict log for a person to resolve."""
        row_values = {k: encode_value(v) for k, v in values.items()
                      if k not in MODEL_BY_TABLE[change.table].__local_columns__
                      and k not in secret_columns(change.table)}
        mine = FieldStamp(0, incoming.hlc, incoming.author, incoming.device)
        conflict = FieldConflict(", ".join(columns), ConflictKind.UNIQUE_COLLISION, None,
                                 row_values, FieldStamp(0), mine, incoming_won=False,
                                 note=f"existing row {existing}")
        # Named only to whoever may see it: the id of a hidden row (another counselor's
        # student's account) is what a follow-up attack would point at.
        named = f" ({existing})" if self._sees(change.table, existing) else ""
        raise Refused(
            f"{change.table}.{', '.join(columns)}: another row{named} already has "
            f"{', '.join(str(values.get(c)) for c in columns)}; "
            "kept in the conflict log for a person to resolve",
            [conflict])

    def _sees(self, table_name: str, row_id: uuid.UUID) -> bool:
        table = table_of(table_name)
        return bool(self.store.connection().execute(select(exists().where(
            table.c.id == row_id, visible(table_name, self.viewer)))).scalar())

    def _log(self, table_name: str, row_id: uuid.UUID, conflicts: list[FieldConflict],
             version: int | None = None) -> list[ConflictRecord]:
        if version is None:
            version = self.clock.next()
        stamp = now()
        records = []
        for conflict in conflicts:
            row = {"id": uuid.uuid4(), "table_name": table_name, "row_id": row_id,
                   "field": conflict.field, "kind": conflict.kind.value,
                   "kept_value": encode_value(conflict.kept_value),
                   "lost_value": encode_value(conflict.lost_value),
                   "kept_by": conflict.kept.author, "lost_by": conflict.lost.author,
                   "kept_hlc": conflict.kept.hlc or None, "lost_hlc": conflict.lost.hlc or None,
                   "kept_device": conflict.kept.device, "lost_device": conflict.lost.device,
                   "server_version": version, "note": conflict.note, "created_at": stamp,
                   "resolved_at": None, "resolved_by": None}
            self.store.log_conflict(row)
            records.append(conflict_record(row))
        return records


def _answer(change: Change, outcome: Outcome, version: int | None = None, *,
            reason: str | None = None,
            conflicts: list[ConflictRecord] | None = None) -> dict[str, Any]:
    """One wire.ChangeResult as JSON-ready values."""
    # The id stays a UUID: the answer's encoder (orjson) writes it in C, str() in Python.
    return {"change_id": change.change_id, "seq": change.seq, "outcome": outcome.value,
            "version": version, "reason": reason,
            "conflicts": [c.model_dump(mode="json") for c in conflicts or ()]}


def conflict_record(row: Mapping[str, Any]) -> ConflictRecord:
    """The wire form of one sync_conflicts row."""
    resolved = row.get("resolved_at")
    return ConflictRecord(
        id=row["id"], table=row["table_name"], row_id=row["row_id"], field=row["field"],
        kind=row["kind"], kept_value=row["kept_value"], lost_value=row["lost_value"],
        kept_by=row["kept_by"], lost_by=row["lost_by"], kept_hlc=row["kept_hlc"],
        lost_hlc=row["lost_hlc"], kept_device=row["kept_device"],
        lost_device=row["lost_device"], server_version=row["server_version"],
        created_at=row["created_at"].isoformat(),
        resolved_at=resolved.isoformat() if resolved else None)


def _integrity_reason(exc: IntegrityError | DataError) -> str:
    if isinstance(exc, IntegrityError):
        return str(explain_integrity_error(exc))
    return f"a value does not fit the database: {str(exc.orig).splitlines()[0]}"
