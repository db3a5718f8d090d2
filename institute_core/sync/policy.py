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

Keys of `TablePolicy.read`/`write` are permissions of the catalogue
(institute_core/access/permissions.py), plus `SIGNED_IN`, which every account holds (its own
account, its own student record, the syllabus). A user holds the permissions of their role,
read from the `roles` table at push and pull time (`keys_of`): they read the union of their
keys' scopes and may push what any of their keys' grants allow. Where a scope speaks of "their
students", those are the students they teach (`attendance.mark`) and those they counsel
(`students.counsel`); `SIGNED_IN`'s "own" scopes are about the account's own student records.

A table missing here can be neither pulled nor pushed (see `table_policy`).
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from institute_core.access import permissions as perms
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
# The key every signed-in account holds: what anyone may do about themselves.
SIGNED_IN = "signed_in"
TEACH, COUNSEL = "attendance.mark", "students.counsel"
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

    @property
    def permissions(self) -> frozenset[str]:
        """What the pusher's role grants them now (expanded: implied permissions included)."""
        ...

    def role_permissions(self, name: Any) -> frozenset[str] | None:
        """What role `name` grants (expanded), None when no live role has that name."""
        ...

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

    def sees_student(self, student_id: Any) -> bool:
        """Whether the student is one of theirs: taught (attendance.mark) or counselled
        (students.counsel)."""
        ...

    def owns_student(self, student_id: Any) -> bool:
        """Whether the student record is their own (students.user_id is the asker)."""
        ...

    @property
    def role(self) -> str:
        """The name of their role (an announcement may be for a role)."""
        ...

    def students_of_user(self, user_id: Any) -> list[Any]:
        """Ids of the student records of account `user_id`."""
        ...


Row = Mapping[str, Any]


def same(a: Any, b: Any) -> bool:
    """Ids compare equal whether they arrive as UUID or text."""
    if a is None or b is None:
        return a is None and b is None
    if type(a) is uuid.UUID and type(b) is uuid.UUID:
        return a == b  # what the texts would say, without spelling them (a push asks often)
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
    # About the asker themselves (their account, their own student record): wherever it
    # lies, never limited to their branches.
    anywhere: bool = False


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
# the list of branches, roles (a role limits its holders to at most one branch),
# accounts (staff are a directory; a student's account follows their
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
    # Transfers kept (issue 17): a batch's lives with the batch, a faculty member's with them.
    "batch_branch_moves": BranchOf("batch_id", "flexible_batches"),
    "faculty_branch_moves": BranchOf("faculty_id", "faculties"),
    "inquiry_subjects": BranchOf("inquiry_id", "crm_inquiries"),
    "follow_ups": BranchOf("inquiry_id", "crm_inquiries"),
    "fee_heads": BranchOf("branch_id"),
    "expenses": BranchOf("branch_id"),
    "salary_payments": BranchOf("branch_id"),
    "announcements": BranchOf("branch_id", empty_is_everywhere=True),
    "announcement_reads": BranchOf("announcement_id", "announcements"),
    # Messages per branch (issue 19, migration 0020): a template or trigger of no branch is the
    # institute's; a message lives where its student does (one to an inquiry names no student:
    # every branch, its read scope still limits who sees it), and its delivery with it.
    "message_templates": BranchOf("branch_id", empty_is_everywhere=True),
    "message_triggers": BranchOf("branch_id", empty_is_everywhere=True),
    "messages": BranchOf("student_id", "students", empty_is_everywhere=True),
    "message_deliveries": BranchOf("message_id", "messages"),
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
    if scope.name == "nothing" or scope.anywhere:
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
                    lambda f, t, r: same(r.get("user_id"), f.user_id), anywhere=True)
OWN_ACCOUNT = Scope("own_account", "their own account", lambda f, t, r: same(r["id"], f.user_id),
                    anywhere=True)


def _sees_user(f: ReadFacts, _t: str, r: Row) -> bool:
    if same(r["id"], f.user_id) or r.get("role") != Role.STUDENT.value:
        return True
    return any(f.sees_student(s) for s in f.students_of_user(r["id"]))


