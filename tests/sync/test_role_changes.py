"""Roles are data and take effect at the affected user's next sync (issue 17), across a real
server: an accountant role that grants fees but no CRM pulls no inquiry; granting CRM widens
their replica at their next sync, and taking it back removes the inquiries from it again."""

from __future__ import annotations

from pathlib import Path

from institute_core.access import permissions as perms
from institute_core.access import roles
from institute_core.branches.service import save_branch
from institute_core.schema import Inquiry, Student
from institute_core.schema.branches import MAIN_BRANCH_ID
from institute_core.sync.scopes import Viewer
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_student
from tests.sync.conftest import PASSWORD, Desk, Institute, open_desk
from tests.sync.invariants import differences, held_rows
from tests.sync.test_e2e import _sync

ACCOUNTANT = {"fees.all_students", "fees.refund", "reports.financial", "students.view_all",
              "people.directory"}


class Admin:
    role = "admin"


def _sees(url: str, desk: Desk, granted: set[str]) -> list[str]:
    """How the desk differs from what the server shows a holder of `granted`."""
    viewer = Viewer(desk.user_id, "accountant", permissions=perms.expand(granted))
    return differences(url, desk.replica, viewer)


def test_an_accountants_replica_narrows_and_widens_with_their_role(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    role_id = roles.save_role(admin.replica, actor, Admin(), name="accountant",
                              permissions=ACCOUNTANT, description="Fees, no CRM")
    add_student(admin.replica, admin.user_id, "ENR-ACC-1", counselor_id=institute.counselor)
    with admin.replica.write(actor) as s:
        s.add(Inquiry(student_name="A lead", counselor_id=institute.counselor))
    _sync(admin)

    create_user(url, email="accounts@example.org", password=PASSWORD, role="accountant")
    accountant, _ = open_desk(desks, tmp_path, server.base_url, "accounts@example.org")
    held = held_rows(accountant.replica)
    assert held.get("students"), "fees need every student: the accountant's desk holds them"
    assert not held.get("crm_inquiries"), "no CRM permission: no inquiry on their desk"
    assert _sees(url, accountant, ACCOUNTANT) == []

    # Granting CRM: the inquiries arrive at their next sync, nothing else to do.
    roles.save_role(admin.replica, actor, Admin(), name="accountant", role_id=role_id,
                    permissions=ACCOUNTANT | {"crm.inquiry.edit"})
    _sync(admin)
    _sync(accountant)
    assert held_rows(accountant.replica).get("crm_inquiries")
    assert _sees(url, accountant, ACCOUNTANT | {"crm.inquiry.edit"}) == []

    # Taking it back: the inquiries leave their replica at the next sync.
    roles.save_role(admin.replica, actor, Admin(), name="accountant", role_id=role_id,
                    permissions=ACCOUNTANT)
    _sync(admin)
    _sync(accountant)
    assert not held_rows(accountant.replica).get("crm_inquiries")
    assert _sees(url, accountant, ACCOUNTANT) == []


def test_a_role_limited_to_one_branch_holds_that_branch_only_even_with_branches_all(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    """`only_branch_id` narrows a role to one centre: a regional manager holding
    `branches.all` whose role is limited to North pulls North's students and none of Main's;
    lifting the limit brings Main's at their next sync."""
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    north = save_branch(admin.replica, actor, Admin(), name="North", code="nor",
                        address="12 Ring Road", phone="+91 80 1234 5678")
    manager_rights = {"branches.all", "students.view_all", "people.directory"}
    role_id = roles.save_role(admin.replica, actor, Admin(), name="north_manager",
                              permissions=manager_rights, branch_id=north)
    in_main = add_student(admin.replica, admin.user_id, "ENR-BL-M",
                          counselor_id=institute.counselor)
    in_north = add_student(admin.replica, admin.user_id, "ENR-BL-N",
                           counselor_id=institute.counselor)
    with admin.replica.write(actor) as s:
        s.get(Student, in_north).branch_id = north
    _sync(admin)

    create_user(url, email="north@example.org", password=PASSWORD, role="north_manager",
                branches=(MAIN_BRANCH_ID, north))
    manager, _ = open_desk(desks, tmp_path, server.base_url, "north@example.org")
    students = set(held_rows(manager.replica).get("students", ()))
    assert str(in_north) in students, students
    assert str(in_main) not in students, "a Main student on a North-only desk"

    roles.save_role(admin.replica, actor, Admin(), name="north_manager", role_id=role_id,
                    permissions=manager_rights, branch_id=None)
    _sync(admin)
    _sync(manager)
    students = set(held_rows(manager.replica).get("students", ()))
    assert str(in_main) in students, "the limit lifted: Main's students arrive"
