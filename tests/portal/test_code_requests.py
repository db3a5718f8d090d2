"""A guardian asks for a sign-in code on the portal and it is sent to the phone or email on
file, through the messages queue and the dispatcher; the form never tells whether a contact is
on file, and it is rate-limited."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select

from institute_core.messaging.quiet_hours import QuietHours
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.app import create_app
from sync_server.messages.adapters import SmtpAdapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.messages.settings import MessagingSettings
from tests.portal.conftest import PortalWorld, portal_settings
from tests.portal.pages import csrf_of
from tests.support.gateways import Mailbox, running_smtp

PHONE, PHONE_TYPED = "+919812345670", "098123 45670"
EMAIL = "Meera.Guardian@Example.org"
CODE = re.compile(r"\b([2-9A-Z]{5}-[2-9A-Z]{5})\b")
_messages, _guardians = table_of("messages"), table_of("guardians")
_failures = table_of("auth_login_failures")


@pytest.fixture
def guardian(portal_world: PortalWorld) -> Iterator[uuid.UUID]:
    """Bob's mother, with a phone and an email on file; her messages and limits cleared."""
    guardian_id, now = uuid.uuid4(), utcnow()
    engine = portal_world.engine
    with engine.begin() as conn:
        conn.execute(insert(_guardians).values(
            id=guardian_id, student_id=portal_world.bob.student_id, name="Meera Sharma",
            relation="mother", phone=PHONE_TYPED, phone_normalized=PHONE, email=EMAIL,
            preferred_channel="sms", language="hi", is_primary=True, created_at=now,
            updated_at=now))
    yield guardian_id
    with engine.begin() as conn:
        conn.execute(delete(_messages).where(_messages.c.guardian_id == guardian_id))
        conn.execute(delete(_guardians).where(_guardians.c.id == guardian_id))
        conn.execute(delete(_failures).where(_failures.c.email.like("portal-code%")))


def _ask(client: TestClient, contact: str, **extra: str) -> Any:
    form = client.get("/portal/sign-in")
    return client.post("/portal/code/request",
                       data={"csrf": csrf_of(form.text), "contact": contact, **extra})


def _sent_to(engine: Engine, guardian_id: uuid.UUID) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(_messages).where(
            _messages.c.guardian_id == guardian_id).order_by(_messages.c.created_at)))


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", html)


def test_a_code_goes_to_the_phone_on_file_and_opens_the_childs_pages(
        portal: TestClient, portal_world: PortalWorld, guardian: uuid.UUID) -> None:
    answer = _ask(portal, PHONE_TYPED)
    assert answer.status_code == 200
    assert "If this number or email is on file, a sign-in code is on its way" in answer.text
    (message,) = _sent_to(portal_world.engine, guardian)
    assert message.channel == "sms" and message.recipient == PHONE
    assert message.student_id is None  # reaches no faculty or counselor desk by sync
    assert message.language == "hi" and "साइन-इन कोड" in message.body
    assert message.version > 0  # a synced row: admin desks pull what was sent
    code = CODE.search(message.body)
    assert code is not None
    form = portal.get("/portal/sign-in")
    signed = portal.post("/portal/code", data={"csrf": csrf_of(form.text),
                                               "code": code.group(1)})
    assert signed.headers["location"] == "/portal/home"
    home = portal.get("/portal/home").text
    assert portal_world.bob.name in home and portal_world.alice.name not in home


def test_an_unknown_contact_gets_the_same_answer_and_nothing_is_sent(
        portal: TestClient, portal_world: PortalWorld, guardian: uuid.UUID) -> None:
    known = _ask(portal, PHONE_TYPED)
    answers = [_ask(portal, contact) for contact in
               ("+919000000001", "nobody@example.org", "not a phone", "")]
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert {_without_csrf(a.text) for a in answers[:3]} == {_without_csrf(known.text)}
    assert len(_sent_to(portal_world.engine, guardian)) == 1
    with portal_world.engine.connect() as conn:
        assert conn.execute(select(_messages.c.id).where(
            _messages.c.recipient.in_(("+919000000001", "nobody@example.org")))).first() is None


def test_requests_to_one_contact_are_limited_silently(
        portal: TestClient, portal_world: PortalWorld, guardian: uuid.UUID) -> None:
    answers = [_ask(portal, EMAIL.lower()) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({_without_csrf(a.text) for a in answers}) == 1
    assert len(_sent_to(portal_world.engine, guardian)) == 3  # the default limit


def test_a_request_without_the_forms_token_sends_nothing(
        portal: TestClient, portal_world: PortalWorld, guardian: uuid.UUID) -> None:
    answer = portal.post("/portal/code/request", data={"contact": PHONE})
    assert answer.status_code == 403
    assert _sent_to(portal_world.engine, guardian) == []


def test_one_address_asking_too_often_is_told_to_wait(portal_world: PortalWorld,
                                                      guardian: uuid.UUID) -> None:
    settings = portal_settings(portal_world.url, login_max_failures=2)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        answers = [_ask(client, f"+9190000000{n:02d}") for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Too many attempts" in answers[2].text


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_smtp() as found:
        yield found


def test_the_dispatcher_emails_the_code(portal: TestClient, portal_world: PortalWorld,
                                        guardian: uuid.UUID, mailbox: Mailbox) -> None:
    _ask(portal, EMAIL)
    (message,) = _sent_to(portal_world.engine, guardian)
    assert message.recipient == EMAIL.lower() and message.subject
    settings = MessagingSettings(
        quiet_hours=QuietHours.parse("off"), retry_seconds=60.0, max_attempts=3,
        rates={"sms": 0.0, "whatsapp": 0.0, "email": 0.0},
        prices={"sms": Decimal("0.20"), "whatsapp": Decimal("0.80"), "email": Decimal(0)})
    dispatcher = Dispatcher(portal_world.engine, {"email": SmtpAdapter(
        "127.0.0.1", mailbox.port, "office@institute.example", starttls=False)}, settings)
    try:
        dispatcher.admit()
        for _ in range(20):
            if any(EMAIL.lower() in e.rcpt_tos for e in mailbox.envelopes):
                break
            dispatcher.run_once()
    finally:
        dispatcher.close()
    (mail,) = [e for e in mailbox.envelopes if EMAIL.lower() in e.rcpt_tos]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert parsed["Subject"] == "छात्र पोर्टल साइन-इन कोड"  # the guardian's language
    code = CODE.search(parsed.get_content())
    assert code is not None and code.group(1) in message.body
