"""An emailed receipt (issue 18, "send it to the student"): the message a desk queues names the
payment; the server's dispatcher draws the receipt PDF from PostgreSQL and mails it to a real
SMTP server (aiosmtpd), where it arrives attached and opens. A message naming another student's
payment is refused at the server and nothing is mailed."""

from __future__ import annotations

import email
import email.policy
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, insert, select

from institute_core.fees.sending import RECEIPT_ATTACHMENT
from institute_core.ids import natural_id
from institute_core.messaging.quiet_hours import QuietHours
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.messages.adapters import SmtpAdapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.messages.settings import MessagingSettings
from tests.portal.conftest import PortalWorld, portal_settings
from tests.support.gateways import Mailbox, running_smtp

_messages, _deliveries = table_of("messages"), table_of("message_deliveries")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_smtp() as found:
        yield found


def _queue(engine: Engine, student_id: uuid.UUID, payment_id: uuid.UUID, to: str) -> uuid.UUID:
    """The row a desk's `send_receipt` pushes for an email (institute_core/fees/sending.py)."""
    key = f"fee_receipt:{payment_id}:{uuid.uuid4()}"
    now = utcnow()
    row: dict[str, Any] = {
        "id": natural_id("messages", key), "dedupe_key": key, "event": "one_off",
        "channel": "email", "recipient": to, "student_id": student_id,
        "subject": "Receipt – Test Institute", "body": "The receipt is attached as a PDF.",
        "variables": {RECEIPT_ATTACHMENT: str(payment_id)},
        "send_after": now - timedelta(minutes=1), "created_at": now, "updated_at": now,
        "version": 1}
    with engine.begin() as conn:
        conn.execute(insert(_messages), row)
    return row["id"]  # type: ignore[no-any-return]


def _dispatch(world: PortalWorld, mailbox: Mailbox) -> None:
    settings = MessagingSettings(
        quiet_hours=QuietHours.parse("off"), retry_seconds=60.0, max_attempts=3,
        rates={"sms": 0.0, "whatsapp": 0.0, "email": 0.0},
        prices={"sms": Decimal(0), "whatsapp": Decimal(0), "email": Decimal(0)})
    dispatcher = Dispatcher(world.engine, {"email": SmtpAdapter(
        "127.0.0.1", mailbox.port, "office@institute.example", starttls=False)}, settings,
        documents=portal_settings(world.url, institute_name="Test Institute"))
    try:
        for _ in range(5):
            dispatcher.run_once()
    finally:
        dispatcher.close()


def _status(engine: Engine, message_id: uuid.UUID) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(_deliveries.c.status, _deliveries.c.failure_reason).where(
            _deliveries.c.message_id == message_id)).one()
    return row.status, row.failure_reason


def test_an_emailed_receipt_arrives_with_its_pdf_and_another_students_is_refused(
        portal_world: PortalWorld, mailbox: Mailbox) -> None:
    alice, bob = portal_world.alice.student_id, portal_world.bob.student_id
    own = _queue(portal_world.engine, alice, portal_world.receipts[alice], "parent@example.org")
    # A desk naming Bob's payment in a message about Alice: the server does not mail it.
    forged = _queue(portal_world.engine, alice, portal_world.receipts[bob], "thief@example.org")
    _dispatch(portal_world, mailbox)

    assert _status(portal_world.engine, own) == ("sent", None)
    status, reason = _status(portal_world.engine, forged)
    assert status == "failed" and reason is not None and "not of this message's student" in reason
    assert not [e for e in mailbox.envelopes if "thief@example.org" in e.rcpt_tos]

    (mail,) = [e for e in mailbox.envelopes if "parent@example.org" in e.rcpt_tos]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    (attached,) = list(parsed.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    with portal_world.engine.connect() as conn:
        number = conn.execute(select(table_of("payments").c.receipt_no).where(
            table_of("payments").c.id == portal_world.receipts[alice])).scalar_one()
    assert attached.get_filename() == "receipt-" + number.replace("/", "-") + ".pdf"
    pdf = PdfReader(io.BytesIO(attached.get_content()))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert number in text and "Test Institute" in text
