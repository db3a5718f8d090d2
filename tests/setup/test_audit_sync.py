"""The audit trail and password resets travel through a real sync server (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from institute_core.audit import log
from institute_core.schema import AuditEntry, PasswordReset
from institute_core.services import auth
from institute_core.setup import people
from institute_core.setup.passwords import SIGN_IN_ENDED
from institute_core.sync.account import sync_replica
from institute_core.sync.errors import NeedsLogin
from tests.setup.conftest import ADMIN
from tests.support.server import ServerProcess
from tests.sync.builders import set_fields
from tests.sync.conftest import (  # noqa: F401 (fixtures used by name)
    FAST_RETRY,
    PASSWORD,
    Desk,
    Institute,
    desks,
    institute,
    open_desk,
    server,
)


def _sync(desk: Desk) -> object:
    report = sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)
    assert not report.rejected, report.rejected  # type: ignore[attr-defined]
    return report


def test_entries_reach_the_server_and_admins_but_a_faculty_desk_keeps_only_its_own(
        institute: Institute, server: ServerProcess, desks: list[Desk],  # noqa: F811
        tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    set_fields(faculty.replica, faculty.user_id, "faculties", institute.faculty,
               qualification="M.Sc. Physics")
    _sync(faculty)
    with psycopg.connect(institute.url) as conn:
        rows = conn.execute("SELECT action, table_name, old_values, new_values FROM audit_log "
                            "WHERE user_id = %s", (faculty.user_id,)).fetchall()
    assert [(a, t, n["qualification"]) for a, t, _o, n in rows] == [
        ("update", "faculties", "M.Sc. Physics")]

    # An admin's edit is recorded too, and the admin desk receives everyone's entries.
    set_fields(admin.replica, admin.user_id, "users", institute.counselor, phone="+91 555")
    _sync(admin)
    seen = {(r.user_id, r.action, r.table_name) for r in log.list_entries(admin.replica, ADMIN)}
    assert {(faculty.user_id, "update", "faculties"), (admin.user_id, "update", "users")} <= seen

    # The faculty desk does not receive the admin's entries.
    _sync(faculty)
    with faculty.replica.read() as s:
        authors = set(s.scalars(select(AuditEntry.user_id)))
    assert authors == {faculty.user_id}


def test_a_reset_password_stops_offline_sign_in_on_the_users_desk_after_sync(
        institute: Institute, server: ServerProcess, desks: list[Desk],  # noqa: F811
        tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    faculty, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["faculty"])
    # The desktop caches a verifier at every online sign-in.
    auth.remember_verifier(faculty.replica, faculty.user_id, faculty.email, PASSWORD)
    assert auth.login_offline(faculty.replica, faculty.email, PASSWORD).user_id == \
        faculty.user_id
    people.reset_password(admin.replica, admin.replica.actor(admin.user_id), ADMIN,
                          faculty.user_id, "a brand new secret")
    _sync(admin)
    assert auth.login_offline(faculty.replica, faculty.email, PASSWORD)  # not synced yet
    # The reset ended the faculty member's sign-in on the server (a stolen laptop's token dies
    # with it), so the desk's next sync needs the new password, and until it is given the
    # cached verifier of the old one signs nobody in.
    with pytest.raises(NeedsLogin) as ended:
        _sync(faculty)
    assert ended.value.revoked
    with pytest.raises(auth.LoginFailed) as refused:
        auth.login_offline(faculty.replica, faculty.email, PASSWORD)
    assert str(refused.value) == SIGN_IN_ENDED
    # Signing in online with the new password syncs, and the desk then learns of the reset.
    sync_replica(faculty.replica, faculty.credentials, retry=FAST_RETRY,
                 password=lambda: "a brand new secret")
    with faculty.replica.read() as session:
        assert session.scalar(select(func.count()).select_from(PasswordReset)) == 1
    # Online, the server now takes only the new password.
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        old_try = http.post("/v1/auth/login", json={
            "email": faculty.email, "password": PASSWORD,
            "device_id": str(faculty.replica.device_id)})
        new_try = http.post("/v1/auth/login", json={
            "email": faculty.email, "password": "a brand new secret",
            "device_id": str(faculty.replica.device_id)})
    assert old_try.status_code == 401
    assert new_try.status_code == 200
