"""Who may read and write which synced rows: the one declaration the server enforces.

For every synced table and role it says
- what the role reads (`Scope`; the SQL of each scope is in `scopes.py`, the pull uses it),
- which operations it may push (insert, update, soft delete, undelete), on which rows
  (`Rule`, checked on the row as it is BEFORE and as the change would leave it AFTER, so a
  change can neither reach into nor move a row out of the writer's rights) and which columns
  an update may change,
- which columns name the person who did it (`authors`: the server fills them from the token on
  insert, refuses any other value and never lets an update change them; `stamps`: when written
  they must name the pusher),
- which columns never leave the server (`secrets`),
- which columns hold a document number that must come from the pushing device's own series
  (`numbers`: receipts, credit notes and certificates, institute_core/numbering.py).

The server's push checks (`sync_server/sync/authorize.py`) and pull scopes read this module;
docs/security.md shows it as a table rendered by `python -m institute_core.sync.policy
--markdown`.

Branches (issue 17): `BRANCH_OF` says where each branch-scoped table's rows live (their own
`branch_id`, or their parent's branch). Every read scope and write rule of such a table is
limited to the asker's branches (`Facts.branches`; None for who sees every branch), so a desk of
one branch can neither pull nor push another branch's rows.

Keys of `TablePolicy.read`/`write` are roles today; issue 17 makes them permissions, which
only changes how a pusher's keys are found (`keys_of`).

A table missing here can be neither pulled nor pushed (see `table_policy`).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from institute_core.enums import DiscountKind, DiscountReason, Role
from institute_core.fees.discounts import Discount, amount_off, needs_approval
from institute_core.fees.money import MoneyProblem
from institute_core.ids import natural_id
from institute_core.schema import MODEL_BY_TABLE, table_of


class Op(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"  # setting deleted_at
    UNDELETE = "undelete"  # clearing deleted_at


ALL_OPS = frozenset(Op)
EDIT_OPS = frozenset({Op.INSERT, Op.UPDATE, Op.DELETE, Op.UNDELETE})
ROLES: tuple[str, ...] = (Role.SUPER_ADMIN.value, Role.ADMIN.value, Role.FACULTY.value,
                          Role.COUNSELOR.value, Role.STUDENT.value)
ADMINS = (Role.SUPER_ADMIN.value, Role.ADMIN.value)
# Columns every update may carry beside the ones it changes (the desk bumps updated_at).
ALWAYS_WRITABLE = frozenset({"updated_at"})


class Facts(Protocol):
    """Who asks, and the rows around the one a rule is about."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def faculty_id(self) -> uuid.UUID | None: ...

    def row(self, table: str, row_id: Any) -> Mapping[str, Any] | None: ...

    @property
    def branches(self) -> frozenset[str] | None:
        """Ids (lower-case text) of the branches the asker works in; None: not limited by
        branch (they see every branch, or their scope is their own records alone)."""
        ...

    def works_in(self, user_id: Any) -> frozenset[str]:
        """Ids (lower-case text) of the branches account `user_id` works in (user_branches)."""
        ...

    def branch_of(self, table: str, row_id: Any) -> Any:
        """The `branch_id` of row `row_id` of `table` (None when there is no such row)."""
        ...


class WriteFacts(Facts, Protocol):
    """What a write rule may ask about the pusher."""

    def owner(self, table: str, row: Mapping[str, Any]) -> uuid.UUID | None:
        """The users.id owning the row through its `__owner__` chain."""
        ...

    def anchored(self, student_id: Any) -> bool:
        """Whether the pusher may write about this student: faculty — enrolled with them or a
        member of their batch (never merely a session, which they can create themselves);
        counselor — they counsel the student."""
        ...

    def counsels_user(self, user_id: Any) -> bool:
        """Whether `user_id` is the account of a student the pusher counsels, and of no
        student anyone else counsels (an account shared with a colleague's student is not
        theirs to edit)."""
        ...

    def account_free(self, user_id: Any, student_id: Any) -> bool:
        """Whether no student record but `student_id` of account `user_id` is counselled by
        someone other than the pusher (linking a record to it takes nobody's account)."""
        ...


class ReadFacts(Facts, Protocol):
    """What a read scope's Python form asks (the pull itself uses the SQL in scopes.py)."""

    def sees_student(self, student_id: Any) -> bool: ...

    def students_of_user(self, user_id: Any) -> list[Any]:
        """Ids of the student records of account `user_id`."""
        ...


Row = Mapping[str, Any]


def same(a: Any, b: Any) -> bool:
    """Ids compare equal whether they arrive as UUID or text."""
    if a is None or b is None:
        return a is None and b is None
    return str(a).lower() == str(b).lower()


@dataclass(frozen=True)
class Rule:
    """A row predicate of a write grant: `text` completes "on rows where ..."."""

    text: str
    check: Callable[[WriteFacts, str, Row], bool] = field(compare=False)
    # The same rule without its branch condition (None: it has none).
    plain: Rule | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Scope:
    """A read scope: `name` selects its SQL in scopes.py, `check` is the same in Python."""

    name: str
    text: str
    check: Callable[[ReadFacts, str, Row], bool] = field(compare=False)


@dataclass(frozen=True)
class Grant:
    """Operations a role may push on rows satisfying `row` (before and after the change).

    `columns`: what an update may change (None: every column except authors). `on_insert`:
    the rule a new row must satisfy instead of `row`, where creating differs from editing.
    """

    ops: frozenset[Op]
    row: Rule
    columns: frozenset[str] | None = None
    on_insert: Rule | None = None

    def rule_for(self, op: Op) -> Rule:
        return self.on_insert if op is Op.INSERT and self.on_insert is not None else self.row


