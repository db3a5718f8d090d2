"""The catalogue of permissions (issue 17): every right the app's screens, services and the
server's sync policy distinguish, each with a description an owner reads when building a role.

Roles are data (the `roles` table, migration 0014): a name and a set of these permissions.
The five built-in roles are seeded with the sets below, which reproduce exactly what the fixed
roles meant before (the sync policy in institute_core/sync/policy.py is keyed by these names).

Rules every role obeys (`check_grant`, enforced by the desk's service and again by the server's
policy, since a hostile desk can push anything):
- nobody grants a permission they do not hold (creating or editing a role, assigning one);
- only a super admin (who holds `setup.super_admin`) changes the super admin role;
- built-in roles cannot be deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Permission:
    name: str
    area: str
    description: str
    # Permissions this one is useless without (granting it grants them too).
    implies: tuple[str, ...] = ()


AREAS: dict[str, str] = {
    "attendance": "Teaching and attendance",
    "students": "Students",
    "crm": "Inquiries (CRM)",
    "fees": "Fees and money",
    "messages": "Messages",
    "reports": "Reports and dashboards",
    "certificates": "Certificates",
    "setup": "Setup",
    "branches": "Branches",
    "audit": "Audit",
}

CATALOGUE: tuple[Permission, ...] = (
    # --- teaching ---
    Permission("attendance.mark", "attendance",
               "Teach: mark attendance and keep progress, assessments, batches and reports "
               "of the students they teach (needs a faculty profile)",
               ("people.directory",)),
    Permission("attendance.view_all", "attendance",
               "See every student's sessions, attendance, progress, assessments and batches"),
    Permission("attendance.manage", "attendance",
               "Schedule sessions and batches for anyone, correct any attendance, move "
               "enrolments between teachers", ("attendance.view_all",)),
    # --- students ---
    Permission("students.counsel", "students",
               "Counsel: look after the students assigned to them (records, enrolments, "
               "feedback, guardians, messages)", ("people.directory",)),
    Permission("students.view_all", "students",
               "See every student record, enrolment, feedback and guardian"),
    Permission("students.manage", "students",
               "Create and edit every student record, enrolment, feedback and guardian; move "
               "students between branches", ("students.view_all",)),
    Permission("people.directory", "students",
               "See colleagues' accounts and the accounts of their students"),
    # --- CRM ---
    Permission("crm.inquiry.edit", "crm",
               "See and work every inquiry and its follow-ups"),
    Permission("crm.assign", "crm",
               "Hand an inquiry to another counselor", ("crm.inquiry.edit",)),
    # --- fees ---
    Permission("fees.collect", "fees",
               "Take payments, set up fee plans and ask for discounts for the students they "
               "counsel; see the price list"),
    Permission("fees.all_students", "fees",
               "Take and see the payments and dues of every student, not only those they "
               "counsel", ("fees.collect",)),
    Permission("fees.refund", "fees",
               "Refund payments and cancel cheques", ("fees.all_students",)),
    Permission("fees.configure", "fees",
               "Keep the price list, edit fee plans and approve discounts",
               ("fees.all_students",)),
    Permission("fees.expenses", "fees",
               "Record expenses and salary payments", ("reports.financial",)),
    # --- messages ---
    Permission("messages.send", "messages",
               "Queue messages to the guardians of their students and to inquiries"),
    Permission("messages.manage", "messages",
               "Keep message templates, triggers and opt-outs; message anyone"),
    Permission("messages.deliveries", "messages",
               "Correct the record of a message's delivery by hand", ("messages.manage",)),
    # --- reports ---
    Permission("reports.view", "reports",
               "Open the dashboard and the reports (attendance, utilisation, CRM funnel)"),
    Permission("reports.financial", "reports",
               "See collections, expenses, salaries and faculty pay"),
    # --- certificates ---
    Permission("certificates.issue", "certificates",
               "Keep certificate templates, issue and revoke certificates"),
    # --- setup ---
    Permission("setup.people.manage", "setup",
               "Create and edit accounts whose role grants less than theirs, faculty "
               "profiles, and reset their passwords", ("people.directory",)),
    Permission("setup.super_admin", "setup",
               "Manage any account, including administrators; change the super admin role",
               ("setup.people.manage",)),
    Permission("setup.roles.manage", "setup",
               "Create and edit roles (never with a permission they lack) and assign them"),
    Permission("setup.syllabus.manage", "setup", "Keep subjects, topics and prerequisites"),
    Permission("setup.branches.manage", "setup",
               "Keep the list of branches and who works in which"),
    Permission("setup.import", "setup", "Import people and students from spreadsheets"),
    # --- branches ---
    Permission("branches.all", "branches",
               "Work in every branch (otherwise only the branches they are linked to)"),
    # --- audit ---
    Permission("audit.view", "audit", "Read the audit log and the devices' health"),
)

PERMISSION_BY_NAME: dict[str, Permission] = {p.name: p for p in CATALOGUE}
ALL_PERMISSIONS: frozenset[str] = frozenset(PERMISSION_BY_NAME)

# The built-in roles: their names are the values users.role held before roles were data.
SUPER_ADMIN, ADMIN, FACULTY, COUNSELOR, STUDENT = (
    "super_admin", "admin", "faculty", "counselor", "student")
BUILT_IN_NAMES: tuple[str, ...] = (SUPER_ADMIN, ADMIN, FACULTY, COUNSELOR, STUDENT)

# An administrator held every right but those a super admin alone had: administrator accounts
# (and resetting their passwords), the super admin role itself, and correcting a delivery.
# Teaching and counselling add nothing to an administrator's reach (they see and write every
# row already); holding them keeps faculty and counselor roles "less than" an admin's, which
# is what lets an admin manage those accounts (`grants_no_more`).
_ADMIN = ALL_PERMISSIONS - {"setup.super_admin", "messages.deliveries"}
BUILT_IN: dict[str, frozenset[str]] = {
    SUPER_ADMIN: _ADMIN | {"setup.super_admin", "messages.deliveries"},
    ADMIN: _ADMIN,
    FACULTY: frozenset({"attendance.mark", "people.directory"}),
    COUNSELOR: frozenset({"students.counsel", "people.directory", "crm.inquiry.edit",
                          "crm.assign", "fees.collect", "messages.send"}),
    # A student's rights are those of every account over itself (their own record, schedule,
    # attendance and certificates): no permission at all.
    STUDENT: frozenset(),
}
BUILT_IN_LABELS: dict[str, str] = {SUPER_ADMIN: "Super admin", ADMIN: "Admin",
                                   FACULTY: "Faculty", COUNSELOR: "Counselor",
                                   STUDENT: "Student"}
BUILT_IN_DESCRIPTIONS: dict[str, str] = {
    SUPER_ADMIN: "Everything, including administrator accounts and the super admin role",
    ADMIN: "Runs the institute: people, teaching, fees, reports, every branch",
    FACULTY: "Teaches: attendance and progress of their own students and batches",
    COUNSELOR: "Front desk: inquiries, the students they counsel and their fees",
    STUDENT: "A student's own record (the portal and a student's sign-in)",
}


def built_in_role_id(name: str) -> uuid.UUID:
    """The id of a built-in role, the same on every database (the migration seeds it on the
    server and on every replica, so they agree without a sync)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"institute-desk:role:{name}")


