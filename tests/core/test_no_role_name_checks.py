"""Every screen, command and server check asks for a permission, never a role name (issue 17).

Roles are data an owner defines: a check such as `user.role == "admin"` or
`role in (Role.ADMIN, Role.SUPER_ADMIN)` silently refuses an owner's "branch manager" who holds
the same permissions. This walks the source of the app, the shared core and the server and
fails on any comparison of something named like a role with a built-in role's name.

Two things stay allowed, each for a reason:
- whether an account is a *student account* (`Role.STUDENT`): that is the kind of account (it
  has a student record, signs in on the portal, holds no permission at all), not a set of
  rights an owner can redefine;
- the files below, which make the built-in roles and demo accounts rather than check them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from institute_core.access.permissions import BUILT_IN_NAMES, STUDENT

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("desktop_app", "institute_core", "sync_server")

# Where built-in roles and demo accounts are made (seeding), not checked.
SEEDING = {
    "institute_core/enums.py",
    "institute_core/access/permissions.py",  # the built-in roles' sets and labels
    "institute_core/demo",  # demo accounts of each built-in role
    "institute_core/migrations",  # roles seeded on every database
    "sync_server/commands/create_admin.py",  # makes the first (super) administrator
    "desktop_app/app.py",  # the demo's sign-in shortcuts
    "desktop_app/selftest.py",  # signs in as each demo account
    "desktop_app/setup/screens.py",  # screenshots of the demo's accounts
    "desktop_app/dashboard/screens.py",
    "desktop_app/screenshots.py",
}
ROLE_CONSTANTS = {"SUPER_ADMIN", "ADMIN", "FACULTY", "COUNSELOR"}  # perms.X or Role.X
CHECKED_NAMES = set(BUILT_IN_NAMES) - {STUDENT}


def _sources() -> Iterator[tuple[str, ast.AST]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if any(relative == s or relative.startswith(s + "/") for s in SEEDING):
                continue
            yield relative, ast.parse(path.read_text(encoding="utf-8"), relative)


def _names_a_role(node: ast.AST) -> bool:
    """Whether an expression is a non-student built-in role's name: "admin", Role.ADMIN,
    Role.ADMIN.value, perms.ADMIN, or a tuple/list/set of them."""
    if isinstance(node, ast.Constant):
        return node.value in CHECKED_NAMES
    if isinstance(node, ast.Attribute) and node.attr == "value":
        return _names_a_role(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr in ROLE_CONSTANTS
    if isinstance(node, ast.Name):
        return node.id in ROLE_CONSTANTS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_role(e) for e in node.elts)
    return False


def _is_about_a_role(node: ast.AST) -> bool:
    """Whether an expression reads someone's role: a name or attribute called *role*, or a
    row's "role" key."""
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and "role" in part.id.lower():
            return True
        if isinstance(part, ast.Attribute) and "role" in part.attr.lower() \
                and "Role" not in part.attr:  # Qt's ItemDataRole and ButtonRole are not roles
            return True
        if isinstance(part, ast.Constant) and part.value == "role":
            return True
    return False


def _is_check(node: ast.AST) -> bool:
    """Whether a node compares someone's role with a (non-student) built-in role's name."""
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        return any(_names_a_role(s) for s in sides) \
            and any(_is_about_a_role(s) for s in sides if not _names_a_role(s))
    # SQLAlchemy's column.in_([...])
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "in_" and _is_about_a_role(node.func.value) \
        and any(_names_a_role(a) for a in node.args)


def role_name_checks() -> list[str]:
    return [f"{relative}:{node.lineno}: {ast.unparse(node)}"
            for relative, tree in _sources() for node in ast.walk(tree) if _is_check(node)]


def test_no_check_asks_for_a_role_name() -> None:
    found = role_name_checks()
    assert not found, ("ask for a permission (institute_core/access/permissions.py), not a "
                       "role name:\n" + "\n".join(found))


def test_the_check_catches_what_it_is_meant_to() -> None:
    """The walker itself: it flags the shapes a role-name check takes and nothing else."""
    flagged = [
        'user.role == "admin"', "viewer.role in (Role.ADMIN, Role.SUPER_ADMIN)",
        'row.get("role") != Role.COUNSELOR.value', "ctx.user.role == perms.FACULTY",
    ]
    kept = ['kind == "faculty"', "user.role == Role.STUDENT.value", '"reports.view" in held',
            "role == Qt.ItemDataRole.DisplayRole", "account.role = Role.ADMIN"]
    for source in flagged:
        assert _is_check(ast.parse(source).body[0].value), source  # type: ignore[attr-defined]
    for source in kept:
        assert not any(_is_check(n) for n in ast.walk(ast.parse(source))), source
    assert _is_check(ast.parse("User.role.in_([Role.ADMIN.value])").body[0].value)  # type: ignore[attr-defined]
