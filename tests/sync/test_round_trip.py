"""Every synced table and column type round-trips desk -> real server (PostgreSQL) -> desk.

Generated from the schema (tests/support/schema_rows.py): no table, column or value is named
here, so one added later is covered without anyone remembering to. For every synced table a
row with a value in every column is created on desk A through the unit of work, pushed, pulled
by desk B and compared column by column with what was written, on A, B and the server; then
each column is updated on its own with each of its edge values, then all columns together;
then the row is soft-deleted, edited while deleted and undeleted; then two desks edit the same
field at once and exactly one value wins by the documented rule (docs/sync.md, merge rules)
while the other is in the conflict log.

What the desks may do comes from the declared sync policy (institute_core/sync/policy.py),
never from a list here: both desks are super administrators; columns that name who made a row
take the pusher's id and are never edited; append-only tables are only inserted (with a row per
edge value); secret columns (they never leave the server) are compared on desk A and the server
only; local columns (`__local_columns__`) are not compared at all.

One server and one database for the whole module; each phase is one push and one pull.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, select, update

from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, ConflictLogEntry, table_of
from institute_core.sync import policy
from institute_core.sync.account import connect, sync_replica
from institute_core.sync.codec import decode_value
from institute_core.sync.credentials import MemoryCredentials
from institute_core.sync.owners import database_lookup, owner_of
from institute_core.sync.runner import SyncReport
from sync_server.settings import make_engine
from tests.pg import admin_url, throwaway_database
from tests.support.schema_rows import (
    ACCEPTED_ROLE,
    GENERATORS,
    MANAGED,
    ROLE_PERMISSIONS,
    build_chain,
    data_columns,
    foreign_keys,
    series_number,
    synced_columns,
    uncovered,
    unique_columns,
    valid_row,
    values_for,
    with_value,
)
from tests.support.server import (
    ServerProcess,
    create_user,
    faculty_id_of,
    prepare_server_db,
    running_server,
)
from tests.sync.conftest import FAST_RETRY, PASSWORD

Row = dict[str, Any]
ROLE = "super_admin"


# --- what the policy lets the desks' role do -------------------------------------------------

def _may(table: str, op: policy.Op) -> bool:
    return any(op in g.ops for g in policy.grants(table, ROLE))


def _pinned(table: str) -> dict[str, policy.Author]:
    """Columns naming who made the row or change: only the pusher's own id may go there."""
    declared = policy.table_policy(table)
    return {**declared.authors, **declared.stamps}


def _secrets(table: str) -> frozenset[str]:
    return policy.table_policy(table).secrets


def _pusher(side: Side, kind: policy.Author) -> uuid.UUID | None:
    return side.user_id if kind is policy.Author.USER else side.faculty_id


def _fixed(side: Side) -> Any:
    """Values a pushed row must take: the pusher in its author columns, a fresh number of the
    pusher's series in its numbered ones (receipts), a role not built in."""
    def fixed(table: str) -> Row:
        series = side.replica.get_state(SERIES_STATE_KEY)
        numbers = {c: series_number(series) for c in policy.number_columns(table)}
        # A role a desk makes is never built in (the policy's guard rail, not the schema's).
        made_here = ACCEPTED_ROLE if table == "roles" else {}
        return {**numbers, **made_here,
                **{c: _pusher(side, kind) for c, kind in _pinned(table).items()}}
    return fixed


def _rows_per_value(table: str) -> bool:
    """Whether a row per edge value can be made: no natural key, or one with a free-text
    column made unique per row (a message's dedupe key), so each row gets its own id."""
    natural = MODEL_BY_TABLE[table].__natural_key__
    if not natural:
        return True
    columns = table_of(table).c
    return any(name in unique_columns(table) and not columns[name].foreign_keys
               and isinstance(columns[name].type, String) for name in natural)


def _updatable_columns(table: str) -> list[Any]:
    """Data columns an update may change: not authors (they never change after creation),
    only those the role's update grants name when they name some (a certificate: its
    revocation); stamps only to the pusher's id or empty (see `_edge_values`)."""
    updates = [g for g in policy.grants(table, ROLE)
               if policy.Op.UPDATE in g.ops]
    if not updates:
        return []
    named = None if any(g.columns is None for g in updates) else frozenset().union(
        *(g.columns or () for g in updates))
    authors = policy.table_policy(table).authors
    return [c for c in data_columns(table) if c.name not in authors
            and (named is None or c.name in named)]