COLLEAGUES = Scope("colleagues", "their own account, staff accounts and their students' accounts",
                   _sees_user)
THEIR_STUDENTS = Scope("their_students", "their students",
                       lambda f, t, r: f.sees_student(r["id"]))
OWN_STUDENT_RECORD = Scope("own_student_record", "their own student record",
                           lambda f, t, r: f.owns_student(r["id"]), anywhere=True)
STUDENT_ROWS = Scope("their_students_rows", "rows of their students",
                     lambda f, t, r: f.sees_student(r.get("student_id")))
OWN_STUDENT_ROWS = Scope("own_student_rows", "their own rows (student_id is their record)",
                         lambda f, t, r: f.owns_student(r.get("student_id")), anywhere=True)


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


def _in_batch_audience(f: ReadFacts, batch_id: Any) -> bool:
    """A batch's announcement reaches its faculty member and its students."""
    if batch_id is None:
        return False
    if _my_batch(f, batch_id):
        return True
    batch = uuid.UUID(str(batch_id))
    # Their own student records (staff have none).
    return any(
        f.row("batch_members", natural_id("batch_members", batch, uuid.UUID(str(s))))
        is not None for s in f.students_of_user(f.user_id))


def _audience(f: ReadFacts, _t: str, r: Row) -> bool:
    audience = r.get("audience")
    return same(r.get("author_id"), f.user_id) or audience == "everyone" \
        or (audience == "role" and r.get("audience_role") == f.role) \
        or (audience == "batch" and _in_batch_audience(f, r.get("batch_id")))


# An announcement's audience may name a role (data: "every accountant"): the asker's own.
THEIR_AUDIENCE = Scope("their_audience", "announcements for everyone, their role, their batches "
                       "(as its teacher or a member), or their own", _audience, anywhere=False)


# --- write rules ------------------------------------------------------------------------------

def _is_me(column: str) -> Callable[[WriteFacts, str, Row], bool]:
    return lambda f, t, r: same(r.get(column), f.user_id)


def _is_my_faculty(column: str) -> Callable[[WriteFacts, str, Row], bool]:
    return lambda f, t, r: f.faculty_id is not None and same(r.get(column), f.faculty_id)


ANY_ROW = Rule("any row", lambda f, t, r: True)
SELF = Rule("the row is their own account", lambda f, t, r: same(r["id"], f.user_id))
def _role_within(strictly: bool) -> Callable[[WriteFacts, str, Row], bool]:
    """The account's role is a live role granting nothing the pusher lacks (`strictly`: and
    less than they hold, so a peer administrator's account is not theirs to manage)."""
    def check(f: WriteFacts, _t: str, r: Row) -> bool:
        granted = f.role_permissions(r.get("role"))
        return granted is not None and perms.grants_no_more(f.permissions, granted,
                                                            strictly=strictly)
    return check


_BELOW = _role_within(strictly=True)
_WITHIN = _role_within(strictly=False)
OTHER_ACCOUNT = Rule(
    "the account is not their own and its role grants nothing they lack",
    lambda f, t, r: not same(r["id"], f.user_id) and _WITHIN(f, t, r))
MANAGED_BY_ADMIN = Rule(
    "the account is not their own and its role grants less than theirs (nothing they lack)",
    lambda f, t, r: not same(r["id"], f.user_id) and _BELOW(f, t, r))
NEW_STUDENT_ACCOUNT = Rule("the new account is a student account",
                           lambda f, t, r: r.get("role") == Role.STUDENT.value)
COUNSELED_ACCOUNT = Rule(
    "the account is a student account of a student they counsel",
    lambda f, t, r: r.get("role") == Role.STUDENT.value and f.counsels_user(r["id"]))


def _reset_of(strictly: bool | None) -> Callable[[WriteFacts, str, Row], bool]:
    def check(f: WriteFacts, _t: str, r: Row) -> bool:
        target = f.row("users", r.get("user_id")) if r.get("user_id") is not None else None
        if target is None or not r.get("verifier"):
            return False
        return strictly is None or (_role_within(strictly)(f, "users", target)
                                    and not same(target["id"], f.user_id))
    return check