class Author(StrEnum):
    USER = "user"  # the pusher's users.id
    FACULTY = "faculty"  # the pusher's faculties.id


@dataclass(frozen=True)
class TablePolicy:
    read: Mapping[str, Scope]
    write: Mapping[str, tuple[Grant, ...]]
    authors: Mapping[str, Author] = field(default_factory=dict)
    stamps: Mapping[str, Author] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    # Where its rows live when the table is branch-scoped (BRANCH_OF).
    branch: BranchOf | None = None


# --- branches -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BranchOf:
    """Where the rows of a branch-scoped table live: in the branch their `column` names, or
    (with `parent`) in the branch of the `parent` row `column` points at; with `workers`, also
    in every branch the account in that column works in (a faculty member teaching in two)."""

    column: str
    parent: str | None = None
    workers: str | None = None
    # An empty `column` puts the row in every branch (an announcement for the whole institute).
    empty_is_everywhere: bool = False

    @property
    def text(self) -> str:
        where = (f"{self.column} is one of their branches" if self.parent is None
                 else f"its {self.parent} row ({self.column}) is in one of their branches")
        if self.empty_is_everywhere:
            where += f", or {self.column} is empty (every branch)"
        if self.workers is not None:
            where += f", or the account ({self.workers}) works in one of them"
        return where


def _student_owned() -> dict[str, BranchOf]:
    """Every synced table whose rows hang off a student (a `student_id` foreign key): they
    live where the student does, and a table added later is covered the day it is added."""
    owned: dict[str, BranchOf] = {}
    for name in MODEL_BY_TABLE:
        column = table_of(name).c.get("student_id")
        # A row that may name no student (a message to an inquiry) cannot live through it:
        # such tables are not branch-scoped yet (docs/security.md).
        if column is not None and not column.nullable and any(
                fk.column.table.name == "students" for fk in column.foreign_keys):
            owned[name] = BranchOf("student_id", "students")
    return owned


# The one declaration of where rows live; scopes.py turns it into SQL. Shared by every branch:
# the list of branches, accounts (staff are a directory; a student's account follows their
# record through the `users` scope), the syllabus, the audit log and password resets (their
# own scopes), import runs. Money: a student's fee rows live where the student does (a payment
# also records where it was taken, `payments.branch_id`, which a branch's desk must push as
# one of its own); fee heads, expenses and salary payments are each a branch's own.
BRANCH_OF: dict[str, BranchOf] = {
    **_student_owned(),
    "user_branches": BranchOf("branch_id"),
    "students": BranchOf("branch_id"),
    "faculties": BranchOf("branch_id", workers="user_id"),
    "flexible_batches": BranchOf("branch_id"),
    "crm_inquiries": BranchOf("branch_id"),
    "attendance_topics": BranchOf("attendance_id", "session_attendance"),
    "batch_attendance_topics": BranchOf("batch_attendance_id", "batch_session_attendance"),
    "faculty_reports": BranchOf("faculty_id", "faculties"),
    "enrollment_faculty_moves": BranchOf("enrollment_id", "student_subject_enrollments"),
    "inquiry_subjects": BranchOf("inquiry_id", "crm_inquiries"),
    "follow_ups": BranchOf("inquiry_id", "crm_inquiries"),
    "fee_heads": BranchOf("branch_id"),
    "expenses": BranchOf("branch_id"),
    "salary_payments": BranchOf("branch_id"),
    "announcements": BranchOf("branch_id", empty_is_everywhere=True),
    "announcement_reads": BranchOf("announcement_id", "announcements"),
}