@dataclass
class Side:
    replica: Replica
    credentials: MemoryCredentials
    user_id: uuid.UUID
    faculty_id: uuid.UUID | None


def _promote(url: str, user_id: uuid.UUID) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            users = table_of("users")
            c.execute(update(users).where(users.c.id == user_id).values(role=ROLE))
    finally:
        engine.dispose()


@dataclass
class World:
    url: str
    server: ServerProcess
    a: Side
    b: Side
    # table -> (id of the row under test, the values written to it so far)
    targets: dict[str, tuple[uuid.UUID, Row]] = field(default_factory=dict)
    # Further rows written once (one per edge value), compared in every check: table -> id -> row
    extra: dict[str, dict[uuid.UUID, Row]] = field(default_factory=dict)
    # table -> ids of the rows of each parent table its row may point at
    parents: dict[str, dict[str, list[uuid.UUID]]] = field(default_factory=dict)
    # (table, column) -> how many values of it made the round trip
    covered: dict[tuple[str, str], int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with throwaway_database(admin_url()) as url:
        prepare_server_db(url)
        emails = ("first-admin@example.org", "second-admin@example.org")
        # Desk A's super administrator also teaches (a faculty record of their own), so the
        # columns stamped with the pusher's faculty id get a value too.
        teacher = create_user(url, email=emails[0], password=PASSWORD, role="faculty")
        _promote(url, teacher)
        create_user(url, email=emails[1], password=PASSWORD, role=ROLE)
        folder = tmp_path_factory.mktemp("round-trip")
        with running_server(url) as server:
            sides = []
            for n, email in enumerate(emails):
                replica = Replica.open(Path(folder) / f"desk-{n}")
                credentials = MemoryCredentials()
                user, _ = connect(replica, server.base_url, email, PASSWORD, credentials,
                                  retry=FAST_RETRY)
                sides.append(Side(replica, credentials, user.id,
                                  faculty_id_of(url, user.id) if user.id == teacher else None))
            try:
                yield World(url, server, sides[0], sides[1])
            finally:
                for side in sides:
                    side.replica.close()


def _sync(side: Side) -> SyncReport:
    report = sync_replica(side.replica, side.credentials, retry=FAST_RETRY)
    assert not report.rejected, "\n".join(sorted({f"{r.table}: {r.reason}"
                                                   for r in report.rejected}))
    assert side.replica.pending_changes() == 0
    return report


def _sync_all(world: World) -> None:
    """A pushes (and pulls its rows' new versions back), B pulls; only A edits here."""
    _sync(world.a)
    _sync(world.b)
    assert "Traceback" not in world.server.log(), world.server.log()[-3000:]


def _write(side: Side, table: str, row_id: uuid.UUID, values: Row) -> None:
    """One edit through the desk's unit of work (one captured change)."""
    with side.replica.write(side.replica.actor(side.user_id)) as s:
        obj = s.get(MODEL_BY_TABLE[table], row_id)
        assert obj is not None, f"{table} {row_id} is not on this desk"
        for key, value in values.items():
            setattr(obj, key, value)


def _read(replica: Replica | None, url: str, table: str, row_id: uuid.UUID) -> Row | None:
    t = table_of(table)
    query = select(t).where(t.c.id == row_id)
    if replica is not None:
        with replica.engine.connect() as c:
            found = c.execute(query).mappings().first()
    else:
        engine = make_engine(url)
        try:
            with engine.connect() as c:
                found = c.execute(query).mappings().first()
        finally:
            engine.dispose()
    return None if found is None else dict(found)


def _same(expected: Any, got: Any, *, document: bool = False) -> bool:
    """Equal and of the same kind: 1 is not True, 0.5 is not Decimal("0.5"), an instant is
    the same instant in any zone but must carry one. Inside a JSON `document` numbers compare
    as JSON numbers (JSON has one number type: PostgreSQL's jsonb gives 1e300 back as a
    301-digit integer, the same number)."""
    if isinstance(expected, datetime):
        return isinstance(got, datetime) and got.tzinfo is not None and got == expected
    if isinstance(expected, dict):
        return isinstance(got, dict) and expected.keys() == got.keys() and all(
            _same(v, got[k], document=document) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and len(expected) == len(got) and all(
            _same(e, g, document=document) for e, g in zip(expected, got, strict=True))
    if document and _number(expected) and _number(got):
        return Decimal(repr(expected)) == Decimal(repr(got))
    if isinstance(expected, Decimal):
        return isinstance(got, Decimal) and got == expected
    return type(expected) is type(got) and expected == got


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _mismatches(world: World, table: str, row_id: uuid.UUID, expected: Row) -> list[str]:
    """Where A, B or the server differ from what was written, or from each other."""
    copies = {"desk A": _read(world.a.replica, world.url, table, row_id),
              "desk B": _read(world.b.replica, world.url, table, row_id),
              "server": _read(None, world.url, table, row_id)}
    out = [f"{table} {row_id}: missing on {where}" for where, row in copies.items()
           if row is None]
    if out:
        return out
    first = copies["desk A"]
    assert first is not None
    secrets = _secrets(table)
    for column in synced_columns(table):
        name = column.name
        for where, row in copies.items():
            assert row is not None
            if name in secrets and where == "desk B":
                if row[name] is not None:
                    out.append(f"{table}.{name} (secret) reached desk B")
                continue
            want = expected[name] if name in expected else first[name]
            if not _same(want, row[name], document=isinstance(column.type, JSON)):
                out.append(f"{table}.{name} on {where}: {row[name]!r}, expected {want!r}")
    return out


def _check(world: World) -> None:
    problems = [p for table in world.targets
                for p in _mismatches(world, table, *world.targets[table])]
    problems += [p for table, rows in world.extra.items() for row_id, row in rows.items()
                 for p in _mismatches(world, table, row_id, row)]
    assert not problems, "\n".join(problems)


def _note(world: World, table: str, values: Row) -> None:
    _row_id, expected = world.targets[table]
    expected.update(values)
    for name in values:
        world.covered[(table, name)] = world.covered.get((table, name), 0) + 1


# --- the test, in phases (module-scoped state; they run in order) ---------------------------

def test_every_synced_column_has_a_generator() -> None:
    """A column type nobody taught the generator fails here, by name."""
    assert uncovered() == []
    kinds = {type(c.type) for t in SYNCED_TABLES for c in synced_columns(t)}
    handled = {k for k in kinds if any(issubclass(k, g) for g, _ in GENERATORS)}
    assert kinds == handled


def test_new_rows_with_every_column_filled_arrive_whole(world: World) -> None:
    """One row per table with its parents; tables without a natural key get a further row
    per edge value, so every value also travels in an insert."""
    fixed = _fixed(world.a)
    for table in SYNCED_TABLES:
        # Four rows of each parent: a foreign key can move to another parent twice over and
        # still differ from its partner (a subject is never its own prerequisite).
        chain = build_chain(table, per_parent=4, fixed=fixed)
        parents: dict[str, list[uuid.UUID]] = {}
        for name, row in chain[:-1]:
            parents.setdefault(name, []).append(row["id"])
        extra: dict[uuid.UUID, Row] = {}
        if _rows_per_value(table):
            picks = max(len(values_for(c)) for c in data_columns(table))
            for pick in range(1, picks):
                row = valid_row(table, parents, pick=pick, fixed={
                    **fixed(table), **{c: chain[-1][1][c] for c in _secrets(table)}})
                extra[row.pop("id", None) or uuid.uuid4()] = row
        with world.a.replica.write(world.a.replica.actor(world.a.user_id)) as s:
            for name, row in chain:
                s.add(MODEL_BY_TABLE[name](**row))
                s.flush()  # parents first: the rows have no ORM relationships to order them
            for row_id, row in extra.items():
                s.add(MODEL_BY_TABLE[table](**{"id": row_id, **row}))
        target = dict(chain[-1][1])
        world.targets[table] = (target["id"], {k: v for k, v in target.items() if k != "id"})
        world.parents[table] = parents
        world.extra[table] = extra
        for row in (target, *extra.values()):
            _note_insert(world, table, row)
    _sync_all(world)
    _check(world)


def _note_insert(world: World, table: str, row: Row) -> None:
    for name in row:
        if name != "id":
            world.covered[(table, name)] = world.covered.get((table, name), 0) + 1


def _edge_values(world: World, table: str, column: str) -> list[Any]:
    """Values a column takes in the update rounds: its edge values; for a foreign key the
    other parent row (and empty, when it may be); for a stamp column the pusher or nobody."""
    kind = _pinned(table).get(column)
    if kind is not None:
        return [_pusher(world.a, kind), None]
    if (table, column) == ("roles", "permissions"):
        return list(ROLE_PERMISSIONS)
    parent = dict(foreign_keys(table)).get(column)
    if parent is None:
        return values_for(table_of(table).c[column])
    current = world.targets[table][1][column]
    others = [i for i in world.parents[table][parent] if i != current]
    return others + values_for(table_of(table).c[column])


# One write per updatable column of every synced table, a sync per round: it grows with the
# schema (issue 18 added six updatable tables, ~50 columns) and went past the default 300 s on
# a 2-core machine shared by six builds (load 12); alone it takes a fraction of that.
@pytest.mark.timeout(900)
def test_each_column_updated_on_its_own_round_trips(world: World) -> None:
    rounds = max(len(_edge_values(world, t, c.name)) for t in SYNCED_TABLES
                 for c in _updatable_columns(t))
    for turn in range(rounds):
        for table in SYNCED_TABLES:
            row_id, expected = world.targets[table]
            for column in _updatable_columns(table):
                values = _edge_values(world, table, column.name)
                if turn >= len(values) or _same(values[turn], expected[column.name]):
                    continue
                change = with_value(table, expected, column.name, values[turn])
                if change is None:
                    continue  # no partner value keeps a pair rule (a start at 23:59:59.999999)
                _write(world.a, table, row_id, change)
                _note(world, table, change)
        _sync_all(world)
        _check(world)


def test_all_columns_updated_together_round_trip(world: World) -> None:
    for pick in (1, 2):
        for table in SYNCED_TABLES:
            if not _updatable_columns(table):
                continue
            row_id, expected = world.targets[table]
            merged = dict(expected)
            for column in _updatable_columns(table):
                values = [v for v in _edge_values(world, table, column.name) if v is not None]
                turn = pick % len(values) if values else 0
                values = values[turn:] + values[:turn]
                for value in values or [None]:
                    fits = with_value(table, merged, column.name, value)
                    if fits is not None:
                        merged.update(fits)
                        break
            change = {k: v for k, v in merged.items() if not _same(v, expected[k])}
            _write(world.a, table, row_id, change)
            _note(world, table, change)
        _sync_all(world)
        _check(world)


def _editable_columns(table: str) -> list[str]:
    """Columns an edit may change on its own, plain ones before foreign keys."""
    keys = dict(foreign_keys(table))
    columns = [c.name for c in _updatable_columns(table)
               if c.name not in _pinned(table) and c.name not in _secrets(table)]
    return sorted(columns, key=lambda n: n in keys)


def _editable(world: World, table: str, expected: Row) -> tuple[str, Any]:
    """A column and a valid value different from its current one that can be written on its
    own (plain columns first; a table of only foreign keys moves one to another parent)."""
    for name in _editable_columns(table):
        for value in _edge_values(world, table, name):
            if value is not None and not _same(value, expected[name]) \
                    and with_value(table, expected, name, value) == {name: value}:
                return name, value
    raise AssertionError(f"{table}: no column can be edited on its own")


def _two_edits(world: World, table: str, expected: Row) -> tuple[str, Any, Any]:
    """A column and two different new values for it, each valid written on its own."""
    for name in _editable_columns(table):
        values = [v for v in _edge_values(world, table, name)
                  if v is not None and not _same(v, expected[name])
                  and with_value(table, expected, name, v) == {name: v}]
        if len(values) >= 2:
            return name, values[0], values[1]
    raise AssertionError(f"{table}: no column takes two new values on its own")


def _deletable() -> list[str]:
    return [t for t in SYNCED_TABLES if _may(t, policy.Op.DELETE) and _may(t, policy.Op.UNDELETE)
            and _updatable_columns(t)]


def test_soft_delete_edit_while_deleted_and_undelete(world: World) -> None:
    deleted_at = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    for table in _deletable():
        row_id, _expected = world.targets[table]
        _write(world.a, table, row_id, {"deleted_at": deleted_at})
        _note(world, table, {"deleted_at": deleted_at})
    _sync_all(world)
    _check(world)

    # Edited while deleted: the delete rule refuses the edit (a deleted row is never changed
    # by accident) and logs the refused value; every copy keeps the value from before.
    refused: dict[str, tuple[str, Any]] = {}
    for table in _deletable():
        row_id, expected = world.targets[table]
        name, value = _editable(world, table, expected)
        _write(world.a, table, row_id, {name: value})
        refused[table] = (name, value)
    _sync_all(world)
    _check(world)
    logged = _conflicts(world.a.replica)
    for table, (name, value) in refused.items():
        assert _logged(logged, table, world.targets[table][0], name, "deleted_row", value), \
            f"{table}.{name}: refused edit not logged"

    for table in _deletable():
        row_id, _expected = world.targets[table]
        _write(world.a, table, row_id, {"deleted_at": None})
        _note(world, table, {"deleted_at": None})
    _sync_all(world)
    _check(world)


Logged = tuple[str, uuid.UUID, str, str, Any]


def _conflicts(replica: Replica) -> list[Logged]:
    """(table, row, field, kind, lost value decoded for its column) of the desk's log."""
    with replica.read() as s:
        entries = list(s.scalars(select(ConflictLogEntry)))
    return [(e.table_name, e.row_id, e.field, e.kind,
             decode_value(table_of(e.table_name).c[e.field], e.lost_value)) for e in entries
            if e.field in table_of(e.table_name).c]


def _logged(logged: list[Logged], table: str, row_id: uuid.UUID, name: str, kind: str,
            lost: Any) -> bool:
    return any(e[:4] == (table, row_id, name, kind) and _same(lost, e[4], document=True)
               for e in logged)


def _owners(world: World, tables: list[str]) -> dict[str, uuid.UUID | None]:
    """The owner of each table's row under test, by its `__owner__` rule on the server."""
    engine = make_engine(world.url)
    try:
        with engine.connect() as c:
            lookup = database_lookup(c)
            return {t: owner_of(lookup, t, lookup(t, world.targets[t][0]) or {}) for t in tables}
    finally:
        engine.dispose()


@pytest.mark.parametrize("first_to_push", ["A", "B"])
def test_two_desks_edit_one_field_one_wins_by_the_rule_and_the_loser_is_logged(
        world: World, first_to_push: str) -> None:
    """The row's owner wins; when neither desk's user owns it, the later stamp (B's) does,
    whichever of the two pushes reaches the server first (docs/sync.md, merge rules)."""
    tables = [t for t in SYNCED_TABLES if _updatable_columns(t)]
    owners = _owners(world, tables)
    edits: dict[str, tuple[str, Any, Any]] = {}
    for table in tables:
        row_id, expected = world.targets[table]
        name, first, later = _two_edits(world, table, expected)
        _write(world.a, table, row_id, {name: first})
        edits[table] = (name, first, later)
    time.sleep(0.01)  # B's stamps are later than A's
    for table, (name, _first_value, later) in edits.items():
        _write(world.b, table, world.targets[table][0], {name: later})
    order = (world.a, world.b) if first_to_push == "A" else (world.b, world.a)
    for side in (*order, *order):
        _sync(side)
    logged = _conflicts(world.a.replica) + _conflicts(world.b.replica)
    by_owner = 0
    for table, (name, first, later) in edits.items():
        a_owns = owners[table] == world.a.user_id
        b_owns = owners[table] == world.b.user_id
        kind = "owner_wins" if a_owns != b_owns else "later_wins"
        winner, loser = (first, later) if a_owns and not b_owns else (later, first)
        by_owner += kind == "owner_wins"
        _note(world, table, {name: winner})
        assert _logged(logged, table, world.targets[table][0], name, kind, loser), \
            (f"{table}.{name}: {loser!r} not logged as {kind}; logged: "
                        f"{[e for e in logged if e[1] == world.targets[table][0]]}")
    _check(world)
    assert 0 < by_owner < len(edits), "both rules are exercised"


def test_every_table_and_column_made_the_round_trip(world: World) -> None:
    """Every data column travelled in inserts with more than one value, and every column an
    update may change was updated and compared (the append-only tables are inserted only)."""
    wanted = {(t, c.name) for t in SYNCED_TABLES for c in synced_columns(t)
              if c.name not in MANAGED}
    updated = {(t, c.name) for t in SYNCED_TABLES for c in _updatable_columns(t)}
    missing = sorted(k for k in wanted if world.covered.get(k, 0) < 2)
    assert not missing, f"never written twice and compared: {missing}"
    assert updated - set(world.covered) == set()
    kinds = sorted({type(c.type).__name__ for t in SYNCED_TABLES for c in synced_columns(t)})
    print(f"\nround trip: {len(SYNCED_TABLES)} tables, {len(wanted)} data columns "
          f"({len(updated)} updated on their own and together) + {len(MANAGED)} managed "
          f"columns per table; {sum(world.covered.values())} values written and compared; "
          f"{sum(len(r) + 1 for r in world.extra.values())} rows under test; "
          f"types: {', '.join(kinds)}")
