"""The sync policy against the real server: for every table x role x operation a push the
declaration allows (applied) and one it forbids (rejected with "not allowed: ...", PostgreSQL
unchanged), and for every role a pull holding exactly the declared scope and no secret column.

Cases are worked out from `institute_core.sync.policy` and the schema (tests/support/
schema_rows.py), never listed by hand: a table added to the schema without a declaration fails
`test_every_synced_table_is_declared`, and one with a declaration is covered here at once.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from institute_core.enums import Role
from institute_core.schema import MAIN_BRANCH_ID, SYNCED_TABLES, table_of
from institute_core.sync import policy
from institute_core.sync.codec import decode_fields, encode_value
from institute_core.sync.policy import Grant, Op
from institute_core.sync.scopes import Viewer
from sync_server.auth.service import authenticate
from sync_server.sync import authorize
from sync_server.sync.store import BatchStore
from tests.pg import throwaway_database
from tests.server.conftest import make_settings
from tests.support.policy_world import World, new_fields, now, plain_columns
from tests.support.schema_rows import values_for, with_value
from tests.support.server import prepare_server_db, running_server

ADMIN_KIND = (Role.SUPER_ADMIN.value, Role.ADMIN.value)


@pytest.fixture(scope="module")
def world(pg_admin_url: str) -> Iterator[World]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        with running_server(url, INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="100000",
                            INSTITUTE_ACCESS_TOKEN_SECONDS="3600") as server:
            built = World.build(server.base_url, url)
            try:
                yield built
            finally:
                built.http.close()
                built.engine.dispose()


@dataclass
class Case:
    table: str
    role: str
    op: Op
    allowed: bool
    row_id: uuid.UUID
    fields: dict[str, Any]
    what: str  # why it is allowed or forbidden, for the failure message
    check_column: str | None = None


def test_every_synced_table_is_declared() -> None:
    assert set(policy.POLICY) == set(SYNCED_TABLES), \
        "declare every synced table in institute_core/sync/policy.py"
    for table, declared in policy.POLICY.items():
        columns = {c.name for c in table_of(table).columns}
        named = set(declared.authors) | set(declared.stamps) | declared.secrets
        assert named <= columns, (table, named - columns)
        for grants in declared.write.values():
            for grant in grants:
                assert grant.columns is None or grant.columns <= columns, (table, grant)


def test_the_server_refuses_a_table_the_policy_does_not_declare(monkeypatch: Any) -> None:
    monkeypatch.setattr(policy, "POLICY",
                        {k: v for k, v in policy.POLICY.items() if k != "subjects"})
    viewer = Viewer(uuid.uuid4(), Role.SUPER_ADMIN.value)
    reason = authorize.refusal(None, viewer, "subjects", None, {"id": uuid.uuid4()},  # type: ignore[arg-type]
                               frozenset({"name"}))
    assert reason is not None and "not declared" in reason


def _holds(grant: Grant, op: Op, facts: Any, table: str, row: Mapping[str, Any]) -> bool:
    return op in grant.ops and grant.rule_for(op).check(facts, table, row)


def _with_authors(world: World, role: str, table: str, row: Mapping[str, Any]
                  ) -> dict[str, Any]:
    facts = world.facts(role)
    declared = policy.table_policy(table)
    return {**row, **{c: facts.pusher_value(k) for c, k in declared.authors.items()}}


def _someone_else(world: World, kind: policy.Author) -> uuid.UUID:
    return world.users["student2"] if kind is policy.Author.USER else world.faculties["faculty2"]


def _change(world: World, table: str, target: Mapping[str, Any], columns: list[str],
            within: list[str] | None = None) -> tuple[str, dict[str, Any]] | None:
    """A column of `columns` and the fields that give it another valid value (partner fields
    of a pair rule included, all of them among `within` when given)."""
    by_name = {c.name: c for c in table_of(table).columns}
    for name in columns:
        for value in values_for(by_name[name]):
            if _same(value, target.get(name)):
                continue
            fields = with_value(table, target, name, value)
            if fields is not None and (within is None or set(fields) <= set(within)):
                return name, fields
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b
    return bool(a == b)


def _insert_cases(world: World, table: str, role: str, candidates: list[dict[str, Any]]
                  ) -> list[Case]:
    facts = world.facts(role)
    grants = policy.grants(table, _held(world, role))
    declared = policy.table_policy(table)
    cases: list[Case] = []
    allowed = forbidden = None
    for row in candidates:
        if row["id"] in world.used_ids:
            continue
        ok = any(_holds(g, Op.INSERT, facts, table, _with_authors(world, role, table, row))
                 for g in grants)
        if ok and allowed is None:
            allowed = row
        elif not ok and forbidden is None:
            forbidden = row
        if allowed is not None and forbidden is not None:
            break
    if allowed is not None:
        world.take(allowed)
        cases.append(Case(table, role, Op.INSERT, True, allowed["id"], new_fields(allowed),
                          "a new row the declaration allows"))
    if forbidden is not None:
        # Not taken: a refused insert leaves no row, so the next role may be refused it too
        # (a table whose rows are scarce, one delivery per message, keeps a case per role).
        cases.append(Case(table, role, Op.INSERT, False, forbidden["id"],
                          new_fields(forbidden), "a new row outside the declared rule"))
    elif allowed is not None and (declared.authors or declared.stamps):
        forged = next(r for r in candidates if r["id"] not in world.used_ids)
        world.take(forged)
        column, kind = next(iter({**declared.authors, **declared.stamps}.items()))
        cases.append(Case(table, role, Op.INSERT, False, forged["id"],
                          new_fields({**forged, column: _someone_else(world, kind)}),
                          f"a new row naming someone else in {column}"))
    return cases


def _own_account(world: World, table: str, role: str) -> list[dict[str, Any]]:
    """Their own account: the row SELF grants are about (never made up)."""
    own = world.snapshot("users", world.users[role]) if table == "users" else None
    return [own] if own is not None else []


def _edit_cases(world: World, table: str, role: str, op: Op, targets: list[dict[str, Any]]
                ) -> list[Case]:
    """Update, delete or undelete cases on rows that exist (made by the super admin for this
    table, or the pusher's own account): one the declaration allows, one it forbids."""
    facts = world.facts(role)
    grants = [g for g in policy.grants(table, _held(world, role)) if op in g.ops]
    deleted = op is Op.UNDELETE
    own = [] if deleted else _own_account(world, table, role)
    pool = [(t, True) for t in own] + [
        (t, False) for t in [*targets, *_world_rows(world, table)]
        if t["id"] not in world.used_ids and (t["deleted_at"] is not None) == deleted]
    allowed: Case | None = None
    forbidden: Case | None = None
    # A table of keys alone (prerequisites) still has updates: a new updated_at.
    plain = plain_columns(table) or list(policy.ALWAYS_WRITABLE)
    for target, is_own in pool:
        fits = [g for g in grants if g.row.check(facts, table, target)]
        if op is Op.UPDATE:
            # Forbidden first: it is pushed (and changes nothing) before the allowed one.
            if forbidden is None:
                forbidden = _forbidden_update(world, table, role, fits, target, plain, is_own)
            if fits and allowed is None:
                allowed = _allowed_update(world, table, role, fits, target, plain)
        elif is_own and op is not Op.DELETE:
            continue
        else:
            stamp = {"deleted_at": None if deleted else now()}
            if fits and allowed is None and not is_own:
                allowed = Case(table, role, op, True, target["id"], _fields(stamp),
                               f"a row where {fits[0].row.text}", "deleted_at")
            elif not fits and forbidden is None:
                forbidden = Case(table, role, op, False, target["id"], _fields(stamp),
                                 "a row outside the rule")
        if allowed is not None and forbidden is not None:
            break
    if allowed is not None:  # a refused change leaves its row for the next role to try
        world.used_ids.add(allowed.row_id)
    return [c for c in (allowed, forbidden) if c is not None]


def _world_rows(world: World, table: str) -> list[dict[str, Any]]:
    """Rows made when the world was built (students enrolled with the faculty member, say),
    after the targets made for this table; never a signed-in account."""
    t = table_of(table)
    with world.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(t.select().order_by(t.c.id)).mappings()]
    accounts = set(world.users.values())
    # Nor where a signed-in account works in Main (create_user): a pusher left without a
    # branch could do nothing the later tables' cases need.
    return [r for r in rows if r["id"] not in accounts
            and not (table == "user_branches" and r["user_id"] in accounts
                     and r["branch_id"] == MAIN_BRANCH_ID)]


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {"updated_at": now(), **fields}