RESET_ANY = Rule("a new verifier for any account", _reset_of(None))
RESET_MANAGED = Rule("a new verifier for an account whose role grants less than theirs, "
                     "not their own", _reset_of(True))


ROLE_TEXT = ("the role grants only permissions they hold, is the super admin role only for a "
             "super admin, and is not a built-in role being deleted")
ROLE_WITHIN = Rule(ROLE_TEXT, lambda f, t, r: perms.role_row_refusal(
    f.permissions, r, creating=False) is None)
NEW_ROLE_WITHIN = Rule(f"{ROLE_TEXT}; a new role is never built in", lambda f, t, r:
                       perms.role_row_refusal(f.permissions, r, creating=True) is None)
# A role's name is the key accounts hold (users.role) and `built_in` is the installation's.
ROLE_FIELDS = frozenset({"description", "permissions", "only_branch_id"})
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
ANY_CHEQUE_STEP = Rule("the event is a cheque's deposit, clearing or bounce",
                       lambda f, t, r: r.get("kind") in _CHEQUE_STEPS)


def _reads(view_all: str | tuple[str, ...], *, teach: Scope = NOTHING,
           counsel: Scope = NOTHING, own: Scope = NOTHING,
           **more: Scope) -> dict[str, Scope]:
    """Read scopes by key: every row for who holds `view_all`; `teach` for who teaches
    (attendance.mark), `counsel` for who counsels (students.counsel), `own` for every account
    (SIGNED_IN: their own rows); `more` for other keys (dots written as "__")."""
    alls = (view_all,) if isinstance(view_all, str) else view_all
    scopes: dict[str, Scope] = {key: EVERYTHING for key in alls}
    for key, scope in ((TEACH, teach), (COUNSEL, counsel), (SIGNED_IN, own),
                       *((k.replace("__", "."), v) for k, v in more.items())):
        if scope is not NOTHING:
            scopes.setdefault(key, scope)
    return scopes


def _writes(manage: str | None, *extra: tuple[str, tuple[Grant, ...]]
            ) -> dict[str, tuple[Grant, ...]]:
    """Who holds `manage` may do anything to every row; `extra` adds other keys' grants."""
    grants: dict[str, tuple[Grant, ...]] = {} if manage is None else {
        manage: (Grant(ALL_OPS, ANY_ROW),)}
    for key, more in extra:
        grants[key] = grants.get(key, ()) + more
    return grants


STUDENTS_ALL, STUDENTS_MANAGE = "students.view_all", "students.manage"
TEACHING_ALL, TEACHING_MANAGE = "attendance.view_all", "attendance.manage"
_SYLLABUS = TablePolicy(read=_reads((), own=EVERYTHING),
                        write=_writes("setup.syllabus.manage"))
# A student (and the portal, reading for a student or their guardian) sees their own rows of
# these tables: their schedule, attendance, progress, assessments and feedback.
_TEACHING_ROWS = _reads(TEACHING_ALL, teach=STUDENT_ROWS, own=OWN_STUDENT_ROWS)
_COUNSELOR_TOO = _reads(STUDENTS_ALL, teach=STUDENT_ROWS, counsel=STUDENT_ROWS,
                        own=OWN_STUDENT_ROWS)
_BATCH_AND_OWN = _reads(TEACHING_ALL, teach=BATCH_ROWS, own=OWN_STUDENT_ROWS)

INSERT_ONLY = frozenset({Op.INSERT})


def _teach(*grants: Grant) -> tuple[str, tuple[Grant, ...]]:
    return TEACH, grants


def _counsel(*grants: Grant) -> tuple[str, tuple[Grant, ...]]:
    return COUNSEL, grants


