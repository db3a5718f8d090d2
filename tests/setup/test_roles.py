"""Roles as data on a desk (issue 17): an owner builds roles from the permission catalogue and
assigns them; nobody grants what they lack, only a super admin touches the super admin role,
built-in roles stay. Refusals name what was wrong and leave the replica unchanged."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from institute_core.access import permissions as perms
from institute_core.access import roles
from institute_core.access.check import NotAllowed, permissions_of
from institute_core.replica import Replica
from institute_core.schema import OutboxEntry, RoleRecord, User
from institute_core.services import auth
from institute_core.setup import people
from institute_core.validation import InvalidInput
from tests.services.fixtures import PASSWORD, Institute
from tests.setup.conftest import ADMIN, SUPER

ACCOUNTANT = {"fees.all_students", "fees.refund", "reports.financial", "students.view_all",
              "people.directory"}


@dataclass(frozen=True)
class Holder:
    """A signed-in person holding exactly these permissions (a custom role's)."""

    role: str
    permissions: frozenset[str]


def _rows(replica: Replica) -> tuple[int, int]:
    with replica.read() as session:
        return (session.execute(select(func.count()).select_from(RoleRecord)).scalar_one(),
                session.execute(select(func.count()).select_from(OutboxEntry)).scalar_one())


def test_the_built_in_roles_are_there_with_their_meaning(replica: Replica) -> None:
    listed = {r.name: r for r in roles.list_roles(replica)}
    assert [r.name for r in roles.list_roles(replica)][:5] == list(perms.BUILT_IN_NAMES)
    for name in perms.BUILT_IN_NAMES:
        assert listed[name].built_in
        assert perms.expand(listed[name].permissions) == perms.of_role(name)


def test_an_accountant_sees_fees_but_no_crm_and_signs_in_with_those_rights(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    roles.save_role(replica, actor, SUPER, name="Accountant", permissions=ACCOUNTANT,
                    description="Fees and money reports")
    user_id = people.create_user(replica, actor, SUPER, people.NewUser(
        email="acc@example.org", first_name="Anu", last_name="Acc", role="accountant",
        password=PASSWORD))
    with replica.read() as session:
        held = permissions_of(session, user_id)
    assert {"fees.collect", "fees.refund", "reports.financial"} <= held
    assert "crm.inquiry.edit" not in held
    signed_in = auth.login_offline(replica, "acc@example.org", PASSWORD)
    assert signed_in.role == "accountant" and signed_in.may("fees.refund")
    assert not signed_in.may("crm.inquiry.edit")
    from desktop_app.shell.navigation import sections_for

    shown = [s.id for s in sections_for(signed_in)]
    assert "fees" in shown and "inquiries" not in shown and "follow_ups" not in shown


def test_a_branch_manager_cannot_grant_what_they_lack(replica: Replica,
                                                      institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    manager = Holder("branch_manager", perms.expand({
        "setup.roles.manage", "setup.people.manage", "students.manage", "attendance.manage",
        "attendance.mark"}))
    before = _rows(replica)
    with pytest.raises(NotAllowed, match=re.escape("you cannot grant 'fees.refund'")):
        roles.save_role(replica, actor, manager, name="cashier", permissions={"fees.refund"})
    assert _rows(replica) == before  # nothing written, nothing queued to sync
    made = roles.save_role(replica, actor, manager, name="receptionist",
                           permissions={"students.view_all"})
    with pytest.raises(NotAllowed, match=re.escape("you cannot grant 'crm.inquiry.edit'")):
        roles.save_role(replica, actor, manager, name="receptionist", role_id=made,
                        permissions={"students.view_all", "crm.inquiry.edit"})
    # Nor through an account: the admin role grants more than the manager holds.
    with pytest.raises(NotAllowed, match="you cannot give the role admin"):
        people.create_user(replica, actor, manager, people.NewUser(
            email="boss@example.org", first_name="B", last_name="X", role="admin"))
    # They manage the faculty member's account, but cannot make them a counselor.
    with pytest.raises(NotAllowed, match=re.escape("role counselor: it grants 'crm.assign'")):
        roles.assign_role(replica, actor, manager, institute.faculty_user_id, "counselor")
    roles.assign_role(replica, actor, manager, institute.faculty_user_id, "receptionist")


def test_only_a_super_admin_changes_the_super_admin_role(replica: Replica,
                                                         institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    listed = {r.name: r for r in roles.list_roles(replica)}
    with pytest.raises(NotAllowed, match="only a super admin"):
        roles.save_role(replica, actor, ADMIN, name="super_admin",
                        role_id=listed["super_admin"].id,
                        permissions=listed["super_admin"].permissions,
                        description="mine now")
    roles.save_role(replica, actor, SUPER, name="super_admin", role_id=listed["super_admin"].id,
                    permissions=listed["super_admin"].permissions, description="The owner")
    assert {r.name: r for r in roles.list_roles(replica)}["super_admin"].description \
        == "The owner"


def test_built_in_roles_cannot_be_deleted_and_held_roles_wait(replica: Replica,
                                                              institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    listed = {r.name: r for r in roles.list_roles(replica)}
    with pytest.raises(NotAllowed, match="cannot be deleted"):
        roles.delete_role(replica, actor, SUPER, listed["faculty"].id)
    lab = roles.save_role(replica, actor, SUPER, name="lab_assistant",
                          permissions={"attendance.view_all"})
    people.create_user(replica, actor, SUPER, people.NewUser(
        email="lab@example.org", first_name="L", last_name="A", role="lab_assistant"))
    with pytest.raises(InvalidInput, match="hold this role"):
        roles.delete_role(replica, actor, SUPER, lab)
    with replica.read() as session:
        holder = session.execute(select(User.id).where(User.role == "lab_assistant")).scalar()
    assert holder is not None
    roles.assign_role(replica, actor, SUPER, holder, "faculty")
    roles.delete_role(replica, actor, SUPER, lab)
    assert "lab_assistant" not in {r.name for r in roles.list_roles(replica)}


def test_bad_input_names_the_field(replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    before = _rows(replica)
    unknown = re.escape("roles.permissions: unknown permission 'fees.steal'")
    with pytest.raises(InvalidInput, match=unknown):
        roles.save_role(replica, actor, SUPER, name="thief", permissions={"fees.steal"})
    with pytest.raises(InvalidInput, match=re.escape("roles.name")):
        roles.save_role(replica, actor, SUPER, name="?", permissions=set())
    with pytest.raises(InvalidInput, match="another role already has this name"):
        roles.save_role(replica, actor, SUPER, name="Faculty", permissions=set())
    with pytest.raises(InvalidInput, match=re.escape("users.role: is not a role")):
        people.create_user(replica, actor, SUPER, people.NewUser(
            email="x@example.org", first_name="X", last_name="Y", role="wizard"))
    assert _rows(replica) == before
