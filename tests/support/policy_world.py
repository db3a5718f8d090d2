"""A small institute on a real sync server, and the policy's questions answered from its database.

    world = World.build(server_url, pg_url)   # one account per role (+ a second faculty
                                              # member, counselor and student), rows of every
                                              # synced table made by the super admin
    facts = world.facts(role)                 # policy.WriteFacts / ReadFacts of that pusher,
                                              # read straight from PostgreSQL
    world.candidates(table)                   # valid new rows, every foreign-key choice tried

The facts here are written against the database independently of the server's (which answer
from a push's prefetched rows), so a generated case checks the server against the declaration.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, Uuid, create_engine, insert, select, union

from institute_core.access import permissions as perms
from institute_core.enums import Role
from institute_core.schema import MAIN_BRANCH_ID, MODEL_BY_TABLE, SYNCED_TABLES, table_of
from institute_core.sync import policy
from institute_core.sync.owners import database_lookup, owner_of
from institute_core.sync.scopes import Viewer
from tests.server.helpers import PASSWORD, Device
from tests.support.schema_rows import data_columns, foreign_keys, series_number, valid_row
from tests.support.server import create_user, faculty_id_of

# Accounts beside the one per role: the "someone else" of every rule.
OTHERS = {"admin2": Role.ADMIN.value, "faculty2": Role.FACULTY.value,
          "counselor2": Role.COUNSELOR.value, "student2": Role.STUDENT.value}
WORLD_ROWS = 10  # rows of each table the super admin makes up front
# Branches beside Main: one, so that about half of the rows lie in a pusher's branch.
WORLD_BRANCHES = 1
_SAMPLE = 400  # foreign-key combinations tried per table at most
_COMBOS = 20000  # of which picked from at most this many


def email_of(name: str) -> str:
    return f"{name}@policy.example.org"


def now() -> datetime:
    return datetime.now(UTC)


_PERMISSIONS: dict[tuple[int, uuid.UUID], frozenset[str]] = {}


@dataclass
class DbFacts:
    """`policy.WriteFacts` and `policy.ReadFacts` of one user, asked of PostgreSQL."""

    engine: Engine
    user_id: uuid.UUID
    role: str
    faculty_id: uuid.UUID | None

    def row(self, table: str, row_id: Any) -> Mapping[str, Any] | None:
        if row_id is None:
            return None
        t = table_of(table)
        with self.engine.connect() as conn:
            found = conn.execute(select(t).where(t.c.id == row_id)).mappings().first()
        return dict(found) if found is not None else None

    def owner(self, table: str, row: Mapping[str, Any]) -> uuid.UUID | None:
        with self.engine.connect() as conn:
            return owner_of(database_lookup(conn), table, row)

    @property
    def branches(self) -> frozenset[str] | None:
        # Who is limited by branch is the server's one decision (Viewer); where they work is
        # read here from the links, independently of the server's queries.
        if not Viewer(self.user_id, self.role, self.faculty_id,
                      permissions=self.permissions).branch_limited:
            return None
        return self.works_in(self.user_id)

    def works_in(self, user_id: Any) -> frozenset[str]:
        links = table_of("user_branches")
        return frozenset(str(b) for b in self._ids(select(links.c.branch_id).where(
            links.c.user_id == user_id, links.c.deleted_at.is_(None))))

    def branch_of(self, table: str, row_id: Any) -> Any:
        row = self.row(table, row_id)
        return None if row is None else row.get("branch_id")

    def _ids(self, query: Any) -> set[uuid.UUID]:
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    @property
    def permissions(self) -> frozenset[str]:
        """What their role's row grants, read from PostgreSQL (once: the world's accounts keep
        their roles, and the generated cases edit only roles they made)."""
        key = (id(self.engine), self.user_id)
        if key not in _PERMISSIONS:
            _PERMISSIONS[key] = self._read_permissions()
        return _PERMISSIONS[key]

    def _read_permissions(self) -> frozenset[str]:
        with self.engine.connect() as conn:
            role = conn.execute(select(table_of("users").c.role).where(
                table_of("users").c.id == self.user_id)).scalar()
        found = self.role_permissions(role)
        return frozenset() if found is None else found

    def role_permissions(self, name: Any) -> frozenset[str] | None:
        roles = table_of("roles")
        with self.engine.connect() as conn:
            row = conn.execute(select(roles.c.permissions).where(
                roles.c.name == name, roles.c.deleted_at.is_(None))).first()
        return None if row is None else perms.expand(row.permissions)

    def owns_student(self, student_id: Any) -> bool:
        students = table_of("students")
        return student_id is not None and uuid.UUID(str(student_id)) in self._ids(
            select(students.c.id).where(students.c.user_id == self.user_id))

    def anchored(self, student_id: Any) -> bool:
        if student_id is None:
            return False
        students = table_of("students")
        held = self.permissions
        if policy.COUNSEL in held and uuid.UUID(str(student_id)) in self._ids(
                select(students.c.id).where(students.c.counselor_id == self.user_id)):
            return True
        if policy.TEACH not in held or self.faculty_id is None:
            return False
        enr, mem, bat = (table_of("student_subject_enrollments"), table_of("batch_members"),
                         table_of("flexible_batches"))
        taught = self._ids(union(
            select(enr.c.student_id).where(enr.c.faculty_id == self.faculty_id),
            select(mem.c.student_id).join(bat, bat.c.id == mem.c.batch_id)
            .where(bat.c.faculty_id == self.faculty_id)))
        return uuid.UUID(str(student_id)) in taught

    def counsels_user(self, user_id: Any) -> bool:
        students = table_of("students")
        return bool(self._ids(select(students.c.id).where(
            students.c.user_id == user_id, students.c.counselor_id == self.user_id))) \
            and self.account_free(user_id, None)

    def account_free(self, user_id: Any, student_id: Any) -> bool:
        students = table_of("students")
        others = self._ids(select(students.c.id).where(
            students.c.user_id == user_id, students.c.counselor_id.is_distinct_from(self.user_id)))
        if student_id is not None:
            others.discard(uuid.UUID(str(student_id)))
        return not others

    def sees_student(self, student_id: Any) -> bool:
        """The read side: who teaches — enrollment, session or batch; who counsels — the
        students they counsel."""
        if student_id is None:
            return False
        sid = uuid.UUID(str(student_id))
        if self.anchored(sid):
            return True
        if policy.TEACH not in self.permissions or self.faculty_id is None:
            return False
        ses = table_of("learning_sessions")
        return self.anchored(sid) or sid in self._ids(
            select(ses.c.student_id).where(ses.c.faculty_id == self.faculty_id))

    def students_of_user(self, user_id: Any) -> list[Any]:
        students = table_of("students")
        return sorted(self._ids(select(students.c.id).where(students.c.user_id == user_id)))

    def pusher_value(self, kind: policy.Author) -> uuid.UUID | None:
        return self.user_id if kind is policy.Author.USER else self.faculty_id


@dataclass
class World:
    engine: Engine
    http: httpx.Client
    devices: dict[str, Device]
    users: dict[str, uuid.UUID]
    faculties: dict[str, uuid.UUID]
    used_ids: set[uuid.UUID] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(14))
    world_branches: list[uuid.UUID] = field(default_factory=list)

    @classmethod
    def build(cls, base_url: str, pg_url: str) -> World:
        names = {role: role for role in policy.ROLES} | OTHERS
        users = {name: create_user(pg_url, email=email_of(name), password=PASSWORD, role=role)
                 for name, role in names.items()}
        faculties = {name: faculty_id_of(pg_url, users[name])
                     for name, role in names.items() if role == Role.FACULTY.value}
        engine = create_engine("postgresql+psycopg://" + pg_url.split("://", 1)[1])
        http = httpx.Client(base_url=base_url, timeout=60)
        devices = {role: Device(http, email_of(role)).sign_in() for role in policy.ROLES}
        world = cls(engine, http, devices, users, faculties)
        world._populate()
        return world

    def facts(self, role: str) -> DbFacts:
        return DbFacts(self.engine, self.users[role], role, self.faculties.get(role))

    def ids(self, table: str) -> list[uuid.UUID]:
        t = table_of(table)
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.id).order_by(t.c.id)).scalars())

    def snapshot(self, table: str, row_id: uuid.UUID) -> dict[str, Any] | None:
        return self.facts(Role.SUPER_ADMIN.value).row(table, row_id)

    def candidates(self, table: str, *, rotate: bool = False) -> Iterator[dict[str, Any]]:
        """New valid rows of `table` (fresh ids), each foreign-key choice over the rows that
        exist, in a seeded random order; author and stamp columns left for the server."""
        declared = policy.table_policy(table)
        blank = dict.fromkeys([*declared.authors, *declared.stamps])
        fks = [(column, parent) for column, parent in foreign_keys(table)
               if column not in blank]
        pools = [self._pool(table, column, parent) for column, parent in fks]
        if rotate:
            # Row k takes the k-th id of every pool (offset per column): every person and
            # parent appears, in regular pairings (an enrollment and a session alike).
            combos = [tuple(pool[(k + i) % len(pool)] for i, pool in enumerate(pools))
                      for k in range(_SAMPLE)]
        else:
            order = list(range(len(pools)))
            natural = set(MODEL_BY_TABLE[table].__natural_key__ or ())
            if math.prod(len(pool) for pool in pools) > _COMBOS and natural:
                # The first 20,000 of a large product hold only the first ids of its first
                # pool: a key column there (a delivery's message, one delivery each) would
                # offer a handful of parents that may all be taken. Keys vary fastest instead.
                order.sort(key=lambda i: fks[i][0] in natural)
            picked = itertools.islice(itertools.product(*(pools[i] for i in order)), _COMBOS)
            combos = [tuple(c[order.index(i)] for i in range(len(pools))) for c in picked]
            self.rng.shuffle(combos)
        seen: set[uuid.UUID] = set()  # natural keys repeat across picks
        # A key column that is an id of no table (a notification's record) gets a fresh id per
        # row: its edge values (nil, all ones) would repeat the keys, and an account's few
        # rows could all go to the edit targets, leaving its insert case without a row.
        natural = set(MODEL_BY_TABLE[table].__natural_key__ or ())
        free_ids = [c.name for c in table_of(table).columns
                    if c.name in natural and isinstance(c.type, Uuid) and not c.foreign_keys]
        for pick in range(_SAMPLE):
            combo = combos[pick % len(combos)]
            fixed = {**blank, **{c: v for (c, _p), v in zip(fks, combo, strict=True)},
                     **{c: uuid.uuid4() for c in free_ids}}
            try:
                row = valid_row(table, {}, pick=pick, fixed=fixed)
            except (LookupError, ValueError):
                continue
            row.setdefault("id", uuid.uuid4())
            if row["id"] in self.used_ids or row["id"] in seen \
                    or self.snapshot(table, row["id"]) is not None:
                continue
            seen.add(row["id"])
            yield row

    def _pool(self, table: str, column: str, parent: str) -> list[uuid.UUID]:
        # People are the named accounts (pushers and their "someone else"), so rows point at
        # the users and faculty records the rules are about.
        ids = (list(self.users.values()) if parent == "users"
               else list(self.faculties.values()) if parent == "faculties"
               else self.ids(parent))
        if (table, column) == ("students", "user_id"):
            # Also the student accounts nobody's record holds yet: a counselor may link their
            # student only to an account no colleague's student has.
            ids = [*ids, *(i for i in self.ids("users") if i not in ids)]
        if parent == "branches" and table != "user_branches":
            # Rows go to Main, where the named accounts work (create_user), three times in four,
            # else to the world's other branch – never to the many branches the cases of the
            # branches table add – so the rules beside the branch one (a free student account,
            # say) still find rows, and rows of another branch stay for the forbidden cases.
            ids = [*(self.world_branches or ids), MAIN_BRANCH_ID, MAIN_BRANCH_ID]
        if table == "user_branches" and column == "user_id":
            # The pushers work in Main alone (create_user), so every branch-scoped table keeps
            # rows outside their branches for the forbidden cases.
            ids = [i for i in ids if i not in self._pushers()]
        if table == "password_resets" and column == "user_id":
            # A reset of a signed-in pusher would change the password its device signs in with.
            ids = [i for i in ids if i not in self._pushers()]
        return ids

    def _pushers(self) -> set[uuid.UUID]:
        """The accounts with a signed-in device (one per role, and any a test adds)."""
        return {self.users[name] for name in self.devices}

    def insert_directly(self, table: str, row: Mapping[str, Any], *, deleted: bool) -> None:
        """A row no role may push, written straight into PostgreSQL."""
        with self.engine.begin() as conn:
            conn.execute(insert(table_of(table)).values(
                **new_fields(row, deleted=deleted), id=row["id"], version=1))

    def take(self, row: Mapping[str, Any]) -> None:
        self.used_ids.add(row["id"])

    def push_as(self, role: str, table: str, rows: list[tuple[uuid.UUID, dict[str, Any], int]]
                ) -> list[dict[str, Any]]:
        device = self.devices[role]
        if not rows:
            return []
        for _row_id, fields, _base in rows:
            # A pusher numbers documents in its own series (the policy's `numbers`): given
            # here, in the dict the caller keeps, so what it expects is what was sent.
            for column in policy.number_columns(table) & set(fields):
                fields[column] = series_number(device.series_code)
        return device.push(*(device.change(table, row_id, fields, base_version=base)
                             for row_id, fields, base in rows))

    def _populate(self) -> None:
        """Rows of every synced table, parents first, all pushed by the super admin."""
        for table in SYNCED_TABLES:
            limit = WORLD_ROWS // 2 if one_per_parent(table) else WORLD_ROWS
            if table == "branches":
                limit = WORLD_BRANCHES
            elif table == "messages":
                # Each delivery takes a message of its own (one_per_parent).
                limit = 10 * WORLD_ROWS
            self.make_rows(table, limit)
            if table == "branches":
                self.world_branches = self.ids("branches")

    def make_rows(self, table: str, limit: int) -> None:
        """Up to `limit` new rows of `table` the super admin may insert, pushed by them."""
        made = []
        facts = self.facts(Role.SUPER_ADMIN.value)
        grants = policy.grants(table, Role.SUPER_ADMIN.value)
        declared = policy.table_policy(table)
        for row in self.candidates(table, rotate=True):
            if table == "users":
                row["role"] = Role.STUDENT.value  # more accounts for students to hold
            authored = {**row, **{c: facts.pusher_value(k)
                                  for c, k in declared.authors.items()}}
            if not any(policy.Op.INSERT in g.ops and g.rule_for(policy.Op.INSERT).check(
                    facts, table, authored) for g in grants):
                continue  # a reset with an empty verifier, say
            made.append(row)
            if len(made) == limit:
                break
        if table == "students":
            made.append(self._counselors_own_student(made))
        results = self.push_as(Role.SUPER_ADMIN.value, table,
                               [(r["id"], new_fields(r), 0) for r in made])
        refused = [r for r in results if r["outcome"] != "applied"]
        assert not refused, (table, refused)

    def free_parents(self, table: str, wanted: int) -> None:
        """For a table of one row per parent (a message's delivery), fresh parents, so every
        round of cases has new rows to offer: rows made in earlier rounds, and those the
        server makes itself, use parents up."""
        if one_per_parent(table):
            natural = MODEL_BY_TABLE[table].__natural_key__ or ()
            parent = next(iter(table_of(table).c[natural[0]].foreign_keys)).column.table.name
            self.make_rows(parent, wanted)

    def _counselors_own_student(self, made: list[dict[str, Any]]) -> dict[str, Any]:
        """A student of the counselor on an account no other student record holds: what the
        counselor may edit whatever ids the random pairings above gave the rest."""
        taken = {r["user_id"] for r in made} | set(self.users.values())
        account = next(i for i in self.ids("users") if i not in taken)
        row = valid_row("students", {}, pick=len(made), fixed={
            "user_id": account, "counselor_id": self.users[Role.COUNSELOR.value],
            "branch_id": MAIN_BRANCH_ID})  # where the counselor works (create_user)
        row.setdefault("id", uuid.uuid4())
        return row


def one_per_parent(table: str) -> bool:
    """Whether the table's natural key is one foreign key: a row per parent at most."""
    natural = MODEL_BY_TABLE[table].__natural_key__ or ()
    return len(natural) == 1 and bool(table_of(table).c[natural[0]].foreign_keys)


def new_fields(row: Mapping[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    stamp = now()
    return {"created_at": stamp, "updated_at": stamp, "deleted_at": stamp if deleted else None,
            **{k: v for k, v in row.items() if k != "id"}}


def plain_columns(table: str) -> list[str]:
    """Data columns an update case may change: no keys, no unique or natural-key columns, no
    JSON (its stored form differs from what was sent), no authors or stamps."""
    model = MODEL_BY_TABLE[table]
    t = table_of(table)
    declared = policy.table_policy(table)
    unique = {c.name for c in t.columns if c.unique} | {
        c.name for con in t.constraints if con.__class__.__name__ == "UniqueConstraint"
        for c in con.columns}
    skip = unique | set(model.__natural_key__ or ()) | set(declared.authors) \
        | set(declared.stamps)
    return [c.name for c in data_columns(table) if not c.foreign_keys and c.name not in skip
            and type(c.type).__name__ not in ("JsonDoc", "JSON")]