def _facts(collect: Rule | None, everyone: str = "fees.all_students"
           ) -> dict[str, tuple[Grant, ...]]:
    """Money facts: inserted, never edited nor deleted, by anyone (a correction is a new row):
    for any student by who holds `everyone`, for their own students (`collect`) by who holds
    fees.collect."""
    grants: dict[str, tuple[Grant, ...]] = {everyone: (Grant(INSERT_ONLY, ANY_ROW),)}
    if collect is not None:
        grants["fees.collect"] = (Grant(INSERT_ONLY, collect),)
    return grants


# Faculty see no money; counselors see and take their students' (fees.collect); who holds
# fees.all_students sees and takes every student's; fees.configure edits plans and approves
# discounts, fees.refund refunds and cancels cheques (issue 18). A student (and the portal,
# reading for a student or their guardian) sees their own dues, receipts and refunds (issue 20).
_MONEY_OF_STUDENTS = _reads("fees.all_students", fees__collect=STUDENT_ROWS,
                            own=OWN_STUDENT_ROWS)
_PLANS = {**_facts(COUNSELED_ROW), "fees.configure": (Grant(ALL_OPS, ANY_ROW),)}
FEES_POLICY: dict[str, TablePolicy] = {
    "fee_heads": TablePolicy(read=_reads("fees.collect"), write=_writes("fees.configure")),
    "fee_plans": TablePolicy(read=_MONEY_OF_STUDENTS, write=_PLANS),
    "fee_instalments": TablePolicy(read=_MONEY_OF_STUDENTS, write=_PLANS),
    "fee_discounts": TablePolicy(
        read=_MONEY_OF_STUDENTS,
        write={"fees.configure": (Grant(ALL_OPS, ANY_ROW),),
               "fees.collect": (Grant(INSERT_ONLY, DISCOUNT_WITHIN_LIMIT),)},
        authors={"requested_by": Author.USER}, stamps={"approved_by": Author.USER}),
    "payments": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(TAKEN_HERE),
                            authors={"received_by": Author.USER},
                            numbers=frozenset({"receipt_no"})),
    "payment_allocations": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(COUNSELED_ROW)),
    "payment_events": TablePolicy(
        read=_MONEY_OF_STUDENTS,
        write={**_facts(CHEQUE_STEP, "fees.refund"),
               "fees.all_students": (Grant(INSERT_ONLY, ANY_CHEQUE_STEP),)},
        authors={"recorded_by": Author.USER}),
    "refunds": TablePolicy(read=_MONEY_OF_STUDENTS, write=_facts(None, "fees.refund"),
                           authors={"refunded_by": Author.USER},
                           numbers=frozenset({"credit_note_no"})),
    # A defaulter to chase: the student's counselor schedules and closes it, as a CRM follow-up.
    # Notes about chasing a student's dues are the office's: the student (and the portal) never
    # reads them.
    "fee_follow_ups": TablePolicy(
        read=_reads("fees.all_students", fees__collect=STUDENT_ROWS),
        write=_writes("fees.all_students",
                      ("fees.collect", (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_ROW),))),
        authors={"created_by": Author.USER}),
    "expenses": TablePolicy(read=_reads("reports.financial"), write=_writes("fees.expenses"),
                            authors={"entered_by": Author.USER}),
    "salary_payments": TablePolicy(read=_reads("reports.financial"),
                                   write=_writes("fees.expenses"),
                                   authors={"entered_by": Author.USER}),
}

