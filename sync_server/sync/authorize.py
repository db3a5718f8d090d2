"""Whether a pushed change is allowed: `institute_core.sync.policy` applied to one change.

The policy declares, per table and role, the operations, the row rule (checked on the row as
it is and as the change would leave it) and the columns an update may change; this module
answers those questions from the push's `BatchStore` (prefetched rows, owner chains, a memo),
so the common faculty attendance path asks the database nothing per change.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, null, select

from institute_core.access import permissions as perms
from institute_core.branches.defaults import empty_branch_is_everywhere
from institute_core.schema import MAIN_BRANCH_ID, table_of
from institute_core.sync import policy
from institute_core.sync.owners import owner_of
from institute_core.sync.policy import Author, Grant, Op, Undeclared, same
from institute_core.sync.scopes import (
    Viewer,
    branches_of_user,
    faculty_anchored_students,
    id_array,
)
from sync_server.sync.store import BatchStore

Row = Mapping[str, Any]
# Tables a faculty member without a faculties row may still write (their account, their log).
_NO_FACULTY_RECORD_NEEDED = frozenset({"users", "audit_log"})
_PERSON = {perms.SUPER_ADMIN: "super admin", perms.FACULTY: "faculty member"}


# Asked by every push of a faculty member (the statements built once per person: building a
# union and its cache key on each push cost more than PostgreSQL's answering it).
_branches_of_user = functools.lru_cache(maxsize=4096)(branches_of_user)


@functools.lru_cache(maxsize=4096)
def _own_lists_sql(user_id: uuid.UUID, faculty_id: uuid.UUID | None) -> Select[Any]:
    """(their branches, the students they may write about or NULL) in one row."""
    parts = [branches_of_user(user_id),
             faculty_anchored_students(faculty_id) if faculty_id is not None else None]
    return select(*(null() if part is None else id_array(part) for part in parts))


def _works_in_sql(user_id: Any) -> Select[tuple[uuid.UUID]]:
    # A rule may name any value of a row: only an id's statement is kept.
    if isinstance(user_id, uuid.UUID | str):
        return _branches_of_user(user_id)
    return branches_of_user(user_id)


class PushFacts:
    """`policy.WriteFacts` of one pusher, answered from the push's store."""

    def __init__(self, store: BatchStore, viewer: Viewer) -> None:
        self.store = store
        self.viewer = viewer

    @property
    def user_id(self) -> uuid.UUID:
        return self.viewer.user_id

    @property
    def faculty_id(self) -> uuid.UUID | None:
        return self.viewer.faculty_id

    def row(self, table: str, row_id: Any) -> Row | None:
        return None if row_id is None else self.store.row(table, row_id)

    def owner(self, table: str, row: Row) -> uuid.UUID | None:
        return owner_of(self.store.owner_row, table, row)

    @property
    def permissions(self) -> frozenset[str]:
        return self.viewer.held

    def role_permissions(self, name: Any) -> frozenset[str] | None:
        if not isinstance(name, str):
            return None
        key = ("role", name)
        if key not in self.store.memo:
            roles = table_of("roles")
            row = self.store.connection().execute(
                select(roles.c.permissions).where(roles.c.name == name,
                                                  roles.c.deleted_at.is_(None))).first()
            self.store.memo[key] = None if row is None else perms.of_role(
                name, {"permissions": row.permissions})
        found: frozenset[str] | None = self.store.memo[key]
        return found

    @property
    def branches(self) -> frozenset[str] | None:
        if not self.viewer.branch_limited:
            return None
        limit = self.viewer.branch_limit
        if limit is not None and self.viewer.may("branches.all"):
            return frozenset({str(limit).lower()})
        mine = self.works_in(self.user_id)
        return mine if limit is None else mine & {str(limit).lower()}

    def works_in(self, user_id: Any) -> frozenset[str]:
        key = ("works_in", str(user_id).lower())
        if key not in self.store.memo:
            if same(user_id, self.user_id):
                self._read_own_lists()
            else:
                rows = self.store.connection().execute(_works_in_sql(user_id)).scalars()
                self.store.memo[key] = frozenset(str(b).lower() for b in rows)
        found: frozenset[str] = self.store.memo[key]
        return found

    def _read_own_lists(self) -> None:
        """The pusher's branches and, if they teach, the students they may write about, each
        read once per push and both in one round trip: a faculty member's push asks both."""
        memo = self.store.memo
        teaches = self.viewer.faculty_id is not None and self.viewer.may(policy.TEACH)
        branches, taught = self.store.connection().execute(
            _own_lists_sql(self.user_id, self.viewer.faculty_id if teaches else None)).one()
        memo.setdefault(("works_in", str(self.user_id).lower()),
                        frozenset(str(b).lower() for b in branches or ()))
        if teaches:
            memo.setdefault(("taught", self.viewer.faculty_id), frozenset(taught or ()))

    def branch_of(self, table: str, row_id: Any) -> Any:
        # The rows a branch rule climbs to were read with the push (`prefetch_branch_rows`),
        # so a faculty member's attendance for 30 students costs no lookup per student.
        row = self.row(table, row_id)
        return None if row is None else row.get("branch_id")

    def anchored(self, student_id: Any) -> bool:
        if student_id is None:
            return False
        if self.viewer.may(policy.COUNSEL):
            student = self.store.row("students", student_id)
            if student is not None and same(student.get("counselor_id"), self.user_id):
                return True
        if self.viewer.faculty_id is None or not self.viewer.may(policy.TEACH):
            return False
        return uuid.UUID(str(student_id)) in self._taught()

    def _taught(self) -> frozenset[uuid.UUID]:
        """The students the pusher, a faculty member who teaches, may write about. Read once
        per push: their own writes cannot add to it (the policy lets them add batch members
        and sessions only for students already in it)."""
        key = ("taught", self.viewer.faculty_id)
        if key not in self.store.memo:
            self._read_own_lists()
        taught: frozenset[uuid.UUID] = self.store.memo[key]
        return taught

    def counsels_user(self, user_id: Any) -> bool:
        key = ("counsels_user", str(user_id))
        if key in self.store.memo:
            return True
        students = table_of("students")
        found = bool(self.store.connection().execute(select(exists().where(
            students.c.user_id == user_id, students.c.counselor_id == self.user_id))).scalar())
        found = found and self.account_free(user_id, None)
        if found:
            self.store.memo[key] = True
        return found

    def account_free(self, user_id: Any, student_id: Any) -> bool:
        # Asked again each time: a record of this push may have moved the account meanwhile.
        students = table_of("students")
        others = [students.c.user_id == user_id,
                  students.c.counselor_id.is_distinct_from(self.user_id)]
        if student_id is not None:
            others.append(students.c.id != student_id)
        return not self.store.connection().execute(select(exists().where(*others))).scalar()