def _key(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def in_their_branches(f: Facts, table: str, row: Row) -> bool:
    """Whether `row` of `table` lies in one of the asker's branches (always, when they are not
    limited by branch or the table is not branch-scoped)."""
    mine = f.branches
    how = BRANCH_OF.get(table)
    if mine is None or how is None:
        return True
    value = row.get(how.column)
    if value is None and how.empty_is_everywhere:
        return True
    if how.parent is None:
        found = _key(value) in mine
    else:
        parent_how = BRANCH_OF[how.parent]
        if parent_how.parent is None and parent_how.workers is None:
            branch = f.branch_of(how.parent, value)
            found = _key(branch) in mine or (branch is None and parent_how.empty_is_everywhere
                                             and f.row(how.parent, value) is not None)
        else:
            parent = f.row(how.parent, value) if value is not None else None
            found = parent is not None and in_their_branches(f, how.parent, parent)
    if not found and how.workers is not None and row.get(how.workers) is not None:
        found = bool(f.works_in(row[how.workers]) & mine)
    return found


BRANCH_TEXT = "in their branches"


def _scope_in_branches(scope: Scope) -> Scope:
    if scope.name == "nothing":
        return scope
    return Scope(scope.name, f"{scope.text}, {BRANCH_TEXT}",
                 lambda f, t, r: scope.check(f, t, r) and in_their_branches(f, t, r))


def _rule_in_branches(rule: Rule) -> Rule:
    return Rule(f"{rule.text}, {BRANCH_TEXT}",
                lambda f, t, r: rule.check(f, t, r) and in_their_branches(f, t, r),
                plain=rule)


def _grant_in_branches(grant: Grant) -> Grant:
    return Grant(grant.ops, _rule_in_branches(grant.row), grant.columns,
                 None if grant.on_insert is None else _rule_in_branches(grant.on_insert))


# --- read scopes ------------------------------------------------------------------------------

EVERYTHING = Scope("everything", "every row", lambda f, t, r: True)
NOTHING = Scope("nothing", "nothing", lambda f, t, r: False)
OWN_ENTRIES = Scope("own_entries", "rows about themselves (user_id)",
                    lambda f, t, r: same(r.get("user_id"), f.user_id))
OWN_ACCOUNT = Scope("own_account", "their own account", lambda f, t, r: same(r["id"], f.user_id))


def _sees_user(f: ReadFacts, _t: str, r: Row) -> bool:
    if same(r["id"], f.user_id) or r.get("role") != Role.STUDENT.value:
        return True
    return any(f.sees_student(s) for s in f.students_of_user(r["id"]))


COLLEAGUES = Scope("colleagues", "their own account, staff accounts and their students' accounts",
                   _sees_user)
THEIR_STUDENTS = Scope("their_students", "their students",
                       lambda f, t, r: f.sees_student(r["id"]))
OWN_STUDENT_RECORD = Scope("own_student_record", "their own student record",
                           lambda f, t, r: f.sees_student(r["id"]))
STUDENT_ROWS = Scope("their_students_rows", "rows of their students",
                     lambda f, t, r: f.sees_student(r.get("student_id")))
OWN_STUDENT_ROWS = Scope("own_student_rows", "their own rows (student_id is their record)",
                         STUDENT_ROWS.check)


def _attendance_student(f: ReadFacts, attendance_id: Any) -> Any:
    row = f.row("session_attendance", attendance_id)
    return None if row is None else row.get("student_id")


STUDENT_ATTENDANCE_TOPICS = Scope(
    "their_students_attendance_topics", "topics of their students' attendance",
    lambda f, t, r: f.sees_student(_attendance_student(f, r.get("attendance_id"))))


def _my_batch(f: Facts, batch_id: Any) -> bool:
    batch = f.row("flexible_batches", batch_id) if batch_id is not None else None
    return batch is not None and f.faculty_id is not None \
        and same(batch.get("faculty_id"), f.faculty_id)


def _batch_of_attendance(f: ReadFacts, attendance_id: Any) -> Any:
    row = f.row("batch_session_attendance", attendance_id) if attendance_id else None
    return None if row is None else row.get("batch_id")


THEIR_BATCHES = Scope("their_batches", "their own batches (faculty_id)",
                      lambda f, t, r: f.faculty_id is not None
                      and same(r.get("faculty_id"), f.faculty_id))
THEIR_FACULTY_ROWS = Scope("their_faculty_rows", "their own rows (faculty_id)",
                           THEIR_BATCHES.check)
BATCH_ROWS = Scope("their_batches_rows", "rows of their batches",
                   lambda f, t, r: _my_batch(f, r.get("batch_id")))
STUDENT_OR_INQUIRY_ROWS = Scope(
    "their_students_or_inquiry_rows", "rows of their students, and rows about an inquiry",
    lambda f, t, r: f.sees_student(r.get("student_id"))
    or (r.get("student_id") is None and r.get("inquiry_id") is not None))
BATCH_ATTENDANCE_TOPICS = Scope(
    "their_batch_attendance_topics", "topics of their batches' attendance",
    lambda f, t, r: _my_batch(f, _batch_of_attendance(f, r.get("batch_attendance_id"))))


def _in_batch_audience(f: ReadFacts, role: str, batch_id: Any) -> bool:
    """A batch's announcement reaches its faculty member and its students."""
    if batch_id is None:
        return False
    if _my_batch(f, batch_id):
        return True
    batch = uuid.UUID(str(batch_id))
    return role == Role.STUDENT.value and any(
        f.row("batch_members", natural_id("batch_members", batch, uuid.UUID(str(s))))
        is not None for s in f.students_of_user(f.user_id))


def their_audience(role: str) -> Scope:
    """Announcements for everyone, for `role`, for one of their batches, or their own."""
    def check(f: ReadFacts, _t: str, r: Row) -> bool:
        audience = r.get("audience")
        return same(r.get("author_id"), f.user_id) or audience == "everyone" \
            or (audience == "role" and r.get("audience_role") == role) \
            or (audience == "batch" and _in_batch_audience(f, role, r.get("batch_id")))
    return Scope("their_audience", "announcements for everyone, their role, their batches "
                 "(as its teacher or a member), or their own", check)


# --- write rules ------------------------------------------------------------------------------

def _is_me(column: str) -> Callable[[WriteFacts, str, Row], bool]:
    return lambda f, t, r: same(r.get(column), f.user_id)


def _is_my_faculty(column: str) -> Callable[[WriteFacts, str, Row], bool]:
    return lambda f, t, r: f.faculty_id is not None and same(r.get(column), f.faculty_id)


ANY_ROW = Rule("any row", lambda f, t, r: True)
SELF = Rule("the row is their own account", lambda f, t, r: same(r["id"], f.user_id))
OTHER_ACCOUNT = Rule("the account is not their own", lambda f, t, r: not same(r["id"], f.user_id))
STAFF_BELOW_ADMIN = (Role.FACULTY.value, Role.COUNSELOR.value, Role.STUDENT.value)
MANAGED_BY_ADMIN = Rule(
    "the account is a faculty, counselor or student account, not their own",
    lambda f, t, r: not same(r["id"], f.user_id) and r.get("role") in STAFF_BELOW_ADMIN)
NEW_STUDENT_ACCOUNT = Rule("the new account is a student account",
                           lambda f, t, r: r.get("role") == Role.STUDENT.value)
COUNSELED_ACCOUNT = Rule(
    "the account is a student account of a student they counsel",
    lambda f, t, r: r.get("role") == Role.STUDENT.value and f.counsels_user(r["id"]))


def _reset_of(roles: tuple[str, ...] | None) -> Callable[[WriteFacts, str, Row], bool]:
    def check(f: WriteFacts, _t: str, r: Row) -> bool:
        target = f.row("users", r.get("user_id")) if r.get("user_id") is not None else None
        if target is None or not r.get("verifier"):
            return False
        return roles is None or (target.get("role") in roles
                                 and not same(target["id"], f.user_id))
    return check


RESET_ANY = Rule("a new verifier for any account", _reset_of(None))
RESET_MANAGED = Rule("a new verifier for a faculty, counselor or student account, not their own",
                     _reset_of(STAFF_BELOW_ADMIN))
OWN_ENTRY = Rule("the entry is theirs (user_id, set by the server)", _is_me("user_id"))
FOR_THEMSELVES = Rule("user_id is their own account", _is_me("user_id"))
OWN_FACULTY_RECORD = Rule("the record is their own (user_id)", _is_me("user_id"))
MY_BATCH = Rule("the batch is theirs (faculty_id)", _is_my_faculty("faculty_id"))
MY_FACULTY_REPORT = Rule("the report is about them (faculty_id)", _is_my_faculty("faculty_id"))
OWNED = Rule("the row belongs to them through its parent (see __owner__)",
             lambda f, t, r: same(f.owner(t, r), f.user_id))
TAUGHT = ("the student is enrolled with them or in one of their batches "
          "(a session they create themselves does not count)")
MY_STUDENT = Rule(TAUGHT, lambda f, t, r: f.anchored(r.get("student_id")))
TAUGHT_STUDENT_RECORD = Rule(TAUGHT.replace("the student", "the student (this row)"),
                             lambda f, t, r: f.anchored(r["id"]))
MY_ROW_MY_STUDENT = Rule(f"faculty_id is theirs and {TAUGHT}",
                         lambda f, t, r: _is_my_faculty("faculty_id")(f, t, r)
                         and f.anchored(r.get("student_id")))
OWNED_MY_STUDENT = Rule(f"the parent is theirs (__owner__) and {TAUGHT}",
                        lambda f, t, r: OWNED.check(f, t, r) and f.anchored(r.get("student_id")))
MY_STUDENT_MAYBE_MINE = Rule(
    f"{TAUGHT}; faculty_id, if set, is theirs",
    lambda f, t, r: f.anchored(r.get("student_id"))
    and (r.get("faculty_id") is None or _is_my_faculty("faculty_id")(f, t, r)))
def _counseled_student(f: WriteFacts, t: str, r: Row) -> bool:
    # The record must belong to a student account: linked to a staff account, it would show
    # that person the student's history on their own desk.
    account = f.row("users", r.get("user_id"))
    return _is_me("counselor_id")(f, t, r) and account is not None \
        and account.get("role") == Role.STUDENT.value \
        and f.account_free(r.get("user_id"), r.get("id"))


COUNSELED_STUDENT = Rule("they counsel the student (counselor_id) and user_id is a student "
                         "account no other counselor's student has", _counseled_student)
COUNSELED_ROW = Rule("they counsel the student (the student's counselor_id)",
                     lambda f, t, r: f.anchored(r.get("student_id")))

# Messages (issue 19). Events a faculty member's attendance marks and session changes cause
# (never free text).
_FACULTY_EVENTS = frozenset({"absent", "session_cancelled", "session_rescheduled"})
ABSENCE_ALERT = Rule(
    f"an absence alert or a session cancelled or rescheduled (event absent, session_cancelled, "
    f"session_rescheduled) and {TAUGHT}",
    lambda f, t, r: r.get("event") in _FACULTY_EVENTS and f.anchored(r.get("student_id")))
COUNSELED_OR_INQUIRY = Rule(
    "about an inquiry (no student), or they counsel the student",
    lambda f, t, r: (r.get("student_id") is None and r.get("inquiry_id") is not None)
    or (r.get("student_id") is not None and f.anchored(r.get("student_id"))))
# A queued message's text and recipient are fixed once queued; a desk may only cancel it.
CANCEL_ONLY = frozenset({"cancelled_at"})

OWN_ACCOUNT_FIELDS = frozenset({"first_name", "last_name", "phone", "avatar_url"})
OWN_FACULTY_FIELDS = frozenset({"specialization", "qualification", "available_time_slots",
                                "max_hours_per_day", "max_students_per_day"})
# What the teacher keeps up to date; who is enrolled, in what and with whom is the office's.
ENROLLMENT_PROGRESS = frozenset({"expected_completion_date", "actual_completion_date",
                                 "completion_percentage", "status", "notes"})
ENROLLMENT_OFFICE = frozenset({"expected_completion_date", "status", "notes"})
STUDENT_LEARNING = frozenset({"learning_style", "preferred_schedule"})
# What may change on an issued certificate: only that it was revoked, and why.
CERTIFICATE_REVOCATION = frozenset({"revoked_at", "revoked_reason"})


def _approval_pending(f: WriteFacts, t: str, r: Row) -> bool:
    return COUNSELED_ROW.check(f, t, r) and r.get("approved_by") is None \
        and r.get("status") == "pending"


def _within_limit(f: WriteFacts, t: str, r: Row) -> bool:
    """An approved discount nobody approved: only within the limits the student's branch set,
    and only taking off what its kind and value take off the plan (the server works it out;
    it trusts no figure of the desk's)."""
    if not (COUNSELED_ROW.check(f, t, r) and r.get("status") == "approved"
            and r.get("approved_by") is None and r.get("approved_at") is None):
        return False
    plan = f.row("fee_plans", r.get("plan_id"))
    if plan is None or not same(plan.get("student_id"), r.get("student_id")):
        return False
    branch = f.row("branches", f.branch_of("students", r.get("student_id")))
    if branch is None:
        return False
    try:
        off = amount_off(plan["total"], Discount(DiscountKind(r["kind"]), r["value"],
                                                 DiscountReason(r["reason"])))
        return off == Decimal(str(r.get("amount"))) and not needs_approval(
            plan["total"], off, branch.get("discount_limit_percent"),
            branch.get("discount_limit_amount"))
    except (MoneyProblem, ArithmeticError, KeyError, TypeError, ValueError):
        return False


PENDING_DISCOUNT = Rule("they counsel the student and the discount waits for an admin "
                        "(status pending, approved_by empty)", _approval_pending)
DISCOUNT_WITHIN_LIMIT = Rule(
    "they counsel the student and the discount waits for an admin (status pending, "
    "approved_by empty), or it is within the discount limit of the student's branch "
    "(amount as its kind and value take off the plan; above the limit only an admin approves)",
    lambda f, t, r: _approval_pending(f, t, r) or _within_limit(f, t, r))


def _taken_here(f: WriteFacts, t: str, r: Row) -> bool:
    mine = f.branches
    return COUNSELED_ROW.check(f, t, r) and (mine is None or _key(r.get("branch_id")) in mine)


TAKEN_HERE = Rule("they counsel the student and the money was taken in one of their branches "
                  "(branch_id)", _taken_here)
_CHEQUE_STEPS = frozenset({"deposited", "cleared", "bounced"})
CHEQUE_STEP = Rule("they counsel the student and the event is a cheque's deposit, clearing or "
                   "bounce (only an admin cancels)",
                   lambda f, t, r: COUNSELED_ROW.check(f, t, r) and r.get("kind") in _CHEQUE_STEPS)


def _reads(faculty: Scope, counselor: Scope, student: Scope = NOTHING) -> dict[str, Scope]:
    return {Role.SUPER_ADMIN.value: EVERYTHING, Role.ADMIN.value: EVERYTHING,
            Role.FACULTY.value: faculty, Role.COUNSELOR.value: counselor,
            Role.STUDENT.value: student}


def _admins(*extra: tuple[str, tuple[Grant, ...]]) -> dict[str, tuple[Grant, ...]]:
    """Administrators may do anything to every row, plus the other roles' grants."""
    grants: dict[str, tuple[Grant, ...]] = {role: (Grant(ALL_OPS, ANY_ROW),) for role in ADMINS}
    grants.update(dict(extra))
    return grants


FACULTY, COUNSELOR = Role.FACULTY.value, Role.COUNSELOR.value
STAFF = (*ADMINS, FACULTY, COUNSELOR)
_SYLLABUS = TablePolicy(read=_reads(EVERYTHING, EVERYTHING, EVERYTHING), write=_admins())
# A student (and the portal, reading for a student or their guardian) sees their own rows of
# these tables: their schedule, attendance, progress, assessments and feedback.
_FACULTY_OWN = _reads(STUDENT_ROWS, NOTHING, OWN_STUDENT_ROWS)
_COUNSELOR_TOO = _reads(STUDENT_ROWS, STUDENT_ROWS, OWN_STUDENT_ROWS)
_BATCH_AND_OWN = _reads(BATCH_ROWS, NOTHING, OWN_STUDENT_ROWS)

INSERT_ONLY = frozenset({Op.INSERT})


def _facts(counselor: Rule | None) -> dict[str, tuple[Grant, ...]]:
    """Money facts: inserted, never edited nor deleted, by anyone (a correction is a new row)."""
    grants: dict[str, tuple[Grant, ...]] = {role: (Grant(INSERT_ONLY, ANY_ROW),)
                                            for role in ADMINS}
    if counselor is not None:
        grants[COUNSELOR] = (Grant(INSERT_ONLY, counselor),)
    return grants


# Faculty see no money; counselors see and take their students' (issue 18); a student (and
# the portal, reading for a student or their guardian) sees their own dues, receipts and
# refunds (issue 20). One block, keyed by role today: issue 17's permissions (fees.collect,
# fees.refund, fees.configure, reports.financial) replace the keys here and nothing else.
_MONEY_OF_STUDENTS = _reads(NOTHING, STUDENT_ROWS, OWN_STUDENT_ROWS)
_ADMINS_ONLY = _reads(NOTHING, NOTHING)
FEES_POLICY: dict[str, TablePolicy] = {
    "fee_heads": TablePolicy(read=_reads(NOTHING, EVERYTHING), write=_admins()),
    "fee_plans": TablePolicy(read=_MONEY_OF_STUDENTS,
                             write=_admins((COUNSELOR, (Grant(INSERT_ONLY, COUNSELED_ROW),)))),
    "fee_instalments": TablePolicy(
        read=_MONEY_OF_STUDENTS, write=_admins((COUNSELOR, (Grant(INSERT_ONLY, COUNSELED_ROW),)))),
    "fee_discounts": TablePolicy(
        read=_MONEY_OF_STUDENTS,
        write=_admins((COUNSELOR, (Grant(INSERT_ONLY, DISCOUNT_WITHIN_LIMIT),))),
        authors={"requested_by": Author.USER}, stamps={"approved_by": Author.USER}),
    "payments": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(TAKEN_HERE),
                            authors={"received_by": Author.USER},
                            numbers=frozenset({"receipt_no"})),
    "payment_allocations": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(COUNSELED_ROW)),
    "payment_events": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(CHEQUE_STEP),
                                  authors={"recorded_by": Author.USER}),
    "refunds": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(None),
                           authors={"refunded_by": Author.USER},
                           numbers=frozenset({"credit_note_no"})),
    # A defaulter to chase: the student's counselor schedules and closes it, as a CRM follow-up.
    # Notes about chasing a student's dues are the office's: the student (and the portal) never
    # reads them.
    "fee_follow_ups": TablePolicy(
        read=_reads(NOTHING, STUDENT_ROWS),
        write=_admins((COUNSELOR, (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_ROW),))),
        authors={"created_by": Author.USER}),
    "expenses": TablePolicy(read=_ADMINS_ONLY, write=_admins(),
                            authors={"entered_by": Author.USER}),
    "salary_payments": TablePolicy(read=_ADMINS_ONLY, write=_admins(),
                                   authors={"entered_by": Author.USER}),
}