_OWN_FIELDS = (Grant(frozenset({Op.UPDATE}), SELF, OWN_ACCOUNT_FIELDS),)
POLICY: dict[str, TablePolicy] = {
    # The directory of centres is no branch's own data: a transfer names where a student goes.
    "branches": TablePolicy(read=_reads((), own=EVERYTHING),
                            write=_writes("setup.branches.manage")),
    # Roles are data (issue 17): every account reads them (a desk works out what its user
    # may do from their role's row); who manages roles grants only what they hold.
    "roles": TablePolicy(
        read=_reads((), own=EVERYTHING),
        write={"setup.roles.manage": (Grant(EDIT_OPS, ROLE_WITHIN, ROLE_FIELDS,
                                            on_insert=NEW_ROLE_WITHIN),)}),
    "users": TablePolicy(
        read=_reads("setup.people.manage", own=OWN_ACCOUNT, people__directory=COLLEAGUES),
        write={
            # Nobody changes their own role, status or email by a push, nor deletes themselves;
            # staff (people.directory) keep their own name and phone.
            "setup.super_admin": (Grant(ALL_OPS, OTHER_ACCOUNT),),
            "setup.people.manage": (Grant(ALL_OPS, MANAGED_BY_ADMIN),),
            COUNSEL: (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_ACCOUNT,
                            frozenset({"email", "first_name", "last_name", "phone",
                                       "avatar_url"}),
                            on_insert=NEW_STUDENT_ACCOUNT),),
            "people.directory": _OWN_FIELDS,
        }),
    # Who works where: a desk holds the links into its own branches.
    "user_branches": TablePolicy(read=_reads((), own=EVERYTHING),
                                 write=_writes("setup.branches.manage")),
    "subjects": _SYLLABUS,
    "subject_prerequisites": _SYLLABUS,
    "topics": _SYLLABUS,
    "topic_prerequisites": _SYLLABUS,
    "students": TablePolicy(
        read=_reads(STUDENTS_ALL, teach=THEIR_STUDENTS, counsel=THEIR_STUDENTS,
                    own=OWN_STUDENT_RECORD),
        write=_writes(
            STUDENTS_MANAGE,
            _teach(Grant(frozenset({Op.UPDATE}), TAUGHT_STUDENT_RECORD, STUDENT_LEARNING)),
            _counsel(Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_STUDENT)))),
    "student_branch_moves": TablePolicy(read=_COUNSELOR_TOO, write=_writes(STUDENTS_MANAGE),
                                        authors={"moved_by": Author.USER}),
    "faculties": TablePolicy(
        read=_reads("setup.people.manage", people__directory=EVERYTHING),
        write=_writes("setup.people.manage",
                      _teach(Grant(frozenset({Op.UPDATE}), OWN_FACULTY_RECORD,
                                   OWN_FACULTY_FIELDS)))),
    "student_subject_enrollments": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_writes(
            STUDENTS_MANAGE,
            _teach(Grant(frozenset({Op.UPDATE}), MY_ROW_MY_STUDENT, ENROLLMENT_PROGRESS)),
            _counsel(Grant(frozenset({Op.INSERT}), COUNSELED_ROW),
                     Grant(frozenset({Op.UPDATE}), COUNSELED_ROW, ENROLLMENT_OFFICE)))),
    # Counselors see the schedule of their students but change none of it.
    "learning_sessions": TablePolicy(
        read=_reads(TEACHING_ALL, teach=STUDENT_ROWS, counsel=STUDENT_ROWS,
                    own=OWN_STUDENT_ROWS),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_ROW_MY_STUDENT)))),
    "session_attendance": TablePolicy(
        read=_TEACHING_ROWS, write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS,
                                                                         OWNED_MY_STUDENT)))),
    "attendance_topics": TablePolicy(
        read=_reads(TEACHING_ALL, teach=STUDENT_ATTENDANCE_TOPICS),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, OWNED)))),
    "student_topic_progress": TablePolicy(
        read=_TEACHING_ROWS, write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_STUDENT))),
        stamps={"last_updated_by": Author.FACULTY}),
    "flexible_batches": TablePolicy(
        read=_reads(TEACHING_ALL, teach=THEIR_BATCHES),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_BATCH)))),
    "batch_members": TablePolicy(
        read=_BATCH_AND_OWN,
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, OWNED_MY_STUDENT)))),
    "batch_session_attendance": TablePolicy(
        read=_BATCH_AND_OWN,
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, OWNED_MY_STUDENT)))),
    "batch_attendance_topics": TablePolicy(
        read=_reads(TEACHING_ALL, teach=BATCH_ATTENDANCE_TOPICS),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, OWNED)))),
    "assessments": TablePolicy(
        read=_TEACHING_ROWS,
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_ROW_MY_STUDENT)))),
    # The front desk shares its leads: whoever works inquiries works every one.
    "crm_inquiries": TablePolicy(read=_reads("crm.inquiry.edit"),
                                 write=_writes("crm.inquiry.edit")),
    "inquiry_subjects": TablePolicy(read=_reads("crm.inquiry.edit"),
                                    write=_writes("crm.inquiry.edit")),
    "follow_ups": TablePolicy(read=_reads("crm.inquiry.edit"), write=_writes("crm.inquiry.edit"),
                              authors={"counselor_id": Author.USER}),
    "rewards_penalties": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_writes(STUDENTS_MANAGE, _teach(Grant(EDIT_OPS, MY_STUDENT_MAYBE_MINE)),
                      _counsel(Grant(EDIT_OPS, COUNSELED_ROW))),
        authors={"created_by": Author.USER}),
    "feedback": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_writes(STUDENTS_MANAGE, _teach(Grant(EDIT_OPS, MY_STUDENT_MAYBE_MINE)),
                      _counsel(Grant(EDIT_OPS, COUNSELED_ROW))),
        stamps={"reviewed_by": Author.USER}),
    "student_reports": TablePolicy(
        read=_reads(TEACHING_ALL, teach=STUDENT_ROWS),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_STUDENT))),
        authors={"generated_by": Author.USER}),
    "faculty_reports": TablePolicy(
        read=_reads(TEACHING_ALL, teach=THEIR_FACULTY_ROWS),
        write=_writes(TEACHING_MANAGE, _teach(Grant(EDIT_OPS, MY_FACULTY_REPORT))),
        authors={"generated_by": Author.USER}),
    "import_runs": TablePolicy(read=_reads("setup.import"), write=_writes("setup.import"),
                               authors={"user_id": Author.USER}),
    "enrollment_faculty_moves": TablePolicy(read=_reads(TEACHING_MANAGE),
                                            write=_writes(TEACHING_MANAGE),
                                            authors={"moved_by": Author.USER}),
    # Batch and faculty transfers (issue 17): whoever may move them reads and writes the
    # history, as the transfer services ask (attendance.manage, setup.people.manage).
    "batch_branch_moves": TablePolicy(read=_reads(TEACHING_MANAGE),
                                      write=_writes(TEACHING_MANAGE),
                                      authors={"moved_by": Author.USER}),
    "faculty_branch_moves": TablePolicy(read=_reads("setup.people.manage"),
                                        write=_writes("setup.people.manage"),
                                        authors={"moved_by": Author.USER}),
    # Append-only: each desk records its own user's changes and sign-ins (issue 5), whatever
    # their role (a desk that could not push its log could push nothing after it).
    "audit_log": TablePolicy(
        read=_reads("audit.view", own=OWN_ENTRIES),
        write={SIGNED_IN: (Grant(frozenset({Op.INSERT}), OWN_ENTRY),)},
        authors={"user_id": Author.USER}),
    # Only who was reset reaches a desk (so it stops trusting cached verifiers), never the
    # verifier; a reset is written once and never edited.
    "password_resets": TablePolicy(
        read=_reads("setup.people.manage", own=OWN_ENTRIES),
        write={"setup.super_admin": (Grant(frozenset({Op.INSERT}), RESET_ANY),),
               "setup.people.manage": (Grant(frozenset({Op.INSERT}), RESET_MANAGED),)},
        authors={"reset_by": Author.USER}, secrets=frozenset({"verifier"})),
    **FEES_POLICY,
    # Certificates (issue 20): who issues keeps the templates and issues, by hand or by the
    # templates' rules; a certificate is a fact, so afterwards it can only be revoked.
    "certificate_templates": TablePolicy(
        read=_reads("certificates.issue", people__directory=EVERYTHING),
        write=_writes("certificates.issue")),
    "certificates": TablePolicy(
        read=_reads("certificates.issue", teach=STUDENT_ROWS, counsel=STUDENT_ROWS,
                    own=OWN_STUDENT_ROWS),
        write={"certificates.issue": (Grant(frozenset({Op.INSERT, Op.UPDATE}), ANY_ROW,
                                            CERTIFICATE_REVOCATION),)},
        authors={"issued_by": Author.USER}, numbers=frozenset({"certificate_number"})),
    # --- messages (issue 19) ---
    # Faculty see their students' guardians (their attendance marks alert them); counselors
    # keep the guardians of the students they counsel.
    "guardians": TablePolicy(
        read=_COUNSELOR_TOO,
        write=_writes(STUDENTS_MANAGE, _counsel(Grant(EDIT_OPS, COUNSELED_ROW)))),
    # Opt-outs are a message manager's action (or a STOP reply the server records).
    "message_consents": TablePolicy(read=_reads("messages.manage", counsel=EVERYTHING),
                                    write=_writes("messages.manage"),
                                    stamps={"changed_by": Author.USER}),
    "message_templates": TablePolicy(
        read=_reads("messages.manage", teach=EVERYTHING, messages__send=EVERYTHING),
        write=_writes("messages.manage")),
    "message_triggers": TablePolicy(
        read=_reads("messages.manage", teach=EVERYTHING, messages__send=EVERYTHING),
        write=_writes("messages.manage")),
    "messages": TablePolicy(
        read=_reads("messages.manage", teach=STUDENT_ROWS, counsel=STUDENT_OR_INQUIRY_ROWS),
        write=_writes(
            "messages.manage",
            # An attendance mark alerts the absent student's guardians.
            _teach(Grant(frozenset({Op.INSERT, Op.UPDATE}), ABSENCE_ALERT, CANCEL_ONLY)),
            ("messages.send", (Grant(frozenset({Op.INSERT, Op.UPDATE}), COUNSELED_OR_INQUIRY,
                                     CANCEL_ONLY),))),
        authors={"created_by": Author.USER}),
    # The server's dispatcher writes what happened to a message; a super administrator may
    # correct a record by hand (a delivery a parent confirmed), nobody else.
    "message_deliveries": TablePolicy(
        read=_reads("messages.manage", teach=STUDENT_ROWS, counsel=STUDENT_OR_INQUIRY_ROWS),
        write=_writes("messages.deliveries")),
    # --- notice board and staff notifications (issue 19) ---
    # Who manages messages posts; everyone pulls what is for their audience (and branch,
    # BRANCH_OF).
    "announcements": TablePolicy(
        read=_reads("messages.manage", own=THEIR_AUDIENCE),
        write=_writes("messages.manage"), authors={"author_id": Author.USER}),
    # A read receipt is written once, by its reader (user_id must be the pusher: it is part of
    # the natural key, so the rule checks it rather than the server filling it in); who
    # manages messages (the authors) sees them all. Who corrects deliveries by hand (the super
    # administrator) may correct a receipt or a notification too, and pulls them all.
    "announcement_reads": TablePolicy(
        read=_reads("messages.manage", own=OWN_ENTRIES),
        write=_writes("messages.deliveries",
                      ("people.directory", (Grant(INSERT_ONLY, FOR_THEMSELVES),)))),
    # Each staff desk (people.directory: staff) makes its own user's bell; on another desk of
    # theirs only "read" changes it.
    "staff_notifications": TablePolicy(
        read=_reads("messages.deliveries", own=OWN_ENTRIES),
        write=_writes("messages.deliveries",
                      ("people.directory", (Grant(frozenset({Op.INSERT, Op.UPDATE}),
                                                  FOR_THEMSELVES, frozenset({"read_at"})),)))),
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