def prefetch_branch_rows(store: BatchStore, viewer: Viewer,
                         wanted: Mapping[str, Iterable[uuid.UUID]]) -> None:
    """Read, with the push, the rows the branch rule climbs to from the rows it reads (an
    attendance row's student, an attendance topic's attendance row and its student), level by
    level in one query per table: the policy asks where each changed row lives, old and new.

    Only those rows: reading every student of the pusher's branches instead cost a small push
    1,500 rows and was 38 % of the server's time under 200 desks (docs/sync.md). Rows new in
    this push are in the store already; a parent named only by a later change's fields was in
    `wanted`. Nothing to do for a pusher no branch limits (the rule never asks)."""
    if not viewer.branch_limited:
        return
    level = {name: set(ids) for name, ids in wanted.items()}
    while level:
        parents: dict[str, set[uuid.UUID]] = {}
        for name, ids in level.items():
            how = policy.BRANCH_OF.get(name)
            if how is None or how.parent is None:
                continue
            for row_id in ids:
                row = store.held(name, row_id)
                ref = None if row is None else row.get(how.column)
                if isinstance(ref, uuid.UUID) and not store.holds(how.parent, ref):
                    parents.setdefault(how.parent, set()).add(ref)
        store.prefetch(parents)
        level = parents


def _pusher_value(viewer: Viewer, kind: Author) -> uuid.UUID | None:
    return viewer.user_id if kind is Author.USER else viewer.faculty_id


