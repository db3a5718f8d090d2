"""A counselor's one-off message to an inquiry is queued and logged as a follow-up with its
text; no contact, an opt-out or an over-long SMS is refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.engagement.access import NotAllowed
from institute_core.messaging.contacts import GuardianInput, save_guardian, set_consent
from institute_core.messaging.one_off_messages import send_to_guardian, send_to_inquiry
from institute_core.replica import Replica
from institute_core.schema import FollowUp, Inquiry, Message
from institute_core.validation import InvalidInput
from tests.services.fixtures import Institute


def test_a_message_to_an_inquiry_is_queued_and_logged_with_its_text(
        replica: Replica, school: Institute) -> None:
    counselor = replica.actor(school.counselor_id)
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Rohan Gupta", "98111 22233"))
    message_id = send_to_inquiry(replica, counselor, inquiry, "whatsapp",
                                 "Hi Rohan, the Python batch starts Monday at 5 pm.")
    with replica.read() as s:
        message = s.get(Message, message_id)
        assert message is not None and message.recipient == "+919811122233"
        assert message.inquiry_id == inquiry and message.event == "one_off"
        [follow_up] = s.execute(select(FollowUp)).scalars()
        assert follow_up.follow_up_type == "whatsapp" and follow_up.status == "completed"
        assert follow_up.notes == "Hi Rohan, the Python batch starts Monday at 5 pm."
        assert s.get(Inquiry, inquiry).status == "contacted"  # type: ignore[union-attr]


def test_no_email_an_opt_out_or_a_long_sms_is_refused_and_nothing_written(
        replica: Replica, school: Institute) -> None:
    counselor = replica.actor(school.counselor_id)
    inquiry = create_inquiry(replica, counselor, InquiryDraft("Rohan Gupta", "98111 22233"))
    with pytest.raises(InvalidInput, match="the inquiry has no email address"):
        send_to_inquiry(replica, counselor, inquiry, "email", "Hello")
    set_consent(replica, replica.actor(school.admin_id), "98111 22233", "sms", opted_out=True)
    with pytest.raises(InvalidInput, match=r"\+919811122233 opted out of sms"):
        send_to_inquiry(replica, counselor, inquiry, "sms", "Hello")
    with pytest.raises(InvalidInput, match="too long for SMS"):
        send_to_inquiry(replica, counselor, inquiry, "whatsapp", "नमस्ते " * 60)
    with replica.read() as s:
        assert s.execute(select(func.count()).select_from(Message)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(FollowUp)).scalar_one() == 0


def test_a_message_to_a_guardian_takes_messages_send_and_their_contact(
        replica: Replica, school: Institute) -> None:
    admin = replica.actor(school.admin_id)
    student = school.student_ids[0]
    guardian = save_guardian(replica, admin, student,
                             GuardianInput("Meena Rao", phone="98765 43210"))
    sent = send_to_guardian(replica, admin, guardian, "sms", "Fees are due on Friday.")
    with replica.read() as s:
        message = s.get(Message, sent)
        assert message is not None
        assert (message.recipient, message.student_id, message.guardian_id, message.event) == (
            "+919876543210", student, guardian, "one_off")
    with pytest.raises(InvalidInput, match="Meena Rao has no email address"):
        send_to_guardian(replica, admin, guardian, "email", "Hello")
    # Faculty send nothing (they cause absence alerts by marking attendance).
    with pytest.raises(NotAllowed, match="Sending a message"):
        send_to_guardian(replica, replica.actor(school.faculty_user_id), guardian, "sms", "Hi")
    with replica.read() as s:
        assert s.execute(select(func.count()).select_from(Message)).scalar_one() == 1