Held = str | frozenset[str]


def keys_of(held: Held) -> frozenset[str]:
    """The policy keys a user holds: their role's permissions and `SIGNED_IN`. `held` is the
    permissions read from their role's row, or a built-in role's name (its seeded set)."""
    granted = perms.of_role(held) if isinstance(held, str) else held
    return granted | {SIGNED_IN}


def read_scopes(table: str, held: Held) -> tuple[Scope, ...]:
    """The scopes of `table` the holder reads the union of (none: nothing)."""
    keys = keys_of(held)
    return tuple(scope for key, scope in table_policy(table).read.items() if key in keys)


def read_scope(table: str, held: Held) -> Scope:
    """The holder's read scopes of `table` as one (the union; NOTHING when they have none)."""
    scopes = read_scopes(table, held)
    if not scopes:
        return NOTHING
    if len(scopes) == 1:
        return scopes[0]
    return Scope("+".join(s.name for s in scopes), "; or ".join(s.text for s in scopes),
                 lambda f, t, r: any(s.check(f, t, r) for s in scopes))


def keyed_grants(table: str, held: Held) -> tuple[tuple[str, Grant], ...]:
    """The holder's grants on `table` with the key each comes with, in declaration order
    (so a broad grant, such as a manager's, is tried before a narrow one)."""
    keys = keys_of(held)
    return tuple((key, g) for key, gs in table_policy(table).write.items() if key in keys
                 for g in gs)