POLICY: dict[str, TablePolicy] = {
    # The directory of centres is no branch's own data: a transfer names where a student goes.
    "branches": TablePolicy(read=_reads(EVERYTHING, EVERYTHING, EVERYTHING), write=_admins()),
    "users": TablePolicy(
        read=_reads(COLLEAGUES, COLLEAGUES, OWN_ACCOUNT),
        write={
            # Nobody changes their own role, status or email by a push, nor deletes themselves.
            Role.SUPER_ADMIN.value: (Grant(ALL_OPS, OTHER_ACCOUNT),
                                     Grant(frozenset({Op.UPDATE}), SELF, OWN_ACCOUNT_FIELDS)),
            Role.ADMIN.value: (Grant(ALL_OPS, MANAGED_BY_ADMIN),
                               Grant(frozenset({Op.UPDATE}), SELF, OWN_ACCOUNT_FIELDS)),
            FACULTY: (Grant(frozenset({Op.UPDATE}), SELF, OWN_ACCOUNT_FIELDS),),
            COUNSELOR: (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_ACCOUNT,
                              frozenset({"email", "first_name", "last_name", "phone",
                                         "avatar_url"}),
                              on_insert=NEW_STUDENT_ACCOUNT),
                        Grant(frozenset({Op.UPDATE}), SELF, OWN_ACCOUNT_FIELDS)),
        }),
    # Who works where: a desk holds the links into its own branches.
    "user_branches": TablePolicy(read=_reads(EVERYTHING, EVERYTHING), write=_admins()),
    "subjects": _SYLLABUS,
    "subject_prerequisites": _SYLLABUS,
    "topics": _SYLLABUS,
    "topic_prerequisites": _SYLLABUS,
    "students": TablePolicy(
        read=_reads(THEIR_STUDENTS, THEIR_STUDENTS, OWN_STUDENT_RECORD),
        write=_admins(
            (FACULTY, (Grant(frozenset({Op.UPDATE}), TAUGHT_STUDENT_RECORD, STUDENT_LEARNING),)),
            (COUNSELOR, (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_STUDENT),)))),
    "student_branch_moves": TablePolicy(read=_COUNSELOR_TOO, write=_admins(),
                                        authors={"moved_by": Author.USER}),
    "faculties": TablePolicy(
        read=_reads(EVERYTHING, EVERYTHING),
        write=_admins((FACULTY, (Grant(frozenset({Op.UPDATE}), OWN_FACULTY_RECORD,
                                       OWN_FACULTY_FIELDS),)))),
    "student_subject_enrollments": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_admins(
            (FACULTY, (Grant(frozenset({Op.UPDATE}), MY_ROW_MY_STUDENT, ENROLLMENT_PROGRESS),)),
            (COUNSELOR, (Grant(frozenset({Op.INSERT}), COUNSELED_ROW),
                         Grant(frozenset({Op.UPDATE}), COUNSELED_ROW, ENROLLMENT_OFFICE))))),
    # Counselors see the schedule of their students but change none of it.
    "learning_sessions": TablePolicy(
        read=_COUNSELOR_TOO, write=_admins((FACULTY, (Grant(EDIT_OPS, MY_ROW_MY_STUDENT),)))),
    "session_attendance": TablePolicy(
        read=_FACULTY_OWN, write=_admins((FACULTY, (Grant(EDIT_OPS, OWNED_MY_STUDENT),)))),
    "attendance_topics": TablePolicy(
        read=_reads(STUDENT_ATTENDANCE_TOPICS, NOTHING),
        write=_admins((FACULTY, (Grant(EDIT_OPS, OWNED),)))),
    "student_topic_progress": TablePolicy(
        read=_FACULTY_OWN, write=_admins((FACULTY, (Grant(EDIT_OPS, MY_STUDENT),))),
        stamps={"last_updated_by": Author.FACULTY}),
    "flexible_batches": TablePolicy(
        read=_reads(THEIR_BATCHES, NOTHING),
        write=_admins((FACULTY, (Grant(EDIT_OPS, MY_BATCH),)))),
    "batch_members": TablePolicy(
        read=_BATCH_AND_OWN,
        write=_admins((FACULTY, (Grant(EDIT_OPS, OWNED_MY_STUDENT),)))),
    "batch_session_attendance": TablePolicy(
        read=_BATCH_AND_OWN,
        write=_admins((FACULTY, (Grant(EDIT_OPS, OWNED_MY_STUDENT),)))),
    "batch_attendance_topics": TablePolicy(
        read=_reads(BATCH_ATTENDANCE_TOPICS, NOTHING),
        write=_admins((FACULTY, (Grant(EDIT_OPS, OWNED),)))),
    "assessments": TablePolicy(
        read=_FACULTY_OWN, write=_admins((FACULTY, (Grant(EDIT_OPS, MY_ROW_MY_STUDENT),)))),
    # The front desk shares its leads: every counselor works every inquiry.
    "crm_inquiries": TablePolicy(
        read=_reads(NOTHING, EVERYTHING), write=_admins((COUNSELOR, (Grant(EDIT_OPS, ANY_ROW),)))),
    "inquiry_subjects": TablePolicy(
        read=_reads(NOTHING, EVERYTHING), write=_admins((COUNSELOR, (Grant(EDIT_OPS, ANY_ROW),)))),
    "follow_ups": TablePolicy(
        read=_reads(NOTHING, EVERYTHING), write=_admins((COUNSELOR, (Grant(EDIT_OPS, ANY_ROW),))),
        authors={"counselor_id": Author.USER}),
    "rewards_penalties": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_admins((FACULTY, (Grant(EDIT_OPS, MY_STUDENT_MAYBE_MINE),)),
                      (COUNSELOR, (Grant(EDIT_OPS, COUNSELED_ROW),))),
        authors={"created_by": Author.USER}),
    "feedback": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_admins((FACULTY, (Grant(EDIT_OPS, MY_STUDENT_MAYBE_MINE),)),
                      (COUNSELOR, (Grant(EDIT_OPS, COUNSELED_ROW),))),
        stamps={"reviewed_by": Author.USER}),
    "student_reports": TablePolicy(
        read=_reads(STUDENT_ROWS, NOTHING),
        write=_admins((FACULTY, (Grant(EDIT_OPS, MY_STUDENT),))),
        authors={"generated_by": Author.USER}),
    "faculty_reports": TablePolicy(
        read=_reads(THEIR_FACULTY_ROWS, NOTHING),
        write=_admins((FACULTY, (Grant(EDIT_OPS, MY_FACULTY_REPORT),))),
        authors={"generated_by": Author.USER}),
    "import_runs": TablePolicy(read=_reads(NOTHING, NOTHING), write=_admins(),
                               authors={"user_id": Author.USER}),
    "enrollment_faculty_moves": TablePolicy(read=_reads(NOTHING, NOTHING), write=_admins(),
                                            authors={"moved_by": Author.USER}),
    # Append-only: each desk records its own user's changes and sign-ins (issue 5).
    "audit_log": TablePolicy(
        read=_reads(OWN_ENTRIES, OWN_ENTRIES, OWN_ENTRIES),
        write={role: (Grant(frozenset({Op.INSERT}), OWN_ENTRY),)
               for role in (*ADMINS, FACULTY, COUNSELOR)},
        authors={"user_id": Author.USER}),
    # Only who was reset reaches a desk (so it stops trusting cached verifiers), never the
    # verifier; a reset is written once and never edited.
    "password_resets": TablePolicy(
        read=_reads(OWN_ENTRIES, OWN_ENTRIES, OWN_ENTRIES),
        write={Role.SUPER_ADMIN.value: (Grant(frozenset({Op.INSERT}), RESET_ANY),),
               Role.ADMIN.value: (Grant(frozenset({Op.INSERT}), RESET_MANAGED),)},
        authors={"reset_by": Author.USER}, secrets=frozenset({"verifier"})),
    **FEES_POLICY,
    # Certificates (issue 20): administrators keep the templates and issue, by hand or by the
    # templates' rules; a certificate is a fact, so afterwards it can only be revoked.
    "certificate_templates": TablePolicy(read=_reads(EVERYTHING, EVERYTHING), write=_admins()),
    "certificates": TablePolicy(
        read=_reads(STUDENT_ROWS, STUDENT_ROWS, OWN_STUDENT_ROWS),
        write={role: (Grant(frozenset({Op.INSERT, Op.UPDATE}), ANY_ROW, CERTIFICATE_REVOCATION),)
               for role in ADMINS},
        authors={"issued_by": Author.USER}, numbers=frozenset({"certificate_number"})),
    # --- messages (issue 19) ---
    # Faculty see their students' guardians (their attendance marks alert them); counselors
    # keep the guardians of the students they counsel.
    "guardians": TablePolicy(
        read=_COUNSELOR_TOO, write=_admins((COUNSELOR, (Grant(EDIT_OPS, COUNSELED_ROW),)))),
    # Opt-outs are an administrator's action (or a STOP reply the server records).
    "message_consents": TablePolicy(read=_reads(NOTHING, EVERYTHING), write=_admins()),
    "message_templates": TablePolicy(read=_reads(EVERYTHING, EVERYTHING), write=_admins()),
    "message_triggers": TablePolicy(read=_reads(EVERYTHING, EVERYTHING), write=_admins()),
    "messages": TablePolicy(
        read=_reads(STUDENT_ROWS, STUDENT_OR_INQUIRY_ROWS),
        write=_admins(
            (FACULTY, (Grant(frozenset({Op.INSERT, Op.UPDATE}), ABSENCE_ALERT, CANCEL_ONLY),)),
            (COUNSELOR, (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_OR_INQUIRY,
                               CANCEL_ONLY),))),
        authors={"created_by": Author.USER}),
    # The server's dispatcher writes what happened to a message; a super administrator may
    # correct a record by hand (a delivery a parent confirmed), nobody else.
    "message_deliveries": TablePolicy(
        read=_reads(STUDENT_ROWS, STUDENT_OR_INQUIRY_ROWS),
        write={Role.SUPER_ADMIN.value: (Grant(ALL_OPS, ANY_ROW),)}),
    # --- notice board and staff notifications (issue 19) ---
    # Administrators post; everyone pulls what is for their audience (and branch, BRANCH_OF).
    "announcements": TablePolicy(
        read={role: EVERYTHING if role in ADMINS else their_audience(role) for role in ROLES},
        write=_admins(), authors={"author_id": Author.USER}),
    # A read receipt is written once, by its reader (user_id must be the pusher: it is part of
    # the natural key, so the rule checks it rather than the server filling it in);
    # administrators (the authors) see them all.
    # A super administrator may correct any receipt or notification by hand (as deliveries).
    "announcement_reads": TablePolicy(
        read=_reads(OWN_ENTRIES, OWN_ENTRIES, OWN_ENTRIES),
        write={**{role: (Grant(INSERT_ONLY, FOR_THEMSELVES),) for role in STAFF},
               Role.SUPER_ADMIN.value: (Grant(ALL_OPS, ANY_ROW),)}),
    # Each desk makes its own user's bell; on another desk of theirs only "read" changes it.
    "staff_notifications": TablePolicy(
        read={**{role: OWN_ENTRIES for role in ROLES}, Role.SUPER_ADMIN.value: EVERYTHING},
        write={**{role: (Grant(frozenset({Op.INSERT, Op.UPDATE}), FOR_THEMSELVES,
                               frozenset({"read_at"})),) for role in STAFF},
               Role.SUPER_ADMIN.value: (Grant(ALL_OPS, ANY_ROW),)}),
}


