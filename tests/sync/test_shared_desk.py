"""A shared front-desk PC: several people sign in on one replica, against the real server.

Each person syncs under a device id of their own; what the previous person left waiting is
sent first, as theirs; nothing is lost, nothing is answered "duplicate", and when the first
person comes back their numbering carries on where the server has it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from desktop_app import sync_bridge
from institute_core.schema import OutboxEntry, table_of
from institute_core.sync.account import account_of, connect, sync_replica
from institute_core.sync.credentials import account_key
from institute_core.sync.errors import WrongReplica
from sync_server.settings import sqlalchemy_url
from tests.support.server import ServerProcess, create_user
from tests.sync.builders import add_subject
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk


def _server_device(url: str, device_id: uuid.UUID) -> Any:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            devices = table_of("sync_devices")
            return conn.execute(select(devices).where(devices.c.device_id == device_id)).one()
    finally:
        engine.dispose()


def _stamp(url: str, table: str, row_id: uuid.UUID) -> list[Any]:
    """[version, hlc, author, device] of the last write of a server row."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            fields = table_of("sync_field_versions")
            meta = conn.execute(select(fields.c.meta).where(
                fields.c.table_name == table, fields.c.row_id == row_id)).scalar_one()
    finally:
        engine.dispose()
    return list(meta["*"])


def _outcomes(report: Any) -> dict[str, int]:
    return dict(report.outcomes)


@pytest.fixture
def second_admin(institute: Institute) -> str:
    create_user(institute.url, email="frontdesk2@example.org", password=PASSWORD, role="admin")
    return "frontdesk2@example.org"


@pytest.fixture
def first(institute: Institute, server: ServerProcess, desks: list[Desk],
          tmp_path: Path) -> Desk:
    """The desk as its first person connected it."""
    desk, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    return desk


def test_people_taking_turns_on_one_desk_each_sync_as_themselves(
        institute: Institute, server: ServerProcess, first: Desk, second_admin: str) -> None:
    replica, credentials = first.replica, first.credentials
    first_device = replica.device_id
    left_waiting, _ = add_subject(replica, first.user_id, code="WAIT1", topics=1)
    sent_before = replica.pending_changes()
    assert sent_before > 0

    # The second person signs in on the same desk: the first one's changes go out as theirs.
    second, report = connect(replica, server.base_url, second_admin, PASSWORD, credentials,
                             retry=FAST_RETRY)
    assert replica.pending_changes() == 0
    assert replica.device_id != first_device
    assert _stamp(institute.url, "subjects", left_waiting)[2:] == [str(first.user_id),
                                                                  str(first_device)]
    old = _server_device(institute.url, first_device)
    assert old.user_id == first.user_id and old.last_seq >= sent_before
    assert _server_device(institute.url, replica.device_id).user_id == second.id
    second_device = replica.device_id

    mine, _ = add_subject(replica, second.id, code="SECOND", topics=0)
    report = sync_replica(replica, credentials, retry=FAST_RETRY)
    assert set(_outcomes(report)) == {"applied"}, report.outcomes
    assert _stamp(institute.url, "subjects", mine)[2:] == [str(second.id), str(second_device)]

    # The first person comes back: their own id again, numbered on from what the server has.
    connect(replica, server.base_url, institute.emails["admin"], PASSWORD, credentials,
            retry=FAST_RETRY)
    assert replica.device_id == first_device
    back, _ = add_subject(replica, first.user_id, code="BACK1", topics=0)
    waiting = replica.pending_changes()
    report = sync_replica(replica, credentials, retry=FAST_RETRY)
    assert _outcomes(report) == {"applied": waiting}, report.outcomes  # never "duplicate"
    assert _server_device(institute.url, first_device).last_seq == old.last_seq + waiting
    assert _stamp(institute.url, "subjects", back)[2:] == [str(first.user_id),
                                                          str(first_device)]


def test_a_waiting_change_whose_author_cannot_sync_blocks_the_next_person_and_is_kept(
        institute: Institute, server: ServerProcess, first: Desk, second_admin: str) -> None:
    replica, credentials = first.replica, first.credentials
    device = replica.device_id
    add_subject(replica, first.user_id, code="STUCK1", topics=0)
    waiting = replica.pending_changes()
    # The first person's sign-in is gone (no keyring and the app restarted, or it expired).
    stored = account_of(replica)
    assert stored is not None
    credentials.delete_refresh_token(account_key(stored.server_url, stored.email))
    with pytest.raises(WrongReplica, match=institute.emails["admin"]):
        connect(replica, server.base_url, second_admin, PASSWORD, credentials,
                retry=FAST_RETRY)
    assert replica.pending_changes() == waiting
    assert replica.device_id == device
    account = account_of(replica)
    assert account is not None and account.email == institute.emails["admin"]
    # Once the first person signs in again, their change goes out and the desk is free.
    connect(replica, server.base_url, institute.emails["admin"], PASSWORD, credentials,
            retry=FAST_RETRY)
    assert replica.pending_changes() == 0
    connect(replica, server.base_url, second_admin, PASSWORD, credentials, retry=FAST_RETRY)
    assert replica.device_id != device


def test_signing_in_at_the_desk_window_hands_the_desk_over(
        institute: Institute, server: ServerProcess, first: Desk, second_admin: str) -> None:
    replica, credentials = first.replica, first.credentials
    device = replica.device_id
    waiting, _ = add_subject(replica, first.user_id, code="DESK1", topics=0)
    user = sync_bridge.login_online(replica, credentials, second_admin, PASSWORD)
    assert user.email == second_admin and user.online
    account = account_of(replica)
    assert account is not None and account.email == second_admin
    assert replica.device_id != device
    with replica.engine.connect() as connection:  # only what the new person did since
        waiting_now = connection.execute(select(OutboxEntry.device_id, OutboxEntry.author_id)
                                         ).all()
    assert {(d, a) for d, a in waiting_now} <= {(replica.device_id, user.user_id)}
    assert _stamp(institute.url, "subjects", waiting)[2:] == [str(first.user_id), str(device)]
    report = sync_replica(replica, credentials, retry=FAST_RETRY)
    assert "duplicate" not in report.outcomes