class UnknownPermission(ValueError):
    """A role names a permission the catalogue does not have."""


def expand(names: Iterable[str]) -> frozenset[str]:
    """`names` with every permission they imply (unknown names are dropped: a role stored by a
    newer desk may name one this version does not know, which grants nothing here)."""
    held: set[str] = set()
    todo = [n for n in names if n in PERMISSION_BY_NAME]
    while todo:
        name = todo.pop()
        if name not in held:
            held.add(name)
            todo.extend(PERMISSION_BY_NAME[name].implies)
    return frozenset(held)


def parse(value: Any) -> list[str]:
    """The permission list stored in roles.permissions, validated: a list of known names.
    Raises `UnknownPermission` naming what is wrong."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise UnknownPermission("permissions must be a list of permission names")
    unknown = sorted(set(value) - ALL_PERMISSIONS)
    if unknown:
        raise UnknownPermission(f"unknown permission {unknown[0]!r}")
    return sorted(set(value))


def of_role(name: str | None, stored: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The permissions a user of role `name` holds: from its `roles` row when given (the
    truth once roles are data), else the built-in set (no row: nothing for a custom name)."""
    if stored is not None:
        if stored.get("deleted_at") is not None:
            return frozenset()
        try:
            return expand(parse(stored.get("permissions")))
        except UnknownPermission:
            return expand(p for p in stored.get("permissions") or () if isinstance(p, str))
    return expand(BUILT_IN.get(name or "", frozenset()))


def by_area() -> dict[str, list[Permission]]:
    """The catalogue grouped by area, in catalogue order (the Roles screen's groups)."""
    grouped: dict[str, list[Permission]] = {area: [] for area in AREAS}
    for permission in CATALOGUE:
        grouped[permission.area].append(permission)
    return grouped


def role_row_refusal(holder: frozenset[str], row: Mapping[str, Any], *,
                     creating: bool) -> str | None:
    """Why someone holding `holder` may not leave a `roles` row as `row` (None: they may).

    The server's policy asks it of the row before and after a pushed change; `check_grant` of
    both sides on the desk."""
    name = row.get("name")
    if name == SUPER_ADMIN and "setup.super_admin" not in holder:
        return "only a super admin can change the super admin role"
    if row.get("built_in"):
        if creating:
            return "built-in roles are made by the installation, not by a desk"
        if row.get("deleted_at") is not None:
            return f"the built-in role {name} cannot be deleted"
    try:
        named = parse(row.get("permissions"))
    except UnknownPermission as exc:
        return str(exc)
    # What the role names first, then what that implies.
    lacking = sorted(set(named) - holder) or sorted(expand(named) - holder)
    if lacking:
        return f"you cannot grant {lacking[0]!r}: you do not hold it yourself"
    return None


def check_grant(holder: frozenset[str], *, old: Mapping[str, Any] | None,
                new: Mapping[str, Any]) -> str | None:
    """Why someone holding `holder` may not change a role from `old` (None: a new role) to
    `new`, or None when they may. The desk's service asks it before writing; the server
    enforces the same through the sync policy (`roles` in institute_core/sync/policy.py)."""
    if "setup.roles.manage" not in holder:
        return "only someone who may manage roles can change them"
    if old is not None:
        if new.get("name") != old.get("name"):
            # Accounts name their role: a rename would leave them without one.
            return "a role's name cannot change once it exists (accounts name it)"
        if bool(new.get("built_in")) != bool(old.get("built_in")):
            return "whether a role is built in never changes"
        refused = role_row_refusal(holder, old, creating=False)
        if refused is not None:
            return refused
    return role_row_refusal(holder, new, creating=old is None)


def grants_no_more(holder: frozenset[str], role_permissions: frozenset[str], *,
                   strictly: bool) -> bool:
    """Whether a role with `role_permissions` grants nothing `holder` lacks (and, `strictly`,
    less than they hold: a peer's account is not theirs to manage)."""
    if not role_permissions <= holder:
        return False
    return not strictly or role_permissions != holder