def _within_branches(table: str, declared: TablePolicy) -> TablePolicy:
    """The table's policy with every scope and rule limited to the asker's branches."""
    how = BRANCH_OF.get(table)
    if how is None:
        return declared
    return TablePolicy(
        read={role: _scope_in_branches(scope) for role, scope in declared.read.items()},
        write={role: tuple(_grant_in_branches(g) for g in grants)
               for role, grants in declared.write.items()},
        authors=declared.authors, stamps=declared.stamps, secrets=declared.secrets,
        numbers=declared.numbers, branch=how)


POLICY = {table: _within_branches(table, declared) for table, declared in POLICY.items()}


class Undeclared(LookupError):
    """A synced table the policy does not name: nobody may pull or push it."""


def table_policy(table: str) -> TablePolicy:
    try:
        return POLICY[table]
    except KeyError:
        raise Undeclared(f"{table} is not declared in the sync policy") from None


def keys_of(role: str) -> tuple[str, ...]:
    """The policy keys a pusher holds (one role today; their permissions after issue 17)."""
    return (role,)


def read_scope(table: str, role: str) -> Scope:
    return table_policy(table).read.get(role, NOTHING)


def grants(table: str, role: str) -> tuple[Grant, ...]:
    policy = table_policy(table)
    return tuple(g for key in keys_of(role) for g in policy.write.get(key, ()))


