"""Sending is a permission from the catalogue (issue 19): the server refuses a queued message
from a desk whose role lacks `messages.send`, whatever the desk does (a script writing the
row past the screens), and takes the same message once the role grants it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from institute_core.access import roles
from institute_core.messaging.queue import one_off
from institute_core.schema import Inquiry, table_of
from institute_core.sync.account import sync_replica
from sync_server.settings import make_engine
from tests.support.server import ServerProcess, create_user
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk
from tests.sync.test_e2e import _sync

pytestmark = pytest.mark.postgres
FRONT_DESK = {"crm.inquiry.edit", "students.counsel", "people.directory"}


class Admin:
    role = "admin"


def _server_messages(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            messages = table_of("messages")
            return list(conn.execute(select(messages.c.body)).scalars())
    finally:
        engine.dispose()


def test_a_role_without_messages_send_cannot_queue_a_message(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    url = institute.url
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = admin.replica.actor(admin.user_id)
    role_id = roles.save_role(admin.replica, actor, Admin(), name="front_desk",
                              permissions=FRONT_DESK, description="Inquiries, no messages")
    _sync(admin)
    clerk_id = create_user(url, email="desk@example.org", password=PASSWORD, role="front_desk")
    _sync(admin)  # the clerk's account reaches the office desk
    with admin.replica.write(actor) as s:
        lead = Inquiry(student_name="Rohan Gupta", phone="+919876543210", counselor_id=clerk_id)
        s.add(lead)
        s.flush()
        lead_id = lead.id
    _sync(admin)

    clerk, _ = open_desk(desks, tmp_path, server.base_url, "desk@example.org")
    with clerk.replica.write(clerk.replica.actor(clerk.user_id)) as s:
        one_off(s, channel="sms", recipient="+919876543210", body="Fees are due Friday.",
                created_by=clerk.user_id, inquiry_id=lead_id)
    report = sync_replica(clerk.replica, clerk.credentials, retry=FAST_RETRY)
    [(refused_table, _row, reason)] = [(r.table, r.row_id, r.reason) for r in report.rejected]
    assert refused_table == "messages" and "not allowed" in reason, reason
    assert _server_messages(url) == []

    # The role gains messages.send: the same kind of message now goes through.
    roles.save_role(admin.replica, actor, Admin(), name="front_desk", role_id=role_id,
                    permissions=FRONT_DESK | {"messages.send"})
    _sync(admin)
    _sync(clerk)
    with clerk.replica.write(clerk.replica.actor(clerk.user_id)) as s:
        one_off(s, channel="sms", recipient="+919876543210", body="Classes start Monday.",
                created_by=clerk.user_id, inquiry_id=lead_id)
    report = sync_replica(clerk.replica, clerk.credentials, retry=FAST_RETRY)
    assert [r.table for r in report.rejected] == []
    assert _server_messages(url) == ["Classes start Monday."]