def _allowed_update(world: World, table: str, role: str, fits: list[Grant],
                    target: dict[str, Any], plain: list[str]) -> Case | None:
    facts = world.facts(role)
    for grant in fits:
        writable = [c for c in plain if grant.columns is None or c in grant.columns
                    or c in policy.ALWAYS_WRITABLE]
        found = _change(world, table, target, writable, writable)
        if found and grant.row.check(facts, table, {**target, **found[1]}):
            return Case(table, role, Op.UPDATE, True, target["id"], _fields(found[1]),
                        f"{found[0]} of a row where {grant.row.text}", found[0])
    return None


def _forbidden_update(world: World, table: str, role: str, fits: list[Grant],
                      target: dict[str, Any], plain: list[str], is_own: bool) -> Case | None:
    """A row outside every rule; else a column no fitting grant opens; else an author."""
    if not fits:
        found = None if is_own else _change(world, table, target, plain)
        return None if found is None else Case(
            table, role, Op.UPDATE, False, target["id"], _fields(found[1]),
            f"{found[0]} of a row outside the rule")
    closed = [c for c in plain_columns(table)
              if all(g.columns is not None and c not in g.columns for g in fits)]
    found = _change(world, table, target, closed)
    if found:
        return Case(table, role, Op.UPDATE, False, target["id"], _fields(found[1]),
                    f"{found[0]}, a column the role may not change")
    declared = policy.table_policy(table)
    for column, kind in {**declared.authors, **declared.stamps}.items():
        return Case(table, role, Op.UPDATE, False, target["id"],
                    _fields({column: _someone_else(world, kind)}),
                    f"{column}, who made the row")
    return None