def number_columns(table: str) -> frozenset[str]:
    """Columns of `table` holding numbers that must be of the pushing device's series."""
    declared = POLICY.get(table)
    return frozenset() if declared is None else declared.numbers


def secret_columns(table: str) -> frozenset[str]:
    """Columns of `table` no desk ever receives (an undeclared table sends no rows at all)."""
    declared = POLICY.get(table)
    return frozenset() if declared is None else declared.secrets


def withheld_columns(table: str, is_admin: bool) -> frozenset[str]:
    """Columns whose values a reader may not get in a conflict entry: secrets always, private
    columns (faculty pay) unless an administrator reads."""
    private: frozenset[str] = frozenset() if is_admin else getattr(
        MODEL_BY_TABLE.get(table), "__private_columns__", frozenset())
    return secret_columns(table) | private


def operations(old: Row | None, new: Row, changed: frozenset[str]) -> frozenset[Op]:
    """What a change does: insert, or update and/or (un)delete."""
    if old is None:
        return frozenset({Op.INSERT, Op.DELETE}) if new.get("deleted_at") is not None \
            else frozenset({Op.INSERT})
    ops: set[Op] = set()
    if "deleted_at" in changed:
        was, now = old.get("deleted_at") is not None, new.get("deleted_at") is not None
        if was != now:
            ops.add(Op.DELETE if now else Op.UNDELETE)
    if changed - {"deleted_at"} - ALWAYS_WRITABLE or not ops:
        ops.add(Op.UPDATE)
    return frozenset(ops)