def authors(viewer: Viewer, table: str, values: Row) -> dict[str, uuid.UUID | None] | str:
    """The author columns of a new row, from the token: a dict to write, or why the row names
    someone else (a desk may send its own user's id, never another)."""
    try:
        declared = policy.table_policy(table).authors
    except Undeclared:
        return {}
    filled: dict[str, uuid.UUID | None] = {}
    for column, kind in declared.items():
        mine = _pusher_value(viewer, kind)
        given = values.get(column)
        if given is not None and not same(given, mine):
            return (f"{table}.{column} records who made the row and is set by the server; "
                    "it cannot name someone else")
        filled[column] = mine
    return filled


# Where a new row that names no branch belongs: its parent's branch (a session its student's,
# a batch its faculty member's), else the pusher's first branch, else Main.
_BRANCH_PARENT = {"learning_sessions": ("student_id", "students"),
                  "flexible_batches": ("faculty_id", "faculties")}


def branch_default(store: BatchStore, viewer: Viewer, table: str, values: Row
                   ) -> dict[str, uuid.UUID]:
    """{"branch_id": ...} for a new row of a table with a branch that names none; else {}.

    The same rule as the desk's (institute_core/branches/defaults.py); the write policy then
    checks the row with it, so a default never places a row outside the pusher's branches.
    """
    if "branch_id" not in table_of(table).c or values.get("branch_id") is not None \
            or empty_branch_is_everywhere(table):
        return {}
    column, parent = _BRANCH_PARENT.get(table, (None, None))
    if column is not None and parent is not None and values.get(column) is not None:
        row = store.row(parent, values[column])
        if row is not None and row.get("branch_id") is not None:
            return {"branch_id": row["branch_id"]}
    first = store.connection().execute(
        branches_of_user(viewer.user_id).order_by(table_of("user_branches").c.created_at,
                                                  table_of("user_branches").c.branch_id)
        .limit(1)).scalar()
    return {"branch_id": first if first is not None else MAIN_BRANCH_ID}


@dataclass(frozen=True)
class _Shape:
    """What `refusal` decides from the change's shape alone (table, operations, columns): the
    same for every change of that shape in a push, so worked out once per push and shape."""

    early: str | None                 # refused whatever the row (no grant, an author column)
    stamp_columns: tuple[tuple[str, Author], ...]  # changed columns naming the person making it
    late: str | None                  # refused unless a stamp column refuses first (no faculty)
    candidates: tuple[Grant, ...]     # the grants that may allow it, in declaration order


def refusal(store: BatchStore, viewer: Viewer, table: str, old: Row | None, new: Row,
            changed: frozenset[str]) -> str | None:
    """Why `viewer` may not make this change, or None when they may."""
    try:
        declared = policy.table_policy(table)
    except Undeclared:
        return f"{table} is not declared in the sync policy, so nobody may change it"
    ops = policy.operations(old, new, changed)
    key = ("shape", table, old is None, ops, changed)
    shape: _Shape | None = store.memo.get(key)
    if shape is None:
        shape = store.memo[key] = _shape(store, viewer, table, declared, old is None, ops,
                                         changed)
    if shape.early is not None:
        return shape.early
    for column, kind in shape.stamp_columns:
        if new.get(column) is not None and not same(new.get(column),
                                                    _pusher_value(viewer, kind)):
            return f"{table}.{column} may only name the person making the change"
    if shape.late is not None:
        return shape.late
    facts = PushFacts(store, viewer)
    who = _who(store, viewer)
    candidates = shape.candidates
    reasons: list[str] = []
    for grant in candidates:
        # The first grant that allows it ends the search (a manager's, declared first, costs
        # no lookups). Whether any allows it does not depend on the order they are tried in.
        reason = _grant_refusal(grant, facts, table, who, old, new, ops, changed)
        if reason is None:
            return None
        reasons.append(reason)
    if len(candidates) > 1 and old is not None:
        # Refused by all: the grant the row is under speaks first ("only your name and
        # phone"), not one about rows it is not (someone else's account). Worked out only
        # now: a change that is allowed (nearly all) never pays for these row checks.
        order = sorted(range(len(candidates)),
                       key=lambda i: not candidates[i].row.check(facts, table, old))
        return reasons[order[0]]
    return reasons[0]


