"""Who may see which rows: the SQL of each read scope `policy.py` declares per table and role.

Used by the server's pull (rows and per-table counts) and the conflict log (entries about rows
a user can see); which scope applies to which table and role is declared in `policy.POLICY`
(rendered in docs/security.md), never decided here.

Predicates deliberately ignore `deleted_at`: a deleted row stays in scope so its tombstone syncs.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Select,
    Table,
    Uuid,
    and_,
    any_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.types import NullType

from institute_core.access import permissions as perms
from institute_core.enums import Role
from institute_core.ids import uuid_array_literal
from institute_core.schema import table_of
from institute_core.sync import policy

SYLLABUS = frozenset({"subjects", "subject_prerequisites", "topics", "topic_prerequisites"})
CRM = frozenset({"crm_inquiries", "inquiry_subjects", "follow_ups"})
# Tables whose rows belong to one student (directly through student_id).
STUDENT_ROWS = frozenset({"student_subject_enrollments", "learning_sessions", "session_attendance",
                          "student_topic_progress", "assessments", "rewards_penalties",
                          "feedback", "student_reports"})
COUNSELOR_STUDENT_ROWS = frozenset({"student_subject_enrollments", "learning_sessions",
                                    "rewards_penalties", "feedback"})


@dataclass(frozen=True)
class Viewer:
    """The user a scope is computed for (faculty_id: their faculties row, if any)."""

    user_id: uuid.UUID
    # Their role's name (for wording; what they may do is `held`).
    role: str
    faculty_id: uuid.UUID | None = None
    # "Their students" (taught and counselled) read once (see `with_students`), so that a
    # pull's many predicates use a list instead of re-running the same subquery per table.
    students: tuple[uuid.UUID, ...] | None = None
    # The branches they work in, read once like `students` (None: not read yet).
    branches: tuple[uuid.UUID, ...] | None = None
    # What their role grants, read from its `roles` row at push/pull time (None: the built-in
    # set of `role`, for callers that name a built-in role).
    permissions: frozenset[str] | None = None
    # Their own student records (a student, or a guardian's one child), read once.
    own: tuple[uuid.UUID, ...] | None = None
    # The branch their role is limited to (roles.branch_id), if any.
    branch_limit: uuid.UUID | None = None

    @property
    def held(self) -> frozenset[str]:
        return self.permissions if self.permissions is not None else perms.of_role(self.role)

    def may(self, permission: str) -> bool:
        return permission in self.held

    @property
    def sees_every_branch(self) -> bool:
        """The one place that decides who sees every branch: `branches.all`, in a role not
        limited to one branch."""
        return self.may("branches.all") and self.branch_limit is None

    @property
    def branch_limited(self) -> bool:
        """Whether branch-scoped rows must lie in their branches (their scopes about
        themselves never are: `policy.Scope.anywhere`)."""
        return not self.sees_every_branch

    @property
    def sees_private(self) -> bool:
        """Whether private columns (faculty pay) of every row reach them."""
        return bool(self.held & policy.PRIVATE_READERS)


def _t(name: str) -> Table:
    return table_of(name)


def faculty_students(faculty_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """Ids of the students a faculty member teaches (enrollment, session or batch)."""
    enr, ses = _t("student_subject_enrollments"), _t("learning_sessions")
    mem, bat = _t("batch_members"), _t("flexible_batches")
    return union(
        select(enr.c.student_id).where(enr.c.faculty_id == faculty_id),
        select(ses.c.student_id).where(ses.c.faculty_id == faculty_id),
        select(mem.c.student_id).where(
            mem.c.batch_id.in_(select(bat.c.id).where(bat.c.faculty_id == faculty_id))),
    ).subquery().select()  # type: ignore[return-value]


def faculty_anchored_students(faculty_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """The students a faculty member may write about: enrolled with them or members of their
    batches. Stricter than `faculty_students`: a session they create themselves adds nobody
    (policy.MY_STUDENT), so no write of theirs widens what they read."""
    enr, mem, bat = (_t("student_subject_enrollments"), _t("batch_members"),
                     _t("flexible_batches"))
    return union(
        select(enr.c.student_id).where(enr.c.faculty_id == faculty_id),
        select(mem.c.student_id).where(
            mem.c.batch_id.in_(select(bat.c.id).where(bat.c.faculty_id == faculty_id))),
    ).subquery().select()  # type: ignore[return-value]


def counselor_students(user_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    students = _t("students")
    return select(students.c.id).where(students.c.counselor_id == user_id)


def _students_in(viewer: Viewer) -> IdSource | None:
    if viewer.students is not None:
        return viewer.students
    return _student_query(viewer)


# Ids read once (a viewer's students, branches, own records) or the query that finds them.
IdSource = Select[tuple[uuid.UUID]] | tuple[uuid.UUID, ...]


def _among(column: ColumnElement[Any], ids: IdSource) -> ColumnElement[bool]:
    """`column IN ids`. Ids read once go as `= ANY(CAST(:ids AS UUID[]))`: ONE text parameter
    (an IN list binds one per id in every predicate that names it, and a pull's 40 scoped
    queries and counts carried thousands), and a constant array PostgreSQL hashes whatever its
    row estimates say. `IN (SELECT unnest(...))` let the planner, misled by a freshly loaded
    table's statistics, loop over the array once per row: on the large demo a one-branch
    counselor's pull page compared 33 million pairs and the desk's first sync timed out.

    The parameter goes untyped (no `::VARCHAR`): PostgreSQL then takes it as the uuid[] the
    cast names and reads it once, a constant. A text parameter cast to uuid[] is a conversion
    PostgreSQL does not fold (array_in is only STABLE), so a sequential scan parsed the whole
    array again for every row it filtered: a faculty member's count of `users` took 47 ms on
    the default demo for 1,548 rows, and 1 ms with the constant."""
    if isinstance(ids, tuple):
        return column == any_(cast(literal(_array_text(ids), NullType()), ARRAY(Uuid)))
    return column.in_(ids)


# A pull names the same students in every scoped query and count of one request.
_array_text = functools.lru_cache(maxsize=64)(uuid_array_literal)


def _student_query(viewer: Viewer) -> Select[tuple[uuid.UUID]] | None:
    """Their students: those they teach (attendance.mark) and those they counsel."""
    parts: list[Select[tuple[uuid.UUID]]] = []
    if viewer.may(policy.TEACH) and viewer.faculty_id is not None:
        parts.append(faculty_students(viewer.faculty_id))
    if viewer.may(policy.COUNSEL):
        parts.append(counselor_students(viewer.user_id))
    if len(parts) <= 1:
        return parts[0] if parts else None
    return union(*parts).subquery().select()  # type: ignore[return-value]


def own_students(user_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    """The student records of account `user_id` (a student's own)."""
    students = _t("students")
    return select(students.c.id).where(students.c.user_id == user_id)


def _own_in(viewer: Viewer) -> IdSource:
    return own_students(viewer.user_id) if viewer.own is None else viewer.own


def with_students(connection: Connection, viewer: Viewer) -> Viewer:
    """`viewer` with their students, own records and branches read now (in `connection`'s
    snapshot, a PostgreSQL one: the server's), each sorted, so that the same people make the
    same `Viewer` (the server keeps counts per viewer)."""
    names, statement = _lists_statement(viewer)
    if statement is None:
        return viewer
    found = connection.execute(statement).one()
    read = {name: tuple(sorted(ids or ())) for name, ids in zip(names, found, strict=True)}
    return replace(viewer, branches=read.get("branches", viewer.branches),
                   own=read.get("own", viewer.own), students=read.get("students", viewer.students))


@functools.lru_cache(maxsize=2048)
def _lists_statement(viewer: Viewer) -> tuple[tuple[str, ...], Select[Any] | None]:
    """The lists `with_students` reads for `viewer`, and the one statement reading them.

    Built once per viewer: every pull asks it, and building a faculty member's union of
    student queries and its cache key anew cost more than PostgreSQL's answering it."""
    wanted: dict[str, Select[tuple[uuid.UUID]]] = {}
    if viewer.branch_limited and viewer.branches is None:
        wanted["branches"] = _branches_query(viewer)
    if viewer.own is None:
        wanted["own"] = own_students(viewer.user_id)
    query = _student_query(viewer) if viewer.students is None else None
    if query is not None:
        wanted["students"] = query
    if not wanted:
        return (), None
    # One statement, one array per list: a pull used to ask three round trips for them.
    return tuple(wanted), select(*(id_array(part) for part in wanted.values()))


def id_array(ids: Select[tuple[uuid.UUID]]) -> ColumnElement[Any]:
    """`ids` as one uuid[] column (NULL when none): several lists read in one round trip."""
    return select(func.array_agg(ids.subquery().c[0])).scalar_subquery()


def branches_of_user(user_id: Any) -> Select[tuple[uuid.UUID]]:
    """The branches account `user_id` works in (links not deleted)."""
    links = _t("user_branches")
    return select(links.c.branch_id).where(links.c.user_id == user_id,
                                           links.c.deleted_at.is_(None))


def _branches_query(viewer: Viewer) -> Select[tuple[uuid.UUID]]:
    """The branches a branch-limited viewer works in: where they are linked, narrowed to
    their role's branch when it has one (a role holding branches.all limited to a branch
    works in that branch)."""
    if viewer.branch_limit is None:
        return branches_of_user(viewer.user_id)
    if viewer.may("branches.all"):
        return select(literal(viewer.branch_limit, Uuid))
    links = _t("user_branches")
    return branches_of_user(viewer.user_id).where(links.c.branch_id == viewer.branch_limit)


def _viewer_branches(viewer: Viewer) -> IdSource:
    if viewer.branches is not None:
        return viewer.branches
    return _branches_query(viewer)


def in_branches(table_name: str, viewer: Viewer) -> ColumnElement[bool]:
    """The SQL of `policy.in_their_branches`: the rows of `table_name` that lie in one of the
    viewer's branches, as `policy.BRANCH_OF` declares where they live."""
    if table_name not in policy.BRANCH_OF or not viewer.branch_limited:
        return true()
    mine = _viewer_branches(viewer)
    return _branch_clause(table_name, lambda column: _among(column, mine))


def in_branch_ids(table_name: str, branch_ids: Collection[uuid.UUID]) -> ColumnElement[bool]:
    """The rows of `table_name` that lie in one of `branch_ids` (a desk's branch filter: a
    plain IN list, which SQLite reads too), as `policy.BRANCH_OF` declares where they live;
    every row of a table that is not branch-scoped."""
    if table_name not in policy.BRANCH_OF:
        return true()
    ids = list(branch_ids)
    return _branch_clause(table_name, lambda column: column.in_(ids))


def _branch_clause(table_name: str, among: Callable[[ColumnElement[Any]], ColumnElement[bool]]
                   ) -> ColumnElement[bool]:
    """Where the rows of branch-scoped `table_name` lie, for `among` (a branch id column in the
    branches asked about): their own column, their parent row's branch, the branches of the
    account in `workers`, and (`empty_is_everywhere`) no branch at all."""
    how = policy.BRANCH_OF[table_name]
    table = _t(table_name)
    clause: ColumnElement[bool]
    if how.parent is None:
        clause = among(table.c[how.column])
    else:
        parent = _t(how.parent)
        clause = table.c[how.column].in_(
            select(parent.c.id).where(_branch_clause(how.parent, among)))
    if how.empty_is_everywhere:
        clause = or_(table.c[how.column].is_(None), clause)
    if how.workers is not None:
        links = _t("user_branches")
        clause = or_(clause, table.c[how.workers].in_(select(links.c.user_id).where(
            among(links.c.branch_id), links.c.deleted_at.is_(None))))
    return clause


def _faculty_batches(faculty_id: uuid.UUID) -> Select[tuple[uuid.UUID]]:
    bat = _t("flexible_batches")
    return select(bat.c.id).where(bat.c.faculty_id == faculty_id)


def visible(table_name: str, viewer: Viewer) -> ColumnElement[bool]:
    """The WHERE clause selecting the rows of `table_name` that `viewer` may see: the union of
    the SQL of the scopes `policy` declares for the table and the keys they hold (an
    undeclared table: nothing)."""
    try:
        scopes = policy.read_scopes(table_name, viewer.held)
    except policy.Undeclared:
        return false()
    if any(s.name == policy.EVERYTHING.name for s in scopes):
        # Every row (of their branches) holds whatever else they may read.
        scopes = (policy.EVERYTHING,)
    clauses = [_scope_clause(table_name, scope, viewer) for scope in scopes
               if scope.name != policy.NOTHING.name]
    return or_(*clauses) if clauses else false()


def _scope_clause(table_name: str, scope: policy.Scope, viewer: Viewer) -> ColumnElement[bool]:
    """The rows of `table_name` that `scope` gives `viewer`, within their branches unless the
    scope holds anywhere."""
    through = _PARENT_SCOPES.get(scope.name)
    if through is not None and not scope.anywhere and through.lives_with_parent(table_name):
        return through.clause(_t(table_name), viewer, in_branches(through.parent, viewer))
    clause = _SCOPE_SQL[scope.name](_t(table_name), viewer)
    return clause if scope.anywhere else and_(clause, in_branches(table_name, viewer))


@dataclass(frozen=True)
class _ParentRows:
    """A scope that picks rows by their parent: those whose `column` names a `parent` row
    where `where` holds (None: no parent row does).

    Such a table's rows also live in their parent's branch (`policy.BRANCH_OF`), and the
    branch filter is then asked inside the same subquery, of the same parent row:
    `column IN (parent rows where W) AND column IN (parent rows in their branches)` selects
    exactly what `column IN (parent rows where W and in their branches)` does, as a parent
    row is one id (its primary key) and `column` is never empty. Written twice, PostgreSQL
    joined the parent table twice: a faculty member's count of attendance_topics read all of
    its rows to match them against their students' attendance and again against the
    branch's."""

    column: str
    parent: str
    where: Callable[[Table, Viewer], ColumnElement[bool] | None]

    def lives_with_parent(self, table_name: str) -> bool:
        how = policy.BRANCH_OF.get(table_name)
        return how is not None and (how.column, how.parent) == (self.column, self.parent) \
            and how.workers is None and not how.empty_is_everywhere \
            and not table_of(table_name).c[self.column].nullable

    def clause(self, table: Table, viewer: Viewer,
               parent_branches: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
        parent = _t(self.parent)
        where = self.where(parent, viewer)
        if where is None:
            return false()
        if parent_branches is not None:
            where = and_(where, parent_branches)
        return table.c[self.column].in_(select(parent.c.id).where(where))


def _everything(_table: Table, _viewer: Viewer) -> ColumnElement[bool]:
    return true()


def _nothing(_table: Table, _viewer: Viewer) -> ColumnElement[bool]:
    return false()


def _own_entries(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    return table.c.user_id == viewer.user_id


def _own_account(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    return table.c.id == viewer.user_id


def _colleagues(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    clauses = [table.c.id == viewer.user_id, table.c.role != Role.STUDENT.value]
    students = _students_in(viewer)
    if students is not None:
        clauses.append(table.c.id.in_(
            select(_t("students").c.user_id).where(_among(_t("students").c.id, students))))
    return or_(*clauses)


def _of_students(column: str) -> Callable[[Table, Viewer], ColumnElement[bool]]:
    def clause(table: Table, viewer: Viewer) -> ColumnElement[bool]:
        students = _students_in(viewer)
        return false() if students is None else _among(table.c[column], students)
    return clause


def _of_own(column: str) -> Callable[[Table, Viewer], ColumnElement[bool]]:
    def clause(table: Table, viewer: Viewer) -> ColumnElement[bool]:
        if viewer.own == ():
            return false()  # staff, mostly: no student record of their own
        return _among(table.c[column], _own_in(viewer))
    return clause


def _student_or_inquiry_rows(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    about_inquiry = and_(table.c.student_id.is_(None), table.c.inquiry_id.isnot(None))
    students = _students_in(viewer)
    return about_inquiry if students is None else or_(_among(table.c.student_id, students),
                                                      about_inquiry)


def _their_students_attendance(attendance: Table, viewer: Viewer) -> ColumnElement[bool] | None:
    students = _students_in(viewer)
    return None if students is None else _among(attendance.c.student_id, students)


def _their_faculty_rows(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    return false() if viewer.faculty_id is None else table.c.faculty_id == viewer.faculty_id


def _their_batches_rows(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    if viewer.faculty_id is None:
        return false()
    return table.c.batch_id.in_(_faculty_batches(viewer.faculty_id))


def _their_batches_attendance(attendance: Table, viewer: Viewer) -> ColumnElement[bool] | None:
    if viewer.faculty_id is None:
        return None
    return attendance.c.batch_id.in_(_faculty_batches(viewer.faculty_id))


def audience_clause(table: Table, viewer: Viewer) -> ColumnElement[bool]:
    """policy.their_audience: everyone, their role, their batches, their own (the server's pull
    and a desk's notice board use this one clause)."""
    batch = table.c.audience == "batch"
    clauses = [table.c.audience == "everyone", table.c.author_id == viewer.user_id,
               and_(table.c.audience == "role", table.c.audience_role == viewer.role)]
    if viewer.faculty_id is not None:
        clauses.append(and_(batch, table.c.batch_id.in_(_faculty_batches(viewer.faculty_id))))
    if viewer.own != ():  # their own student records (staff have none)
        members = _t("batch_members")
        clauses.append(and_(batch, table.c.batch_id.in_(
            select(members.c.batch_id).where(
                _among(members.c.student_id, _own_in(viewer))))))
    return or_(*clauses)


# The scopes that pick rows by their parent row (policy.Scope.name).
_PARENT_SCOPES: dict[str, _ParentRows] = {
    policy.STUDENT_ATTENDANCE_TOPICS.name: _ParentRows("attendance_id", "session_attendance",
                                                       _their_students_attendance),
    policy.BATCH_ATTENDANCE_TOPICS.name: _ParentRows(
        "batch_attendance_id", "batch_session_attendance", _their_batches_attendance),
}

# The SQL of each read scope the policy names (policy.Scope.name).
_SCOPE_SQL: dict[str, Callable[[Table, Viewer], ColumnElement[bool]]] = {
    policy.EVERYTHING.name: _everything,
    policy.NOTHING.name: _nothing,
    policy.OWN_ENTRIES.name: _own_entries,
    policy.OWN_ACCOUNT.name: _own_account,
    policy.COLLEAGUES.name: _colleagues,
    policy.THEIR_STUDENTS.name: _of_students("id"),
    policy.OWN_STUDENT_RECORD.name: _of_own("id"),
    policy.STUDENT_ROWS.name: _of_students("student_id"),
    policy.OWN_STUDENT_ROWS.name: _of_own("student_id"),
    **{name: rows.clause for name, rows in _PARENT_SCOPES.items()},
    policy.STUDENT_OR_INQUIRY_ROWS.name: _student_or_inquiry_rows,
    policy.THEIR_BATCHES.name: _their_faculty_rows,
    policy.THEIR_FACULTY_ROWS.name: _their_faculty_rows,
    policy.BATCH_ROWS.name: _their_batches_rows,
    policy.THEIR_AUDIENCE.name: audience_clause,
}


def private_columns_shown(viewer: Viewer, owner_user: ColumnElement[Any]
                          ) -> ColumnElement[bool]:
    """Whether a row's private columns (faculty pay) go to this viewer: to administrators,
    and to the faculty member (`owner_user`, the row's users.id) it belongs to."""
    if viewer.sees_private:
        return true()
    return owner_user == viewer.user_id


def visible_with(table_name: str, viewer: Viewer, *extra: ColumnElement[bool]
                 ) -> ColumnElement[bool]:
    """`visible` combined with further conditions (version window, a row id ...)."""
    return and_(visible(table_name, viewer), *extra)
