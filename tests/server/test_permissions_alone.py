"""Every permission of the catalogue exercised alone, on a real server (issue 17).

For each permission P a custom role holding only P (what P implies comes with it, as a role
granting P gets it) is written into PostgreSQL, with an account of that role and a desk:

- the role holds exactly what P implies;
- its desk's first pull holds exactly the rows the policy's read scopes for P declare, table by
  table, and no secret column.

Pushes are generated per built-in role by test_policy_generated; per single permission they are
not yet (the world makes rows for the built-in roles only, so a permission alone finds no case
of some kinds: no sessions of its own for attendance.mark, no account to link for
setup.branches.manage).

The cases come from `permissions.CATALOGUE` and the policy, never listed by hand: a permission
added to the catalogue is covered the day it is added.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from institute_core.access import permissions as perms
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.settings import make_engine
from sync_server.sync.versions import VersionClock
from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD, Device
from tests.server.test_policy_generated import check_pulls
from tests.support.policy_world import World, email_of
from tests.support.server import create_user, faculty_id_of, prepare_server_db, running_server


def role_name(permission: str) -> str:
    """The custom role holding `permission` alone ("only_fees_collect")."""
    return "only_" + re.sub(r"[^a-z0-9]+", "_", permission)


ALONE: tuple[str, ...] = tuple(role_name(p.name) for p in perms.CATALOGUE)


def _add_role(pg_url: str, name: str, permission: str) -> None:
    """The role row, versioned like any server write so it syncs."""
    engine = make_engine(pg_url)
    try:
        with engine.begin() as conn:
            stamp = utcnow()
            conn.execute(insert(table_of("roles")).values(
                id=uuid.uuid4(), name=name, permissions=[permission], built_in=False,
                description=f"{permission} alone", created_at=stamp, updated_at=stamp,
                version=VersionClock(conn).next()))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def world(pg_admin_url: str) -> Iterator[World]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        with running_server(url, INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="100000",
                            INSTITUTE_ACCESS_TOKEN_SECONDS="3600") as server:
            built = World.build(server.base_url, url)
            for permission in perms.CATALOGUE:
                name = role_name(permission.name)
                _add_role(url, name, permission.name)
                # The server gives a teaching role's account a faculty profile, as Setup does.
                user = create_user(url, email=email_of(name), password=PASSWORD, role=name)
                built.users[name] = user
                if "attendance.mark" in perms.expand([permission.name]):
                    built.faculties[name] = faculty_id_of(url, user)
                built.devices[name] = Device(built.http, email_of(name)).sign_in()
            try:
                yield built
            finally:
                built.http.close()
                built.engine.dispose()


def test_each_role_holds_what_its_one_permission_implies(world: World) -> None:
    for permission in perms.CATALOGUE:
        held = world.facts(role_name(permission.name)).permissions
        assert held == perms.expand([permission.name]), permission.name


def test_each_permission_alone_pulls_exactly_its_declared_scope(world: World) -> None:
    check_pulls(world, ALONE)
