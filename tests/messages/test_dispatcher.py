"""The server's dispatcher against real PostgreSQL and local providers on sockets: each channel
sends in its provider's documented form, outages are retried then failed with the provider's
reason, opt-outs block, quiet hours hold, the rate limit defers, and two dispatcher processes
on one queue send every message exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from institute_core.enums import DeliveryStatus
from institute_core.ids import natural_id
from institute_core.messaging.quiet_hours import QuietHours
from institute_core.messaging.report import monthly_report
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.messages.adapters import Msg91Adapter, SmtpAdapter, WhatsAppAdapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.messages.settings import MessagingSettings
from sync_server.settings import make_engine
from tests.support.gateways import (
    AUTHKEY,
    PHONE_ID,
    WHATSAPP_TOKEN,
    Gateway,
    Mailbox,
    running_gateway,
    running_smtp,
)
from tests.support.server import REPO_ROOT, prepare_server_db

pytestmark = pytest.mark.postgres
_messages, _deliveries = table_of("messages"), table_of("message_deliveries")
_consents = table_of("message_consents")


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    prepare_server_db(pg_url)
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with running_gateway() as found:
        yield found


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_smtp() as found:
        yield found


def _settings(**changes: Any) -> MessagingSettings:
    base: dict[str, Any] = {
        "quiet_hours": QuietHours.parse("off"), "retry_seconds": 60.0, "max_attempts": 3,
        "rates": {"sms": 0.0, "whatsapp": 0.0, "email": 0.0},
        "prices": {"sms": Decimal("0.20"), "whatsapp": Decimal("0.80"), "email": Decimal(0)}}
    return MessagingSettings(**{**base, **changes})


def _dispatcher(engine: Engine, gateway: Gateway, mailbox: Mailbox | None = None,
                **changes: Any) -> Dispatcher:
    adapters: dict[str, Any] = {
        "sms": Msg91Adapter(gateway.msg91_url, AUTHKEY, "tmpl-default"),
        "whatsapp": WhatsAppAdapter(gateway.graph_url, PHONE_ID, WHATSAPP_TOKEN)}
    if mailbox is not None:
        adapters["email"] = SmtpAdapter("127.0.0.1", mailbox.port, "office@institute.example",
                                        starttls=False)
    now = changes.pop("now", utcnow)
    return Dispatcher(engine, adapters, _settings(**changes), now=now)


def _queue(engine: Engine, channel: str, recipient: str, body: str, **fields: Any) -> uuid.UUID:
    key = fields.pop("dedupe_key", f"test:{uuid.uuid4()}")
    message_id = natural_id("messages", key)
    now = utcnow()
    row = {"id": message_id, "dedupe_key": key, "event": "absent", "channel": channel,
           "recipient": recipient, "body": body, "send_after": now - timedelta(minutes=1),
           "created_at": now, "updated_at": now, "version": 1, **fields}
    with engine.begin() as conn:
        conn.execute(insert(_messages), row)
    return message_id


def _delivery(engine: Engine, message_id: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(_deliveries).where(
            _deliveries.c.message_id == message_id)).one()


def test_each_channel_sends_in_its_providers_documented_form(
        engine: Engine, gateway: Gateway, mailbox: Mailbox) -> None:
    sms = _queue(engine, "sms", "+919876543210", "आरव आज अनुपस्थित था " * 4,
                 provider_template="1107160000000012345",
                 variables={"student_first_name": "आरव"})
    whatsapp = _queue(engine, "whatsapp", "+919876500000", "Aarav was absent today.",
                      provider_template="absence_alert", language="en",
                      variables={"student_first_name": "Aarav", "session_date": "05 Dec"})
    email = _queue(engine, "email", "parent@example.org", "Aarav was absent today.",
                   subject="Absence: Aarav")
    result = _dispatcher(engine, gateway, mailbox).run_once()
    assert result.admitted == 3 and result.outcomes == {"sent": 3}
    assert gateway.malformed == []
    assert gateway.sms == [{"template_id": "1107160000000012345", "short_url": "0",
                            "recipients": [{"mobiles": "919876543210",
                                            "student_first_name": "आरव"}]}]
    [sent] = gateway.whatsapp
    assert sent["to"] == "919876500000" and sent["template"]["name"] == "absence_alert"
    assert sent["template"]["language"] == {"code": "en"}
    [component] = sent["template"]["components"]
    assert component["type"] == "body"  # named parameters: their order does not matter
    assert sorted(component["parameters"], key=lambda p: p["parameter_name"]) == [
        {"type": "text", "parameter_name": "session_date", "text": "05 Dec"},
        {"type": "text", "parameter_name": "student_first_name", "text": "Aarav"}]
    [envelope] = mailbox.envelopes
    assert envelope.rcpt_tos == ["parent@example.org"]
    assert b"Subject: Absence: Aarav" in envelope.content
    rows = {m: _delivery(engine, m) for m in (sms, whatsapp, email)}
    assert {r.status for r in rows.values()} == {DeliveryStatus.SENT.value}
    assert rows[sms].segments == 2 and rows[sms].cost == Decimal("0.40")  # Unicode: 67 a part
    assert rows[whatsapp].provider_message_id.startswith("wamid.")
    assert all(r.version > 1 for r in rows.values())  # the next pull brings the status
    with Session(engine) as session:
        [email_month, sms_month, whatsapp_month] = monthly_report(session)
    assert (sms_month.channel, sms_month.sent, sms_month.segments) == ("sms", 1, 2)
    assert sms_month.cost == Decimal("0.40") and whatsapp_month.cost == Decimal("0.80")
    assert email_month.sent == 1 and email_month.month == utcnow().date().replace(day=1)
    # Another round finds nothing: sent is sent.
    assert _dispatcher(engine, gateway, mailbox).run_once().handled == 0
    assert len(gateway.sms) == 1


def test_a_provider_that_is_down_is_retried_with_backoff_then_failed_with_its_reason(
        engine: Engine, gateway: Gateway) -> None:
    message = _queue(engine, "sms", "+919876543210", "Absent today")
    clock = [utcnow()]
    dispatcher = _dispatcher(engine, gateway, now=lambda: clock[0])
    gateway.fail_next = 10
    assert dispatcher.run_once().outcomes == {"retry": 1}
    first = _delivery(engine, message)
    assert first.status == "queued" and first.attempts == 1
    assert first.next_attempt_at == clock[0] + timedelta(seconds=60)
    assert "503" in first.failure_reason
    assert dispatcher.run_once().handled == 0  # not due yet
    clock[0] += timedelta(seconds=61)
    assert dispatcher.run_once().outcomes == {"retry": 1}
    assert _delivery(engine, message).next_attempt_at == clock[0] + timedelta(seconds=120)
    clock[0] += timedelta(seconds=121)
    assert dispatcher.run_once().outcomes == {"failed": 1}
    failed = _delivery(engine, message)
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.failure_reason.startswith("gave up after 3 tries: HTTP 503")
    assert gateway.sms == []


def test_an_outage_that_ends_sends_once(engine: Engine, gateway: Gateway) -> None:
    message = _queue(engine, "sms", "+919876543210", "Absent today")
    clock = [utcnow()]
    dispatcher = _dispatcher(engine, gateway, now=lambda: clock[0])
    gateway.fail_next = 1
    dispatcher.run_once()
    clock[0] += timedelta(minutes=5)
    assert dispatcher.run_once().outcomes == {"sent": 1}
    assert _delivery(engine, message).attempts == 2 and len(gateway.sms) == 1


def test_a_refusal_fails_at_once_with_the_providers_words(engine: Engine,
                                                          gateway: Gateway) -> None:
    message = _queue(engine, "sms", "+919876543210", "Absent today")
    gateway.refuse_sms = "Template ID is not approved"
    assert _dispatcher(engine, gateway).run_once().outcomes == {"failed": 1}
    row = _delivery(engine, message)
    assert row.status == "failed" and row.failure_reason == \
        "HTTP 400: Template ID is not approved"


def test_an_unknown_mailbox_fails_with_the_mail_servers_reason(
        engine: Engine, gateway: Gateway, mailbox: Mailbox) -> None:
    message = _queue(engine, "email", "nobody@nowhere.invalid", "Hello")
    _dispatcher(engine, gateway, mailbox).run_once()
    row = _delivery(engine, message)
    assert row.status == "failed" and "550 5.1.1 No such user here" in row.failure_reason


def test_opted_out_contacts_are_blocked_and_cancelled_messages_never_go(
        engine: Engine, gateway: Gateway) -> None:
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(insert(_consents), {
            "id": natural_id("message_consents", "+919876543210", "sms"),
            "contact": "+919876543210", "channel": "sms", "opted_out": True,
            "source": "stop_reply", "created_at": now, "updated_at": now, "version": 1})
    blocked = _queue(engine, "sms", "+919876543210", "Absent today")
    cancelled = _queue(engine, "sms", "+919876500000", "Absent today", cancelled_at=now)
    result = _dispatcher(engine, gateway).run_once()
    assert result.outcomes == {"blocked": 1} and gateway.sms == []
    assert _delivery(engine, blocked).failure_reason == "+919876543210 opted out of sms"
    assert _delivery(engine, cancelled).status == "cancelled"  # admitted as cancelled


def test_quiet_hours_hold_sms_until_morning_but_not_email(
        engine: Engine, gateway: Gateway, mailbox: Mailbox) -> None:
    night = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)  # 22:30 in India
    sms = _queue(engine, "sms", "+919876543210", "Absent today", send_after=night)
    email = _queue(engine, "email", "parent@example.org", "Absent today", send_after=night)
    dispatcher = _dispatcher(engine, gateway, mailbox, now=lambda: night,
                             quiet_hours=QuietHours.parse("21:00-09:00", "Asia/Kolkata"))
    assert dispatcher.run_once().outcomes == {"held": 1, "sent": 1}
    held = _delivery(engine, sms)
    assert held.status == "queued" and held.attempts == 0
    assert held.next_attempt_at == datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 09:00 IST
    assert _delivery(engine, email).status == "sent" and gateway.sms == []


def test_the_rate_limit_defers_the_rest_of_a_round(engine: Engine, gateway: Gateway) -> None:
    for i in range(5):
        _queue(engine, "sms", f"+91987654321{i}", "Absent today")
    dispatcher = _dispatcher(engine, gateway, rates={"sms": 2.0, "whatsapp": 0, "email": 0})
    assert dispatcher.run_once().outcomes == {"sent": 2, "rate_limited": 3}
    assert len(gateway.sms) == 2


def test_two_dispatcher_processes_on_one_queue_send_every_message_once(
        engine: Engine, gateway: Gateway, pg_url: str) -> None:
    count = 600
    env = {**os.environ, "DATABASE_URL": pg_url, "INSTITUTE_MSG91_AUTHKEY": AUTHKEY,
           "INSTITUTE_MSG91_URL": gateway.msg91_url, "INSTITUTE_MSG91_TEMPLATE_ID": "t1",
           "INSTITUTE_QUIET_HOURS": "off", "INSTITUTE_SMS_PER_SECOND": "0"}
    command = [sys.executable, "-m", "sync_server.cli", "dispatch", "--batch", "50",
               "--idle-seconds", "0.2"]
    processes = [subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for _ in range(2)]
    try:
        for process in processes:  # both are up and polling before anything is queued
            assert process.stderr is not None
            assert "dispatching sms" in process.stderr.readline().decode()
        ids = {_queue(engine, "sms", "+919876543210", f"Message {i}", variables={"n": str(i)})
               for i in range(count)}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                sent = conn.execute(select(_deliveries.c.message_id).where(
                    _deliveries.c.status == "sent")).scalars().all()
            if len(sent) == count:
                break
            time.sleep(0.3)
    finally:
        for process in processes:
            process.terminate()
        logs = [process.communicate(timeout=30)[1].decode() for process in processes]
    assert set(sent) == ids, logs
    numbers = Counter(r["recipients"][0]["n"] for r in gateway.sms)
    assert len(gateway.sms) == count and max(numbers.values()) == 1  # none twice
    assert gateway.malformed == []
    # Both processes took a share (the point of SKIP LOCKED, not one waiting on the other).
    assert all("'sent'" in log for log in logs), logs
