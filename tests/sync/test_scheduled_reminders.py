"""Fee reminders on a schedule: the server's dispatcher loop runs the daily triggers once per
institute day; an instalment due in 3 days becomes one SMS to the guardian, which the
dispatcher sends and the office desk pulls with its status - and running the day again, or in
a second process, queues nothing more. Real PostgreSQL, a real server and a local MSG91."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from institute_core.enums import PlanKind
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.messaging.events import at_risk_alerts
from institute_core.messaging.queue import messages_of_student
from sync_server.messages.adapters import Msg91Adapter
from sync_server.messages.dispatcher import Dispatcher
from sync_server.messages.scheduled import DailyTriggers
from sync_server.settings import make_engine
from tests.messages.test_dispatcher import _settings
from tests.support.gateways import AUTHKEY, running_gateway
from tests.support.server import ServerProcess
from tests.sync.builders import add_student, add_subject
from tests.sync.conftest import Desk, Institute, open_desk
from tests.sync.test_e2e import _sync

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)  # 10:00 in India


def test_the_server_sends_a_fee_reminder_once_a_day_and_the_desk_sees_it(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    office, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    actor = office.replica.actor(office.user_id)
    subject_id, _topics = add_subject(office.replica, office.user_id)
    student = add_student(office.replica, office.user_id, "PY-001", subject_id=subject_id,
                          faculty_id=institute.faculty)
    save_guardian(office.replica, actor, student, GuardianInput(
        name="Meena", relation="mother", phone="98765 43210", is_primary=True))
    today = NOW.date()
    make_plan(office.replica, actor, PlanRequest(
        student_id=student, name="Python course", price=Decimal("24000"),
        kind=PlanKind.INSTALMENTS.value, instalments=2, every_months=1,
        first_due=today + timedelta(days=3)), today)
    admin.save_template(office.replica, actor, event="fee_due", language="en", channel="sms",
                        body="{student_first_name}'s fee of {amount_due} is due on {due_date}.",
                        provider_template="1107160000000099999")
    admin.save_trigger(office.replica, actor, name="3 days before", event="fee_due",
                       enabled=True, days_before=3)
    assert not _sync(office).rejected  # type: ignore[attr-defined]

    engine = make_engine(institute.url)
    try:
        daily = DailyTriggers(engine, now=lambda: NOW)
        assert daily.run_due() == 1
        assert daily.run_due() is None  # done for the day in this process
        assert DailyTriggers(engine, now=lambda: NOW).run_due() == 0  # another process
        with running_gateway() as gateway:
            dispatcher = Dispatcher(engine, {"sms": Msg91Adapter(gateway.msg91_url, AUTHKEY)},
                                    _settings())
            assert dispatcher.run_once().outcomes == {"sent": 1}
            [request] = gateway.sms
            assert gateway.malformed == []
    finally:
        engine.dispose()
    assert request["template_id"] == "1107160000000099999"
    assert request["recipients"][0]["mobiles"] == "919876543210"
    assert request["recipients"][0]["amount_due"] == "₹12,000.00"

    _sync(office)
    with office.replica.read() as s:
        [(message, delivery)] = messages_of_student(s, student)
    assert message.event == "fee_due" and delivery is not None and delivery.status == "sent"

    # The other daily triggers run on PostgreSQL too (at risk: no session attended for weeks).
    admin.save_template(office.replica, actor, event="at_risk", language="en", channel="sms",
                        body="{student_first_name} needs attention: {risk_reason}.")
    admin.save_trigger(office.replica, actor, name="At risk", event="at_risk", enabled=True)
    _sync(office)
    engine = make_engine(institute.url)
    try:
        later = NOW + timedelta(days=60)
        queued = DailyTriggers(engine, now=lambda: later, jobs=(at_risk_alerts,)).run_due()
        assert queued == 1
    finally:
        engine.dispose()
