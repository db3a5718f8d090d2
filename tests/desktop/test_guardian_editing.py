"""Guardians kept from the student page: add one (phone normalised as the CRM does), a refusal
named by field that writes nothing and keeps the form, an opt-out recorded with who and when,
and a guardian removed."""

from __future__ import annotations

from sqlalchemy import select

from desktop_app.messages.guardian_dialog import GuardianDialog
from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from institute_core.replica import Replica
from institute_core.schema import Guardian, MessageConsent, table_of
from tests.desktop.conftest import make_ctx
from tests.services.fixtures import Institute
from tests.support.shots import shot


def _guardians(replica: Replica) -> list[Guardian]:
    with replica.read() as s:
        rows = list(s.execute(select(Guardian)).scalars())
        s.expunge_all()
    return rows


def test_an_office_adds_changes_opts_out_and_removes_a_guardian(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager,
        monkeypatch) -> None:
    student = institute.student_ids[0]
    page = StudentPageView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(page)
    page.resize(1150, 620)
    page.load(student)
    panel = page.contacts
    page.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.add_button.isEnabled())
    assert not panel.edit_button.isEnabled()  # nothing selected

    dialog = panel.add()
    assert isinstance(dialog, GuardianDialog)  # a child of the page: closed with it
    # A typo in the phone: refused by name, nothing written, the form kept.
    dialog.name.setText("Meena Rao")
    dialog.phone.setText("98765")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() != "")
    assert dialog.message.text().startswith("Phone: ")
    assert _guardians(replica) == [] and dialog.isVisible()
    assert dialog.name.text() == "Meena Rao"
    shot(dialog, "guardian_refused.png")
    dialog.name.setText("  ")
    dialog.phone.setText("098765 43210")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Name: is empty"))
    dialog.name.setText("Meena Rao")
    dialog.relation.setCurrentIndex(dialog.relation.findData("mother"))
    dialog.language.setCurrentIndex(dialog.language.findData("hi"))
    dialog.primary.setChecked(True)
    with qtbot.waitSignal(dialog.sig_saved):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: panel.guardians.rowCount() == 1)
    [saved] = _guardians(replica)
    assert (saved.name, saved.relation, saved.phone_normalized, saved.language,
            saved.is_primary, saved.preferred_channel) == (
        "Meena Rao", "mother", "+919876543210", "hi", True, "sms")
    assert panel.guardians.data(panel.guardians.index(0, 2)) == "+919876543210"

    # The office records that this number wants no SMS: who and when are kept and shown.
    panel.guardian_view.setCurrentIndex(panel.guardians.index(0, 0))
    assert panel.edit_button.isEnabled()
    change = panel.edit_selected()
    assert isinstance(change, GuardianDialog)
    assert change.name.text() == "Meena Rao" and change.phone.text() == "+919876543210"
    change.opt_out["sms"].setChecked(True)
    change.email.setText("meena@example.org")
    with qtbot.waitSignal(change.sig_saved):
        change.save_button.click()
    qtbot.waitUntil(lambda: panel.guardians.data(panel.guardians.index(0, 6)) == "sms")
    recorded = str(panel.guardians.data(panel.guardians.index(0, 7)))
    assert recorded.startswith("SMS: opted out by Ada ")
    with replica.read() as s:
        [consent] = s.execute(select(MessageConsent)).scalars()
        assert (consent.contact, consent.channel, consent.opted_out, consent.changed_by) == (
            "+919876543210", "sms", True, institute.admin_id)
    assert _guardians(replica)[0].email == "meena@example.org"
    panel.guardian_view.setCurrentIndex(panel.guardians.index(0, 0))
    again = panel.edit_selected()
    assert again is not None
    assert again.opt_out["sms"].isChecked() and "opted out by Ada" in again.recorded.text()
    shot(again, "guardian_dialog.png")
    shot(page, "student_guardians_editing.png")
    again.reject()

    # A typed message to her: SMS (her preferred channel) is refused by name, she opted out;
    # by email it is queued and listed with the student's messages.
    panel.guardian_view.setCurrentIndex(panel.guardians.index(0, 0))
    note = panel.message_selected()
    assert note is not None and note.chosen_channel == "sms"
    note.text.setPlainText("Meena, the parents' meeting is on Saturday at 11.")
    note.send_button.click()
    qtbot.waitUntil(lambda: "opted out of sms" in note.message.text())
    assert note.isVisible() and note.text.toPlainText().startswith("Meena, the parents'")
    note.channel.setCurrentIndex(note.channel.findData("email"))
    note.subject.setText("Parents' meeting")
    with qtbot.waitSignal(note.sig_sent):
        note.send_button.click()
    qtbot.waitUntil(lambda: panel.messages.rowCount() == 1)
    assert panel.messages.data(panel.messages.index(0, 3)) == "meena@example.org"
    messages = table_of("messages")
    with replica.read() as s:
        sent = s.execute(select(messages.c.guardian_id, messages.c.student_id,
                                messages.c.subject, messages.c.body)).one()
    assert tuple(sent) == (saved.id, student, "Parents' meeting",
                           "Meena, the parents' meeting is on Saturday at 11.")

    monkeypatch.setattr(panel, "confirm", lambda *_a: True)
    panel.guardian_view.setCurrentIndex(panel.guardians.index(0, 0))
    panel.remove_selected()
    qtbot.waitUntil(lambda: panel.guardians.rowCount() == 0)
    [gone] = _guardians(replica)
    assert gone.deleted_at is not None


def test_faculty_cannot_edit_guardians_and_nobody_without_messages_manage_opts_out(  # type: ignore[no-untyped-def]
        qtbot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    page = StudentPageView(make_ctx(replica, tasks, "faculty@example.org"))
    qtbot.addWidget(page)
    page.load(institute.student_ids[0])
    qtbot.waitUntil(lambda: page.contacts.message.text() != "")
    assert not page.contacts.add_button.isEnabled()
    assert page.contacts.send_button.isHidden()  # faculty send nothing (messages.send)
    counselor = make_ctx(replica, tasks, "counselor@example.org")
    dialog = GuardianDialog(counselor, institute.student_ids[0])
    qtbot.addWidget(dialog)
    assert not any(box.isEnabled() for box in dialog.opt_out.values())