# --- rendering --------------------------------------------------------------------------------

def _ops_text(ops: frozenset[Op]) -> str:
    return ", ".join(op.value for op in Op if op in ops)


def _grant_text(table: str, grant: Grant) -> str:
    text = f"{_ops_text(grant.ops)}: {grant.row.text}"
    if grant.on_insert is not None and Op.INSERT in grant.ops:
        text += f" (a new row: {grant.on_insert.text})"
    if grant.columns is not None and Op.UPDATE in grant.ops:
        text += f"; an update changes only {', '.join(sorted(grant.columns))}"
    return text


def markdown() -> str:
    """The policy as the Markdown table docs/security.md holds."""
    lines = ["| table | role | reads | may push |", "|---|---|---|---|"]
    for table, policy in POLICY.items():
        for role in ROLES:
            writes = "; or ".join(_grant_text(table, g) for g in policy.write.get(role, ()))
            lines.append(f"| {table} | {role} | {read_scope(table, role).text} | "
                         f"{writes or 'nothing'} |")
    lines += ["", "| table | set by the server from the token | must name the pusher when "
              "written | never leaves the server | a number of the pusher's series |",
              "|---|---|---|---|---|"]
    for table, policy in POLICY.items():
        if policy.authors or policy.stamps or policy.secrets or policy.numbers:
            lines.append("| {} | {} | {} | {} | {} |".format(
                table, ", ".join(f"{c} ({a.value})" for c, a in policy.authors.items()) or "-",
                ", ".join(f"{c} ({a.value})" for c, a in policy.stamps.items()) or "-",
                ", ".join(sorted(policy.secrets)) or "-",
                ", ".join(sorted(policy.numbers)) or "-"))
    lines += ["", f"Where branch-scoped rows live (`BRANCH_OF`; \"{BRANCH_TEXT}\" above limits "
              "nobody who sees every branch – today administrators – nor a student, whose "
              "scope is their own record):", "", "| table | its rows lie in a branch when |",
              "|---|---|"]
    lines += [f"| {table} | {how.text} |" for table, how in BRANCH_OF.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m institute_core.sync.policy --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
