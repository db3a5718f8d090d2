"""A change the server fails on is seen at once (issue 13 item 3), with a real fault.

The fault is a trigger in the test's own PostgreSQL database that raises for one marked inquiry
(tests/support/faults.py); nothing in the product knows about it. The counselor's desk pushes
that inquiry through the real server: the server answers 500 with a reference it logs with the
change, notes the failure on the device, `institute-sync-server devices` shows it, the desk and
`institute-desk sync` say "Sync failing since …", and an unrelated desk keeps syncing. Once the
trigger is gone the desk uploads everything and the failure is cleared everywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from desktop_app.cli import main as desk_main
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.schema import Inquiry, OutboxEntry, table_of
from institute_core.sync import failing, wire
from institute_core.sync.account import sync_replica
from institute_core.sync.errors import SyncFailing
from institute_core.sync.outbox import push_body, read_batch
from sync_server.cli import main as server_main
from sync_server.settings import make_engine
from tests.support.faults import TableFault
from tests.support.server import ServerProcess
from tests.sync.builders import add_subject
from tests.sync.conftest import FAST_RETRY, PASSWORD, Desk, Institute, open_desk
from tests.sync.test_cli_and_credentials import FakeKeyring, fake_keyring

__all__ = ["fake_keyring"]  # a fixture, used by name below

MARKER = "Fault Marker"
REF = re.compile(r"[0-9a-f]{10}")


@pytest.fixture
def fault(institute: Institute) -> Iterator[TableFault]:
    fault = TableFault(institute.url, "crm_inquiries", "student_name", MARKER)
    fault.install()
    yield fault


def _sync(desk: Desk) -> object:
    return sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


def _device_row(url: str, device_id: uuid.UUID) -> dict[str, object]:
    devices = table_of("sync_devices")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(devices).where(devices.c.device_id == device_id)).one()
    finally:
        engine.dispose()
    return dict(row._mapping)


def _outbox_change(desk: Desk, table: str, row_id: uuid.UUID) -> uuid.UUID:
    with desk.replica.read() as s:
        return s.execute(select(OutboxEntry.change_id).where(
            OutboxEntry.table_name == table, OutboxEntry.row_id == row_id)).scalar_one()


def _devices_command(url: str, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    code = server_main(["devices", *args])
    return code, capsys.readouterr().out


def _line_of(output: str, email: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(email))


def test_a_failing_change_is_seen_at_once_and_clears_when_the_server_takes_it(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path,
        fault: TableFault, fake_keyring: FakeKeyring, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"])
    actor = front.replica.actor(front.user_id)
    blocked = create_inquiry(front.replica, actor, InquiryDraft(MARKER, "98450 11111"))
    behind = create_inquiry(front.replica, actor, InquiryDraft("Asha Rao", "98450 22222"))
    blamed = _outbox_change(front, "crm_inquiries", blocked)

    with pytest.raises(SyncFailing) as caught:
        _sync(front)
    failed = caught.value
    assert failed.status == 500 and failed.ref is not None and REF.fullmatch(failed.ref)
    line = failed.failing.line()
    assert re.fullmatch(r"Sync failing since \d\d:\d\d – the server could not apply a change "
                        rf"\(ref {failed.ref}\)", line), line
    # The bulk write and one change-by-change redo that found the change; no loop, and the
    # desk did not hammer the server with the same request (a logged 500 is not retried).
    assert fault.hits() == 2
    log = server.log()
    logged = next(text for text in log.split("\n") if failed.ref in text)
    assert str(blamed) in logged and "crm_inquiries" in logged and str(blocked) in logged
    assert str(front.replica.device_id) in logged
    assert "Traceback" in log.split(logged, 1)[1] and "the test fault refuses" in log
    assert "98450" not in log  # the statement's values (a person's phone) stay out of the log

    # The desk keeps everything and the later inquiry waits behind the failed one.
    assert front.replica.pending_changes() > 0
    assert _outbox_change(front, "crm_inquiries", behind)
    assert failing.load(front.replica) == failed.failing

    # The answer itself: an ErrorBody with the reference, no traceback, no database message.
    token = httpx.post(f"{server.base_url}/v1/auth/login", json={
        "email": front.email, "password": PASSWORD,
        "device_id": str(front.replica.device_id)}).json()["access_token"]
    answer = httpx.post(f"{server.base_url}/v1/sync/push",
                        content=push_body(front.replica.device_id, read_batch(front.replica, 50)),
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json"})
    assert answer.status_code == 500
    body = wire.ErrorBody.model_validate_json(answer.content)
    assert body.error == "internal_error" and body.ref and REF.fullmatch(body.ref)
    assert body.ref in body.detail and body.ref != failed.ref
    for leak in ("Traceback", "test fault", "psycopg", "File \""):
        assert leak not in answer.text
    assert fault.hits() == 4

    # The device row keeps the first failure as "since" and the latest reference and reason.
    row = _device_row(institute.url, front.replica.device_id)
    assert row["push_failure_ref"] == body.ref
    assert row["push_failing_since"] is not None and row["push_failed_at"] is not None
    assert row["push_failing_since"] < row["push_failed_at"]
    assert str(blamed) in str(row["push_failure_reason"])
    assert "the test fault refuses" in str(row["push_failure_reason"])

    # The server's admin sees it from the shell; monitoring gets exit status 1.
    code, out = _devices_command(institute.url, monkeypatch, capsys)
    assert code == 0
    front_line = _line_of(out, front.email)
    assert re.search(rf"push failing since \d\d:\d\d \(ref {body.ref}\)", front_line)
    assert "failing" not in _line_of(out, admin.email)
    assert out.strip().splitlines()[-1] == "2 device(s), 1 failing to upload"
    code, out = _devices_command(institute.url, monkeypatch, capsys, "--failing")
    assert code == 1 and admin.email not in out and front.email in out

    # An unrelated desk keeps syncing meanwhile, and never sees the inquiries.
    add_subject(admin.replica, admin.user_id, code="OK101")
    assert _sync(admin).sent > 0  # type: ignore[attr-defined]
    assert admin.replica.pending_changes() == 0

    # `institute-desk sync` from a shell: exit status 1 and the same line.
    monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
    assert desk_main(["sync", "--data-dir", str(front.replica.path.parent)]) == 1
    err = capsys.readouterr().err
    said = failing.load(front.replica)
    assert said is not None and said.since_ms == failed.failing.since_ms
    assert said.line() in err and re.search(r"\(ref [0-9a-f]{10}\)", err)

    # The fault is mended: the next sync uploads both inquiries and every trace clears.
    fault.remove()
    report = _sync(front)
    assert report.sent >= 2  # type: ignore[attr-defined]
    assert front.replica.pending_changes() == 0
    assert failing.load(front.replica) is None
    row = _device_row(institute.url, front.replica.device_id)
    assert row["push_failing_since"] is None and row["push_failure_ref"] is None
    assert row["last_push_at"] is not None
    code, out = _devices_command(institute.url, monkeypatch, capsys)
    assert "failing since" not in out and "1 failing" not in out
    assert "last push" in _line_of(out, front.email)
    _sync(admin)
    with admin.replica.read() as s:
        names = set(s.execute(select(Inquiry.student_name)).scalars())
    assert {MARKER, "Asha Rao"} <= names


def test_any_unexpected_failure_answers_500_with_a_logged_reference(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    """Outside the push too: here registering a device, whose row a trigger refuses."""
    front, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["counselor"],
                         name="renamed")
    fault = TableFault(institute.url, "sync_devices", "name", "Broken desk")
    fault.install()
    token = httpx.post(f"{server.base_url}/v1/auth/login", json={
        "email": front.email, "password": PASSWORD,
        "device_id": str(front.replica.device_id)}).json()["access_token"]
    answer = httpx.post(f"{server.base_url}/v1/devices", headers={
        "Authorization": f"Bearer {token}"}, json={
        "device_id": str(front.replica.device_id), "name": "Broken desk",
        "schema_version": wire.SCHEMA_VERSION})
    assert answer.status_code == 500
    body = wire.ErrorBody.model_validate_json(answer.content)
    assert body.error == "internal_error" and body.ref and REF.fullmatch(body.ref)
    assert "Traceback" not in answer.text and "test fault" not in answer.text
    log = server.log()
    logged = next(text for text in log.split("\n") if body.ref in text)
    assert f"POST /v1/devices device {front.replica.device_id}" in logged
    assert "Traceback" in log.split(logged, 1)[1]
    # The server carries on.
    assert _sync(front).sent == 0  # type: ignore[attr-defined]
    fault.remove()
