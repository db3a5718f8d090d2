"""The triggers beside absences and fees, through the same path: a session cancelled or
rescheduled tells the guardian, a student at risk tells the guardian, a follow-up due tells
the counselor - each at most once per student (or follow-up), trigger and day."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from institute_core.crm.clock import day_start
from institute_core.crm.followups import schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.messaging.events import at_risk_alerts, follow_up_reminders
from institute_core.replica import Replica
from institute_core.schema import LearningSession, Message, User
from institute_core.services import sessions
from institute_core.services.common import SessionKey
from tests.services.fixtures import Institute


def _guardians(replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    for n, student in enumerate(school.student_ids):
        save_guardian(replica, office, student, GuardianInput(
            name=f"Parent {n}", phone=f"98765 4320{n}", is_primary=True))


def _messages(replica: Replica, event: str) -> list[Message]:
    with replica.read() as s:
        return list(s.execute(select(Message).where(Message.event == event)
                              .order_by(Message.recipient)).scalars())


def test_a_cancelled_or_moved_session_tells_the_guardian_once(
        replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    _guardians(replica, school)
    admin.save_template(replica, office, event="session_cancelled", language="en",
                        channel="sms", body="{student_first_name}'s {subject_name} class on "
                        "{session_date} is cancelled.")
    admin.save_template(replica, office, event="session_rescheduled", language="en",
                        channel="sms", body="{student_first_name}'s class of {session_date} "
                        "moves to {new_date}.")
    for event in ("session_cancelled", "session_rescheduled"):
        admin.save_trigger(replica, office, name=event, event=event, enabled=True,
                           grace_minutes=0)
    teacher = replica.actor(school.faculty_user_id)
    with replica.read() as s:
        lesson = s.get(LearningSession, school.individual_session_id)
        assert lesson is not None
        student, day = lesson.student_id, lesson.session_date
    sessions.reschedule(replica, teacher, school.individual_session_id,
                        on=day + timedelta(days=2), start=time(16), end=time(17))
    [moved] = _messages(replica, "session_rescheduled")
    assert moved.student_id == student and "moves to" in moved.body
    sessions.cancel(replica, teacher, SessionKey.individual(school.individual_session_id, day))
    sessions.cancel(replica, teacher, SessionKey.individual(school.individual_session_id, day))
    [cancelled] = _messages(replica, "session_cancelled")
    assert "Python" in cancelled.body and cancelled.body.endswith("is cancelled.")
    # A batch day cancelled: every member's guardian.
    sessions.cancel(replica, teacher, school.batch_key)
    assert len(_messages(replica, "session_cancelled")) > 1


def test_a_student_at_risk_tells_the_guardian_once_a_day(replica: Replica,
                                                          school: Institute) -> None:
    office = replica.actor(school.admin_id)
    _guardians(replica, school)
    admin.save_template(replica, office, event="at_risk", language="en", channel="sms",
                        body="{student_first_name} needs attention: {risk_reason}.")
    admin.save_trigger(replica, office, name="At risk", event="at_risk", enabled=True)
    later = school.today + timedelta(days=40)  # nobody has attended for weeks
    with replica.write(office) as s:
        queued = len(at_risk_alerts(s, later))
    assert queued > 0
    with replica.write(office) as s:
        assert at_risk_alerts(s, later) == []  # once a day
    assert all("needs attention" in m.body for m in _messages(replica, "at_risk"))


def test_a_follow_up_due_tells_the_counselor(replica: Replica, school: Institute) -> None:
    office = replica.actor(school.admin_id)
    with replica.write(office) as s:
        counselor = s.get(User, school.counselor_id)
        assert counselor is not None
        counselor.phone = "98111 00011"
    admin.save_template(replica, office, event="follow_up_due", language="en", channel="sms",
                        body="Call {inquiry_name} today ({follow_up_date}).")
    admin.save_trigger(replica, office, name="Follow-ups", event="follow_up_due", enabled=True)
    front = replica.actor(school.counselor_id)
    inquiry = create_inquiry(replica, front, InquiryDraft("Rohan Gupta", "98111 22233"))
    schedule_follow_up(replica, front, inquiry, day_start(school.today))
    with replica.write(office) as s:
        [message] = follow_up_reminders(s, school.today)
        assert follow_up_reminders(s, school.today) == []
        assert message.recipient == "+919811100011" and message.inquiry_id == inquiry
        assert message.body.startswith("Call Rohan Gupta today")
