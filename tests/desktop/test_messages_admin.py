"""The administrators' Messages screen: a template with an unknown variable is refused naming
it, the SMS size is counted as one types, the preview is filled with a real student's data, and
a trigger is switched on and tuned - each saved through the data layer (rendered to PNG when
INSTITUTE_SCREENSHOTS names a folder)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.messages.admin_view import MessagesAdminView
from institute_core.messaging import admin
from institute_core.messaging.contacts import GuardianInput, save_guardian
from institute_core.replica import Replica
from institute_core.schema import Message, MessageDelivery
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


def test_templates_are_checked_counted_and_previewed_and_triggers_tuned(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    save_guardian(replica, replica.actor(institute.admin_id), institute.student_ids[0],
                  GuardianInput(name="Meena Rao", phone="98765 43210", is_primary=True))
    view = MessagesAdminView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.resize(1100, 620)
    view.show()
    tab = view.templates
    tab.event_box.setCurrentIndex(tab.event_box.findData("absent"))
    tab.body.setPlainText("{student_first_name} was absent on {sesion_date}.")
    tab.save()
    qtbot.waitUntil(lambda: "unknown variable {sesion_date}" in tab.message.text())
    assert admin.templates(replica) == []  # nothing written
    # One typographic dash makes the whole SMS Unicode, and two parts; the count says so.
    tab.body.setPlainText("Dear {guardian_name}, {student_first_name} was absent on "
                          "{session_date} ({subject_name}). – {institute_name}")
    assert tab.length.text() == "As typed: 108 characters (Unicode), 2 SMS parts"
    tab.body.setPlainText("Dear {guardian_name}, {student_first_name} was absent on "
                          "{session_date} ({subject_name}). - {institute_name}")
    assert tab.length.text() == "As typed: 118 characters (GSM-7), 1 SMS"  # braces count twice
    qtbot.waitUntil(lambda: "Meena Rao" in tab.preview.text(), timeout=3000)
    assert "{" not in tab.preview.text().split("— with")[0]  # every variable filled
    assert tab.message.text() == ""  # the refusal went with the text it was about
    tab.save()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    shot(view, "messages_templates")

    triggers = view.triggers
    view.tabs.setCurrentWidget(triggers)
    triggers.name.setText("Absent 3 days in a row")
    triggers.enabled.setChecked(True)
    triggers.after_absences.setValue(3)
    triggers.save()
    qtbot.waitUntil(lambda: triggers.model.rowCount() == 1)
    [saved] = admin.triggers(replica)
    assert saved.enabled and saved.after_absences == 3 and saved.event == "absent"
    triggers.view.selectRow(0)
    triggers.enabled.setChecked(False)
    triggers.save()
    qtbot.waitUntil(lambda: triggers.model.rowCount() == 1
                    and not triggers.model.row_at(0).enabled)
    assert len(admin.triggers(replica)) == 1  # changed, not added
    shot(view, "messages_triggers")


def test_the_costs_tab_shows_each_month_and_channel(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks) -> None:
    office = replica.actor(institute.admin_id)
    student = institute.student_ids[0]
    with replica.write(office) as s:  # what the server recorded, as pulled
        for n, (status, cost) in enumerate((("sent", "0.40"), ("delivered", "0.20"),
                                           ("failed", "0"))):
            message = Message(dedupe_key=f"t:{n}", event="absent", channel="sms",
                              recipient="+919876543210", body="x", student_id=student,
                              send_after=datetime(2026, 11, 3, tzinfo=UTC))
            s.add(message)
            s.flush()
            s.add(MessageDelivery(message_id=message.id, student_id=student, channel="sms",
                                  status=status, segments=2 if n == 0 else 1,
                                  cost=Decimal(cost),
                                  sent_at=datetime(2026, 11, 3, 10, tzinfo=UTC)))
    view = MessagesAdminView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    costs = view.costs
    qtbot.waitUntil(lambda: costs.model.rowCount() == 1)
    texts = [costs.model.data(costs.model.index(0, c)) for c in range(costs.model.columnCount())]
    assert texts == ["Nov 2026", "sms", "2", "1", "0", "0", "4", "₹0.60"]
    view.resize(1100, 400)
    view.tabs.setCurrentWidget(costs)
    view.show()
    shot(view, "messages_costs")