def grants(table: str, held: Held) -> tuple[Grant, ...]:
    return tuple(g for _key, g in keyed_grants(table, held))


@functools.cache
def insert_only(table: str) -> bool:
    """Whether no role may do more to a row of `table` than create it (the audit log, money):
    its rows never merge, so the server keeps no field stamps for them."""
    declared = POLICY.get(table)
    return declared is not None and all(grant.ops == frozenset({Op.INSERT})
                                        for held in declared.write.values() for grant in held)


def number_columns(table: str) -> frozenset[str]:
    """Columns of `table` holding numbers that must be of the pushing device's series."""
    declared = POLICY.get(table)
    return frozenset() if declared is None else declared.numbers


def secret_columns(table: str) -> frozenset[str]:
    """Columns of `table` no desk ever receives (an undeclared table sends no rows at all)."""
    declared = POLICY.get(table)
    return frozenset() if declared is None else declared.secrets


# Who reads private columns (faculty pay) of every row: who keeps people and who sees money.
PRIVATE_READERS = frozenset({"setup.people.manage", "reports.financial"})


def withheld_columns(table: str, sees_private: bool) -> frozenset[str]:
    """Columns whose values a reader may not get in a conflict entry: secrets always, private
    columns (faculty pay) unless the reader holds one of `PRIVATE_READERS`."""
    private: frozenset[str] = frozenset() if sees_private else getattr(
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
    """The policy as the Markdown tables docs/security.md holds."""
    lines = ["Permissions (institute_core/access/permissions.py) and the built-in roles "
             "holding them (S super admin, A admin, F faculty, C counselor, T student):", "",
             "| permission | description | built-in roles |", "|---|---|---|"]
    initials = {"super_admin": "S", "admin": "A", "faculty": "F", "counselor": "C",
                "student": "T"}
    for permission in perms.CATALOGUE:
        holders = "".join(initials[r] for r in perms.BUILT_IN_NAMES
                          if permission.name in perms.of_role(r))
        implied = (f" (implies {', '.join(permission.implies)})" if permission.implies
                   else "")
        lines.append(f"| {permission.name} | {permission.description}{implied} | "
                     f"{holders or '-'} |")
    lines += ["", f"Per table, what each key reads and may push (`{SIGNED_IN}`: every account; "
              "a user reads the union of their keys' scopes and may push what any grant of "
              "theirs allows):", "", "| table | key | reads | may push |", "|---|---|---|---|"]
    for table, policy in POLICY.items():
        keys = list(dict.fromkeys([*policy.read, *policy.write]))
        for key in keys:
            writes = "; or ".join(_grant_text(table, g) for g in policy.write.get(key, ()))
            reads = policy.read[key].text if key in policy.read else "nothing"
            lines.append(f"| {table} | {key} | {reads} | {writes or 'nothing'} |")
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
              "nobody holding `branches.all`, nor anyone's scopes about themselves – their "
              "account, their own student record):", "",
              "| table | its rows lie in a branch when |", "|---|---|"]
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
