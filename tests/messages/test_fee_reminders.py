"""Fee reminders: an instalment due in N days, or overdue, becomes one message per student,
trigger and day to the primary guardian, with the amount still to pay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from institute_core.enums import PlanKind
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.messaging.fee_reminders import queue_fee_reminders
from institute_core.replica import Replica
from institute_core.schema import Message
from tests.services.fixtures import Institute


def test_due_in_three_days_and_overdue_each_remind_once_a_day(replica: Replica,
                                                               school: Institute) -> None:
    office = replica.actor(school.admin_id)
    today = school.today
    soon, late, none = school.student_ids[:3]
    for student, first_due in ((soon, today + timedelta(days=3)),
                               (late, today - timedelta(days=10)),
                               (none, today + timedelta(days=20))):
        make_plan(replica, office, PlanRequest(
            student_id=student, name="Python course", price=Decimal("24000"),
            kind=PlanKind.INSTALMENTS.value, instalments=2, every_months=1,
            first_due=first_due), today)
        save_guardian(replica, office, student, GuardianInput(
            name=f"Parent of {str(student)[:4]}", phone=f"98765 {str(student.int)[-5:]}",
            is_primary=True))
    admin.save_template(replica, office, event="fee_due", language="en", channel="sms",
                        body="{student_first_name}'s fee of {amount_due} is due on {due_date}.")
    admin.save_trigger(replica, office, name="3 days before", event="fee_due", enabled=True,
                       days_before=3)
    admin.save_trigger(replica, office, name="Overdue", event="fee_due", enabled=True)

    queued = queue_fee_reminders(replica, office, today)
    assert len(queued) == 2
    assert queue_fee_reminders(replica, office, today) == []  # again today: nothing new
    with replica.read() as s:
        messages = {m.student_id: m for m in s.execute(select(Message)).scalars()}
    assert set(messages) == {soon, late}
    assert "₹12,000.00 is due on" in messages[soon].body
    assert messages[late].event == "fee_due" and "is due on" in messages[late].body
    assert len(queue_fee_reminders(replica, office, today + timedelta(days=1))) == 1  # overdue