def _shape(store: BatchStore, viewer: Viewer, table: str, declared: policy.TablePolicy,
           inserting: bool, ops: frozenset[Op], changed: frozenset[str]) -> _Shape:
    who = _who(store, viewer)
    keyed = [(k, g) for k, g in _keyed_grants(store, viewer, table) if ops <= g.ops]
    candidates = tuple(g for _k, g in keyed)
    if not candidates:
        what = " and ".join(op.value for op in Op if op in ops)
        return _Shape(f"{who} may not {what} {table} rows", (), None, ())
    if not inserting:
        frozen = sorted(changed & declared.authors.keys())
        if frozen:
            return _Shape(f"{table}.{', '.join(frozen)} records who made the row; "
                          "it never changes after the row is created", (), None, ())
    stamp_columns = tuple((column, kind) for column, kind in declared.stamps.items()
                          if column in changed)
    late = None
    if viewer.faculty_id is None and all(k == policy.TEACH for k, _g in keyed) \
            and table not in _NO_FACULTY_RECORD_NEEDED:
        # What they may push here they may push as a teacher, and they are none yet.
        late = "your account has no faculty record yet; ask an administrator"
    return _Shape(None, stamp_columns, late, candidates)


def _keyed_grants(store: BatchStore, viewer: Viewer, table: str
                  ) -> tuple[tuple[str, Grant], ...]:
    """The pusher's grants on `table`, worked out once per push (`keyed_grants` builds the
    set of keys the viewer holds on every call; a push asks for every change)."""
    key = ("grants", table)
    found: tuple[tuple[str, Grant], ...] | None = store.memo.get(key)
    if found is None:
        found = store.memo[key] = policy.keyed_grants(table, viewer.held)
    return found


def _who(store: BatchStore, viewer: Viewer) -> str:
    """"a faculty member", "an admin": the pusher as a refusal names them (once per push)."""
    key = ("who",)
    found: str | None = store.memo.get(key)
    if found is None:
        person = _PERSON.get(viewer.role, viewer.role.replace("_", " "))
        found = store.memo[key] = f"{'an' if person[:1] in 'aeiou' else 'a'} {person}"
    return found


def _grant_refusal(grant: Grant, facts: PushFacts, table: str, who: str, old: Row | None,
                   new: Row, ops: frozenset[Op], changed: frozenset[str]) -> str | None:
    if Op.UPDATE in ops and grant.columns is not None:
        extra = sorted(changed - grant.columns - policy.ALWAYS_WRITABLE - {"deleted_at"})
        if extra:
            return (f"{who} may change only {', '.join(sorted(grant.columns))} of "
                    f"{table} rows where {grant.row.text} (not {', '.join(extra)})")
    if old is not None and not grant.row.check(facts, table, old):
        return f"{who} may change {table} rows only where {grant.row.text}"
    rule = grant.rule_for(Op.INSERT if old is None else Op.UPDATE)
    if not rule.check(facts, table, new):
        return (f"{who} may write {table} rows only where {rule.text}; "
                "the row as this change would leave it is not")
    return None
