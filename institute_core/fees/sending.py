"""Sending a receipt to the student (issue 18): a message queued through the messages feature
(institute_core/messaging), to the student's primary guardian on their preferred channel, else
to the student's own email. SMS and WhatsApp carry a short text; an email also carries the
receipt's PDF, which the server draws from PostgreSQL when it sends it (the message names the
payment in its variables; the server checks the payment is the message's student's).

Opt-outs are checked here (a clear refusal before anything is queued) and again by the server's
dispatcher, which also holds messages in quiet hours, as for every other message. Sending takes
`fees.collect` (on the desk) and `messages.send`, which the server's sync policy enforces on the
message it receives.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from institute_core.display import date_text, money
from institute_core.engagement.access import require_any
from institute_core.enums import Channel, MessageEvent
from institute_core.fees.access import require_money_access
from institute_core.fees.documents import receipt_data
from institute_core.messaging.access import SEND
from institute_core.messaging.contacts import opted_out, recipient
from institute_core.messaging.queue import Outgoing, queue
from institute_core.messaging.triggers import primary_guardian, state_value
from institute_core.replica import Actor, Replica
from institute_core.reports.branding import ReportBranding
from institute_core.schema import Payment, Student, User
from institute_core.schema.types import utcnow
from institute_core.validation import InvalidInput

# The variable of an emailed receipt's message naming the payment whose PDF it carries.
RECEIPT_ATTACHMENT = "receipt_payment_id"


@dataclass(frozen=True)
class ReceiptSent:
    message_id: uuid.UUID
    channel: str
    recipient: str
    to: str  # who, by name


def send_receipt(replica: Replica, actor: Actor, payment_id: uuid.UUID) -> ReceiptSent:
    """Queue the receipt of `payment_id` to the student's primary guardian (else the student's
    email); refuses, naming why, a cancelled or bounced receipt, a missing contact or an
    opt-out (nothing is queued then)."""
    with replica.write(actor) as session:
        require_money_access(session, actor.user_id)
        require_any(session, actor.user_id, {SEND}, "Sending a receipt")
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise LookupError(f"no payment with id {payment_id}")
        data = receipt_data(session, payment_id)
        if data.status:
            raise InvalidInput("payments", "receipt_no", f"receipt {data.receipt_no} is "
                               f"{data.status.lower()}: it is not sent as a receipt")
        guardian = primary_guardian(session, payment.student_id)
        if guardian is not None:
            channel, contact, to = (guardian.preferred_channel,
                                    recipient(guardian, guardian.preferred_channel),
                                    guardian.name)
        else:
            student = session.get(Student, payment.student_id)
            user = session.get(User, student.user_id) if student is not None else None
            channel, contact, to = Channel.EMAIL.value, user.email if user else None, \
                data.student_name
        if not contact:
            raise InvalidInput("guardians", "preferred_channel",
                               f"{to} has no {channel} contact to send the receipt to")
        if opted_out(session, contact, channel):
            raise InvalidInput("message_consents", "opted_out",
                               f"{contact} opted out of {channel}: the receipt is not sent")
        institute = ReportBranding.from_mapping(state_value(session, "institute")).name
        text = (f"{institute}: receipt {data.receipt_no} for {money(data.amount)} received on "
                f"{date_text(data.paid_on)}. Balance due {money(data.balance)}.")
        email = channel == Channel.EMAIL.value
        if email:
            text = (f"Dear {to},\n\n{text}\n\nThe receipt is attached as a PDF.\n\n{institute}")
        message = queue(session, Outgoing(
            event=MessageEvent.ONE_OFF.value, channel=channel, recipient=contact, body=text,
            send_after=utcnow(), dedupe_key=f"fee_receipt:{payment_id}:{uuid.uuid4()}",
            student_id=payment.student_id,
            guardian_id=guardian.id if guardian is not None else None,
            subject=f"Receipt {data.receipt_no} – {institute}" if email else None,
            variables={RECEIPT_ATTACHMENT: str(payment_id)} if email else None),
            actor.user_id)
        assert message is not None  # a fresh key
        session.flush()
        return ReceiptSent(message.id, channel, contact, to)