def _make_targets(world: World, table: str, candidates: list[dict[str, Any]],
                  roles: tuple[str, ...] = policy.ROLES) -> list[dict[str, Any]]:
    """Rows to edit, made by the super admin (or, where no one may push them, written into
    PostgreSQL): for every role, some its rules fit and some they do not, live and deleted."""
    chosen: dict[uuid.UUID, tuple[dict[str, Any], bool]] = {}
    for deleted in (False, True):
        for role in roles:
            facts = world.facts(role)
            grants = policy.grants(table, _held(world, role))
            want = {True: 2, False: 1}
            for row in candidates:
                if row["id"] in world.used_ids or row["id"] in chosen:
                    continue
                stored = _with_authors(world, Role.SUPER_ADMIN.value, table, row)
                fits = any(g.row.check(facts, table, stored) for g in grants)
                if want[fits] > 0:
                    want[fits] -= 1
                    chosen[row["id"]] = (row, deleted)
                if not any(want.values()):
                    break
    rows = list(chosen.values())
    made = world.push_as(Role.SUPER_ADMIN.value, table, [
        (row["id"], new_fields(_without_authors(table, row), deleted=deleted), 0)
        for row, deleted in rows])
    for (row, deleted), result in zip(rows, made, strict=True):
        if result["outcome"] != "applied":
            # Nobody may push it (a deleted audit entry): written into PostgreSQL, so that the
            # forbidden undelete has a row to try.
            assert result["reason"].startswith("not allowed: "), (table, result)
            world.insert_directly(table, _with_authors(world, Role.SUPER_ADMIN.value, table,
                                                       row), deleted=deleted)
    found = [world.snapshot(table, row_id) for row_id in chosen]
    return [row for row in found if row is not None]


def _table_cases(world: World, table: str, roles: tuple[str, ...] = policy.ROLES
                 ) -> list[Case]:
    """Generated pushes of `table` by each of `roles` (names of accounts of the world), each
    checked against the declaration as it is pushed."""
    world.free_parents(table, 60)
    candidates = []
    for row in world.candidates(table):
        candidates.append(row)
        if len(candidates) >= 400:
            break
    targets = _make_targets(world, table, candidates, roles)
    done: list[Case] = []
    for role in roles:
        # Worked out just before the role pushes: earlier roles' changes may have moved facts
        # (a new enrollment makes a student someone's).
        cases = _insert_cases(world, table, role,
                              [c for c in candidates if c["id"] not in {t["id"] for t in
                                                                       targets}])
        for op in (Op.UPDATE, Op.DELETE, Op.UNDELETE):
            cases += _edit_cases(world, table, role, op, targets)
        _refusals_alike_in_one_push(world, table, role, cases)
        # Forbidden first, checked before the allowed ones (which may edit the same account).
        for allowed in (False, True):
            mine = [c for c in cases if c.allowed is allowed]
            before = {c.row_id: world.snapshot(table, c.row_id) for c in mine}
            results = world.push_as(role, table, [
                (c.row_id, c.fields, int(before[c.row_id]["version"]) if before[c.row_id]
                 else 0) for c in mine])
            for case, result in zip(mine, results, strict=True):
                _verify(world, case, result, before[case.row_id])
        done += cases
    return done


