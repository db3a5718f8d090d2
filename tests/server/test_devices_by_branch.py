"""Setup → Devices on the server: someone limited to their branches lists only the devices of
accounts working there (and their own), never another branch's; who sees every branch lists
them all (issue 17: nobody sees a branch they do not belong to)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import insert

from institute_core.schema import MAIN_BRANCH_ID, table_of
from institute_core.schema.types import utcnow
from sync_server.settings import make_engine
from sync_server.sync.versions import VersionClock
from tests.server.conftest import Staff
from tests.server.helpers import PASSWORD, Device
from tests.support.server import create_user


def _add(url: str, table: str, **values: object) -> uuid.UUID:
    row_id = uuid.uuid4()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            stamp = utcnow()
            conn.execute(insert(table_of(table)).values(
                id=row_id, created_at=stamp, updated_at=stamp,
                version=VersionClock(conn).next(), **values))
    finally:
        engine.dispose()
    return row_id


def _listed(device: Device) -> set[str]:
    answer = device.http.get("/v1/admin/devices", headers=device.headers())
    assert answer.status_code == 200, answer.text
    return {d["email"] for d in answer.json()}


def test_a_branch_auditor_lists_only_their_branchs_devices(
        server_db: str, staff: Staff, device: Callable[[str], Device]) -> None:
    north = _add(server_db, "branches", name="North", code="NOR")
    _add(server_db, "roles", name="north_auditor", permissions=["audit.view"], built_in=False)
    _add(server_db, "roles", name="head_office", permissions=["audit.view", "branches.all"],
         built_in=False)
    for email, role, branches in (
            ("auditor.north@example.org", "north_auditor", (north,)),
            ("teacher.north@example.org", "faculty", (north,)),
            ("teacher.both@example.org", "faculty", (MAIN_BRANCH_ID, north)),
            ("owner@example.org", "head_office", (MAIN_BRANCH_ID,))):
        create_user(server_db, email=email, password=PASSWORD, role=role, branches=branches)
    desks = {email: device(email) for email in (
        "admin@example.org", "f1@example.org", "auditor.north@example.org",
        "teacher.north@example.org", "teacher.both@example.org", "owner@example.org")}

    # North's auditor: North's people and themselves, nothing of Main's alone.
    assert _listed(desks["auditor.north@example.org"]) == {
        "auditor.north@example.org", "teacher.north@example.org", "teacher.both@example.org"}
    # Who sees every branch lists every device.
    assert _listed(desks["owner@example.org"]) == set(desks)
    # A faculty member holds no audit.view at all.
    refused = desks["teacher.north@example.org"].http.get(
        "/v1/admin/devices", headers=desks["teacher.north@example.org"].headers())
    assert refused.status_code == 403