def _refusals_alike_in_one_push(world: World, table: str, role: str,
                                cases: list[Case]) -> None:
    """`authorize.refusal` keeps what a change's shape decides for the rest of a push: asked
    for every case in one push (allowed and forbidden shuffled together) it must answer each
    exactly as it does asked alone."""
    principal = authenticate(world.engine, make_settings(str(world.engine.url)),
                             world.devices[role].token)
    order = list(cases)
    random.Random(len(order)).shuffle(order)  # not the world's: its draws make the cases
    with world.engine.connect() as conn:
        shared = BatchStore(conn, buffered=True)
        for case in order:
            old = world.snapshot(table, case.row_id)
            fields = decode_fields(table_of(table), {k: encode_value(v)
                                                     for k, v in case.fields.items()})
            new = {**(old or {"id": case.row_id}), **fields}
            changed = frozenset(new) if old is None else frozenset(
                k for k, v in fields.items() if old.get(k) != v)
            alone = authorize.refusal(BatchStore(conn, buffered=True), principal.viewer, table,
                                      old, new, changed)
            together = authorize.refusal(shared, principal.viewer, table, old, new, changed)
            assert together == alone, (role, case.op.value, table, case.what)


def _without_authors(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    declared = policy.table_policy(table)
    return {k: (None if k in declared.authors or k in declared.stamps else v)
            for k, v in row.items()}


def _verify(world: World, case: Case, result: Mapping[str, Any],
            before: Mapping[str, Any] | None) -> None:
    label = f"{case.role} {case.op.value} {case.table} ({case.what})"
    after = world.snapshot(case.table, case.row_id)
    if not case.allowed:
        assert result["outcome"] == "rejected", (label, result)
        assert result["reason"].startswith("not allowed: "), (label, result)
        # `version` aside: an allowed change in the same push may re-version the student's
        # whole history for a new viewer (reversion.py), which changes no data.
        assert _data(after) == _data(before), f"{label}: a refused change altered the row"
        return
    assert result["outcome"] in ("applied", "merged"), (label, result.get("reason"))
    assert after is not None, label
    declared = policy.table_policy(case.table)
    facts = world.facts(case.role)
    if case.op is Op.INSERT:
        for column, kind in declared.authors.items():
            assert after[column] == facts.pusher_value(kind), (label, column)
        # A row someone may edit merges field by field and needs its stamps; one nobody may
        # edit (every grant insert-only) never merges and keeps none.
        assert _stamped(world, case.table, case.row_id) != policy.insert_only(case.table), \
            (label, "field stamps")
    elif case.check_column == "deleted_at":
        assert (after["deleted_at"] is None) == (case.op is Op.UNDELETE), label
    elif case.check_column in policy.ALWAYS_WRITABLE:
        pass  # a table of keys alone: the server keeps its own updated_at, accepting is all
    elif case.check_column is not None:
        sent = decode_fields(table_of(case.table), {
            case.check_column: encode_value(case.fields[case.check_column])})[case.check_column]
        assert _same(after[case.check_column], sent), (label, after[case.check_column], sent)


def _stamped(world: World, table: str, row_id: uuid.UUID) -> bool:
    stamps = table_of("sync_field_versions")
    with world.engine.connect() as conn:
        return conn.execute(select(stamps.c.row_id).where(
            stamps.c.table_name == table, stamps.c.row_id == row_id)).first() is not None


def _data(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k != "version"}


def _held(world: World, role: str) -> frozenset[str]:
    """What the account `role` names may do: its role's row in PostgreSQL (a built-in role's
    seeded set, or a custom role's)."""
    return world.facts(role).permissions


def _nothing_to_forbid(world: World, table: str, role: str, op: Op) -> bool:
    """The declaration lets this role do `op` to every row and names no author column: no
    push of that kind can be refused by the policy."""
    declared = policy.table_policy(table)
    # Rules no row of that operation can fail: any row; "not their own account" for a new
    # account or an undelete (their own account is neither new nor deleted).
    always = (policy.ANY_ROW, *((policy.OTHER_ACCOUNT,) if op in (Op.INSERT, Op.UNDELETE)
                                else ()))
    # A rule limited to the pusher's branches is no limit for who sees every branch.
    unlimited = world_facts_unlimited(_held(world, role))
    every = any(op in g.ops and _plain(g.rule_for(op), unlimited) in always
                and _plain(g.row, unlimited) in always
                and g.columns is None for g in policy.grants(table, _held(world, role)))
    return every and not (op in (Op.INSERT, Op.UPDATE) and (declared.authors
                                                            or declared.stamps))


def world_facts_unlimited(held: frozenset[str]) -> bool:
    return not Viewer(uuid.uuid4(), "custom", permissions=held).branch_limited


def _plain(rule: policy.Rule, unlimited: bool) -> policy.Rule:
    return rule.plain if unlimited and rule.plain is not None else rule


# Rounds of fresh candidates before a combination counts as missing. A counselor's allowed
# student needs two lucky picks at once (their own id as counselor_id and one of the free
# student accounts as user_id), roughly one candidate in a few hundred: with three extra rounds
# a CI run (7 Dec) still found none. A round is only run for a table that still misses one.
SEARCH_ROUNDS = 8


def _missing(world: World, table: str, cases: list[Case],
             roles: tuple[str, ...] = policy.ROLES) -> list[str]:
    """The (role, operation) combinations of `table` that `cases` leave without an allowed
    push where the policy grants one, or without a forbidden one where it can refuse."""
    found: list[str] = []
    for role in roles:
        for op in Op:
            kinds = {c.allowed for c in cases if c.role == role and c.op is op}
            granted = any(op in g.ops for g in policy.grants(table, _held(world, role)))
            if granted and True not in kinds:
                found.append(f"{table} {role} {op.value}: no allowed case")
            if False not in kinds and not _nothing_to_forbid(world, table, role, op):
                found.append(f"{table} {role} {op.value}: no forbidden case")
    return found


# 900 s: it pushes every synced table's cases (fee follow-ups made them 50); it took
# 280 s on main under a load of 9 on this shared 2-core machine, past the default 300 s here.
@pytest.mark.timeout(900)
def test_every_table_role_and_operation_is_allowed_and_forbidden_as_declared(
        world: World) -> None:
    tally: Counter[str] = Counter()
    missing: list[str] = []
    for table in SYNCED_TABLES:
        cases = _table_cases(world, table)
        # Candidates pair random ids: a round may happen to offer no row for a combination
        # the declaration allows (or forbids). Search on with fresh rows before calling it
        # missing, so the verdict is about the policy, not about one round's luck.
        for _round in range(SEARCH_ROUNDS):
            if not _missing(world, table, cases):
                break
            cases += _table_cases(world, table)
        missing += _missing(world, table, cases)
        for role in policy.ROLES:
            for op in Op:
                kinds = {c.allowed for c in cases if c.role == role and c.op is op}
                tally["combinations"] += 1
                tally["allowed pushes"] += True in kinds
                tally["forbidden pushes"] += False in kinds
    print(f"\npolicy cases: {dict(tally)}")
    assert not missing, "\n".join(missing)


def test_every_pulled_row_is_in_the_declared_scope_and_no_secret_leaves(world: World) -> None:
    check_pulls(world, policy.ROLES)


def check_pulls(world: World, roles: tuple[str, ...]) -> None:
    """Each of `roles` (accounts of the world) pulls from scratch exactly the rows its role's
    read scopes declare, table by table, and no secret column."""
    for role in roles:
        device = world.devices[role]
        device.cursor = ""
        rows, _page = device.pull_all()
        facts = world.facts(role)
        pulled: dict[str, set[uuid.UUID]] = {}
        for row in rows:
            table, values = row["table"], row["values"]
            assert not policy.secret_columns(table) & set(values), (role, table)
            pulled.setdefault(table, set()).add(uuid.UUID(row["id"]))
        for table in SYNCED_TABLES:
            scope = policy.read_scope(table, _held(world, role))
            t = table_of(table)
            with world.engine.connect() as conn:
                every = [dict(r) for r in conn.execute(t.select()).mappings()]
            expected = {r["id"] for r in every if scope.check(facts, table, r)}
            assert pulled.get(table, set()) == expected, (role, table, scope.name)
