"""Counselor flows through the real widgets (pytest-qt): capture with the live duplicate check,
sorting by score, the board by keyboard, lost with a reason, enroll, follow-ups."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.crm import enroll as enroll_module
from desktop_app.crm import inquiries_view as view_module
from desktop_app.crm.followups_view import FollowUpsView
from desktop_app.crm.inquiries_view import InquiriesView
from desktop_app.shell.main_window import MainWindow
from desktop_app.shell.sync_controller import SyncController
from desktop_app.students.view import StudentsView
from desktop_app.tasks import TaskManager
from institute_core.analytics.period import Period
from institute_core.crm.followups import schedule_follow_up
from institute_core.crm.inquiries import InquiryDraft, create_inquiry
from institute_core.engagement.feedback import FeedbackDraft, record_feedback
from institute_core.engagement.insights import feedback_insights
from institute_core.replica import Actor, Replica
from institute_core.schema import FollowUp, Inquiry, Student
from institute_core.services import auth
from tests.services.fixtures import PASSWORD, Institute


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:  # type: ignore[no-untyped-def]
    before = set(threading.enumerate())
    manager = TaskManager()
    yield manager
    manager.shutdown(5000)
    assert manager.active_threads() == 0
    assert not {t for t in set(threading.enumerate()) - before
                if t.is_alive() and not isinstance(t, threading._DummyThread)}


def _ctx(replica: Replica, tasks: TaskManager, email: str) -> AppContext:
    return AppContext(replica, tasks, auth.login_offline(replica, email, PASSWORD))


@pytest.fixture
def view(qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager
         ) -> InquiriesView:
    widget = InquiriesView(_ctx(replica, tasks, "counselor@example.org"), today=institute.today)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    with qtbot.waitSignal(widget.sig_index_ready):
        pass
    return widget


def _reload(qtbot: QtBot, view: InquiriesView) -> None:
    with qtbot.waitSignals([view.sig_loaded, view.sig_index_ready]):
        view.refresh()


def _status(replica: Replica, name: str) -> str:
    with replica.read() as s:
        return str(s.execute(select(Inquiry.status).where(
            Inquiry.student_name == name, Inquiry.deleted_at.is_(None))).scalar_one())


def test_capture_then_live_duplicate_warning_then_save_anyway(
        qtbot: QtBot, view: InquiriesView) -> None:
    form = view.capture
    qtbot.keyClicks(form.name, "Meena Iyer")
    qtbot.keyClicks(form.phone, "98450 11111")
    assert "+919845011111" in form.phone_hint.text()
    with qtbot.waitSignal(view.sig_loaded):
        qtbot.keyClick(form.phone, Qt.Key.Key_Return)
    assert view.model.total == 1 and view.model.row_at(0).name == "Meena Iyer"
    assert form.name.text() == ""
    # The same person calls again; the number is typed another way.
    view.new_inquiry()
    qtbot.keyClicks(form.name, "Meena I")
    qtbot.keyClicks(form.phone, "+91 (98450) 11111")
    assert form.known.isVisibleTo(view) and form.known.count() == 1
    assert "Same phone" in form.known.item(0).text()
    form.save()
    qtbot.waitUntil(lambda: "looks known" in form.message.text())
    assert view.model.total == 1 and form.name.text() == "Meena I"  # nothing lost
    form.open_known.click()
    assert view.panel.row is not None and view.panel.row.name == "Meena Iyer"
    view.new_inquiry()
    assert form.phone.text() == "+91 (98450) 11111"
    with qtbot.waitSignal(view.sig_loaded):
        form.save_anyway.click()
    assert view.model.total == 2
    # The panel of the new one offers the merge.
    assert view.panel.dup_list.count() == 1


def test_bad_phone_is_explained_and_the_typing_kept(qtbot: QtBot, view: InquiriesView) -> None:
    form = view.capture
    qtbot.keyClicks(form.name, "Arjun")
    qtbot.keyClicks(form.phone, "12-34")
    assert "should have 10 digits" in form.phone_hint.text()
    form.save()
    qtbot.waitUntil(lambda: form.message.text() != "")
    assert form.message.text().startswith("Phone: should have 10 digits")
    assert (form.name.text(), form.phone.text()) == ("Arjun", "12-34")
    assert view.model.total == 0


def test_list_sorts_by_score_and_filters(qtbot: QtBot, view: InquiriesView, replica: Replica,
                                         counselor: Actor) -> None:
    create_inquiry(replica, counselor, InquiryDraft("Low Lead", "98450 20001",
                                                    source="social_media", priority="low"))
    create_inquiry(replica, counselor, InquiryDraft("Hot Lead", "98450 20002",
                                                    source="referral", priority="high"))
    _reload(qtbot, view)
    view.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    assert view.model.row_at(view.proxy.mapToSource(view.proxy.index(0, 0)).row()).name \
        == "Low Lead"
    view.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    top = view.proxy.index(0, 0)
    assert view.proxy.index(0, 1).data() == "Hot Lead"
    assert "+20 referral" in view.proxy.data(top, Qt.ItemDataRole.ToolTipRole)
    view.source.setCurrentIndex(view.source.findData("social_media"))
    assert [view.proxy.index(r, 1).data() for r in range(view.proxy.rowCount())] == ["Low Lead"]
    assert view.count.text() == "1 of 2"


def test_board_moves_by_keyboard_lost_asks_a_reason_and_enroll_makes_the_student(
        qtbot: QtBot, view: InquiriesView, replica: Replica, institute: Institute,
        counselor: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    create_inquiry(replica, counselor, InquiryDraft("Neha Joshi", "98450 30001",
                                                    subject_ids=(institute.subject_id,)))
    _reload(qtbot, view)
    view.tabs.setCurrentWidget(view.board_tab)
    new = view.board.lists["new"]
    new.setCurrentRow(0)
    new.setFocus()
    with qtbot.waitSignal(view.sig_loaded):
        qtbot.keyClick(new, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert _status(replica, "Neha Joshi") == "contacted"
    assert view.board.lists["contacted"].count() == 1
    # Lost without a reason (dialog cancelled) changes nothing; with one it moves.
    monkeypatch.setattr(view, "ask_lost_reason", lambda row: None)
    view.request_move(view.rows[0].id, "lost")
    assert _status(replica, "Neha Joshi") == "contacted"
    monkeypatch.setattr(view, "ask_lost_reason", lambda row: "Fees too high")
    with qtbot.waitSignal(view.sig_loaded):
        view.request_move(view.rows[0].id, "lost")
    assert _status(replica, "Neha Joshi") == "lost"
    # Lost → enrolled: the Enroll dialog, which asks for confirmation first.
    lost = view.board.lists["lost"]
    lost.setCurrentRow(0)
    dialogs: list[enroll_module.EnrollDialog] = []
    monkeypatch.setattr(view, "open_enroll", lambda row: dialogs.append(
        InquiriesView.open_enroll(view, row)))
    qtbot.keyClick(lost, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    dialog = dialogs[0]
    qtbot.waitUntil(dialog.enroll_button.isEnabled)
    assert dialog.first_name.text() == "Neha" and dialog.last_name.text() == "Joshi"
    check, combo = dialog.picks[institute.subject_id]
    assert check.isChecked() and combo.currentData() == institute.faculty_id
    dialog.enroll()
    qtbot.waitUntil(lambda: "email" in dialog.message.text())
    assert "Nothing was saved" in dialog.message.text()
    dialog.email.setText("neha@example.in")
    asked: list[str] = []
    monkeypatch.setattr(enroll_module, "ask", lambda *a: asked.append(a[2]) or True)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        dialog.enroll()
    assert "Fees too high" in asked[0]
    assert _status(replica, "Neha Joshi") == "enrolled"
    with replica.read() as s:
        student_id = s.execute(select(Inquiry.student_id)).scalar_one()
        assert s.get(Student, student_id) is not None
    # Straight on to the fees (issue 18): the plan is asked for at once, then the payment.
    fees = view.fees_dialog
    assert fees is not None and fees.panel.student_id == student_id
    qtbot.waitUntil(lambda: fees.panel.plan_dialog is not None)
    plan = fees.panel.plan_dialog
    assert plan is not None and plan.isVisible()
    plan.name.setText("Python course")
    plan.price.setText("24000")
    plan.kind.setCurrentIndex(plan.kind.findData("instalments"))
    plan._on_save()
    qtbot.waitUntil(lambda: fees.panel.dues.rowCount() == 3, timeout=10000)
    assert "take the first payment" in fees.panel.message.text()


def test_merge_from_the_panel(qtbot: QtBot, view: InquiriesView, replica: Replica,
                              counselor: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    keep = create_inquiry(replica, counselor, InquiryDraft("Divya Nair", "98450 40001"))
    create_inquiry(replica, counselor, InquiryDraft("Divya N", "098450-40001"),
                   allow_duplicate=True)
    _reload(qtbot, view)
    view.open_inquiry(keep)
    assert view.panel.merge_button.isVisibleTo(view)
    monkeypatch.setattr(view_module, "ask", lambda *a: True)
    with qtbot.waitSignal(view.sig_loaded):
        view.panel.merge_button.click()
    assert [r.name for r in view.rows] == ["Divya Nair"]


def test_follow_ups_home_complete_with_outcome(qtbot: QtBot, replica: Replica,
                                               institute: Institute, tasks: TaskManager,
                                               counselor: Actor) -> None:
    today = institute.today
    a = create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 50001"))
    b = create_inquiry(replica, counselor, InquiryDraft("Bina", "98450 50002"))
    schedule_follow_up(replica, counselor, a, datetime.combine(today, time(15)).astimezone())
    stale = schedule_follow_up(replica, counselor, b, datetime.combine(
        today - timedelta(days=2), time(11)).astimezone())
    view = FollowUpsView(_ctx(replica, tasks, "counselor@example.org"), today=today)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded):
        view.show()
    assert view.due_title.text() == "Due today (1)" and view.overdue_title.text() == "Overdue (1)"
    assert view.overdue_model.row_at(0).status == "missed"  # rolled over on opening
    with replica.read() as s:
        assert s.get(FollowUp, stale).status == "missed"  # type: ignore[union-attr]
    assert view.current is not None and view.current.name == "Asha"
    view.complete_button.click()
    qtbot.waitUntil(lambda: view.message.text() != "")
    assert view.message.text() == ("Not saved – Outcome: is required: say what came of the "
                                   "contact")
    qtbot.keyClicks(view.outcome, "Wants the weekend batch")
    with qtbot.waitSignal(view.sig_loaded):
        view.complete_button.click()
    assert view.due_title.text() == "Due today (0)"
    with replica.read() as s:
        rows = s.execute(select(FollowUp).where(FollowUp.inquiry_id == a)
                         .order_by(FollowUp.follow_up_date)).scalars().all()
        assert [(r.status, r.outcome) for r in rows] == [
            ("completed", "Wants the weekend batch"), ("pending", None)]
        assert rows[1].follow_up_date.astimezone().date() > today


def test_faculty_gets_no_inquiries(qtbot: QtBot, replica: Replica, institute: Institute,
                                   tasks: TaskManager, counselor: Actor) -> None:
    create_inquiry(replica, counselor, InquiryDraft("Asha", "98450 50001"))
    view = InquiriesView(_ctx(replica, tasks, "faculty@example.org"), today=institute.today)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.message.text() != "")
    assert "counselors and admins" in view.message.text()
    assert view.model.total == 0


def test_insights_tab_draws_the_funnel(qtbot: QtBot, view: InquiriesView, replica: Replica,
                                       counselor: Actor) -> None:
    for k, name in enumerate(("Asha", "Bina", "Chetan", "Dev")):
        create_inquiry(replica, counselor, InquiryDraft(name, f"98450 7000{k}",
                                                        source="referral"))
    view.tabs.setCurrentWidget(view.insights_tab)
    qtbot.waitUntil(lambda: view.insights is not None and view.insights.figures is not None)
    insights = view.insights
    assert insights.funnel.values[0] == 4
    assert insights.by_source.labels == ["referral"]
    assert "Inquiries of the last 180 days: 4, enrolled 0" in insights.headline.text()


def test_feedback_tab_records_with_sentiment_then_resolves(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    view = FollowUpsView(_ctx(replica, tasks, "counselor@example.org"), today=institute.today)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded):
        view.show()
    view.tabs.setCurrentWidget(view.feedback_tab)
    feedback = view.feedback
    assert feedback is not None
    qtbot.waitUntil(lambda: feedback.student.count() == 30)
    feedback.student.setCurrentIndex(2)
    feedback.rating.setValue(2)
    feedback.kind.setCurrentIndex(feedback.kind.findData("session"))
    qtbot.keyClicks(feedback.comments, "Terrible pace, I am lost and frustrated")
    with qtbot.waitSignal(feedback.sig_loaded):
        feedback.save_button.click()
    assert feedback.comments.toPlainText() == ""
    row = feedback.model.row_at(0)
    assert (row.rating, row.sentiment, row.status) == (2, "negative", "pending")
    shown = feedback.model.index(0, 5).data()
    assert shown.startswith("Negative (words −0.")
    feedback.table.setCurrentIndex(feedback.model.index(0, 0))
    feedback.resolve_button.click()  # no action note: refused, the row stays pending
    qtbot.waitUntil(lambda: feedback.message.text() != "")
    assert feedback.message.text() == "Not saved – Action note: is required: say what was done"
    qtbot.keyClicks(feedback.action_note, "Moved to the slower evening batch")
    with qtbot.waitSignal(feedback.sig_loaded):
        feedback.resolve_button.click()
    assert feedback.model.row_at(0).status == "resolved"
    assert feedback.action_note.text() == ""


def test_points_tab_balance_and_appeal(qtbot: QtBot, replica: Replica, institute: Institute,
                                       tasks: TaskManager) -> None:
    view = FollowUpsView(_ctx(replica, tasks, "counselor@example.org"), today=institute.today)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded):
        view.show()
    view.tabs.setCurrentWidget(view.points_tab)
    points = view.points
    assert points is not None
    qtbot.waitUntil(lambda: points.student.count() == 30 and points.balance.text() != "")
    assert points.balance.text() == "Balance: +0 points"
    points.save_button.click()  # no reason: refused, nothing recorded
    qtbot.waitUntil(lambda: points.message.text() != "")
    assert points.message.text() == "Not saved – Reason: is required: say what it is for"
    points.kind.setCurrentIndex(points.kind.findData("penalty"))
    points.points.setValue(4)
    qtbot.keyClicks(points.reason, "Phone in class")
    with qtbot.waitSignal(points.sig_loaded):
        points.save_button.click()
    assert points.balance.text() == "Balance: -4 points"
    points.table.setCurrentIndex(points.model.index(0, 0))
    qtbot.keyClicks(points.appeal_text, "It was a medical call")
    with qtbot.waitSignal(points.sig_loaded):
        points.appeal_button.click()
    points.table.setCurrentIndex(points.model.index(0, 0))
    qtbot.keyClicks(points.appeal_text, "Doctor's note shown")
    with qtbot.waitSignal(points.sig_loaded):
        points.accept_button.click()
    assert points.balance.text() == "Balance: +0 points"
    assert points.model.index(0, 3).data() == "resolved (void)"


def test_feedback_insights_tab_charts_the_computed_figures(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager,
        counselor: Actor) -> None:
    for rating, text in ((5, "Great examples, very clear"), (2, "Sessions start late"),
                         (1, "Late again and the lab machines are slow")):
        record_feedback(replica, counselor, FeedbackDraft(
            institute.student_ids[0], rating, "session", text, faculty_id=institute.faculty_id,
            session_id=institute.individual_session_id))
    view = FollowUpsView(_ctx(replica, tasks, "counselor@example.org"), today=institute.today)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    with qtbot.waitSignal(view.sig_loaded):
        view.show()
    view.tabs.setCurrentWidget(view.insights_tab)
    insights = view.insights
    assert insights is not None
    qtbot.waitUntil(lambda: insights.figures is not None)
    with replica.read() as s:
        expected = feedback_insights(s, Period.last_days(365, institute.today))
    assert insights.by_faculty.labels == ["Farah Faculty"]
    assert insights.by_faculty.values == [2.67] == [g.average for g in expected.by_faculty]
    assert insights.by_subject.labels == ["Python Programming"]
    month = expected.by_month[-1]
    assert insights.by_month.values[-1] == month.average_score
    assert month.average_score is not None
    low, high = insights.by_month.plot.getViewBox().viewRange()[1]
    assert low < -0.9 and high > 0.9  # the compound score's whole range, not cut at 0
    assert insights.words.labels[0] == "late" and insights.words.values[0] == 2
    assert "3 with comments – 1 positive, 0 neutral, 2 negative" in insights.headline.text()
    for chart in (insights.by_faculty, insights.by_subject, insights.by_month, insights.words):
        assert chart.plot.isVisibleTo(view) and not chart.empty.isVisibleTo(view)
        assert chart.plot.getPlotItem().listDataItems() or chart.plot.getPlotItem().items
    insights.by_faculty.show_value(0)
    assert insights.by_faculty.hover_text == "Farah Faculty: 2.67 of 5"
    # Feedback recorded in the Feedback tab counts when the charts are shown again.
    record_feedback(replica, counselor, FeedbackDraft(
        institute.student_ids[1], 5, "session", "Wonderful, clear and friendly",
        faculty_id=institute.faculty_id, session_id=institute.individual_session_id))
    view.tabs.setCurrentWidget(view.feedback_tab)
    with qtbot.waitSignal(insights.sig_loaded):
        view.tabs.setCurrentWidget(view.insights_tab)
    assert insights.by_faculty.values == [3.25]


def _drop_card(board_view: InquiriesView, from_stage: str, row: int, to_stage: str) -> None:
    """Drag a card from one stage list and drop it on another, through Qt's drop path: the
    source list's mimeData, then drag enter, move and drop delivered to the target list's
    viewport, as a mouse drag would (QDrag.exec itself blocks on a real pointer)."""
    source = board_view.board.lists[from_stage]
    target = board_view.board.lists[to_stage]
    data = source.mimeData([source.item(row)])
    at = QPointF(target.viewport().rect().center())
    args = (Qt.DropAction.MoveAction, data, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(at, *args)
    QApplication.sendEvent(target.viewport(), enter)
    assert enter.isAccepted()  # the stage list takes a card
    QApplication.sendEvent(target.viewport(), QDragMoveEvent(at, *args))
    QApplication.sendEvent(target.viewport(), QDropEvent(at, *args))


def test_board_drag_and_drop_moves_the_card_and_lost_needs_a_reason(
        qtbot: QtBot, view: InquiriesView, replica: Replica, counselor: Actor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    create_inquiry(replica, counselor, InquiryDraft("Ravi Kumar", "98450 80001"))
    _reload(qtbot, view)
    view.tabs.setCurrentWidget(view.board_tab)
    assert view.board.lists["new"].item(0).text().startswith("Ravi Kumar")
    with qtbot.waitSignal(view.sig_loaded):
        _drop_card(view, "new", 0, "contacted")
    assert _status(replica, "Ravi Kumar") == "contacted"
    assert view.board.lists["new"].count() == 0
    assert view.board.lists["contacted"].item(0).text().startswith("Ravi Kumar")
    # Dropped back on its own stage: nothing to do, nothing asked.
    with qtbot.assertNotEmitted(view.board.sig_move_requested):
        _drop_card(view, "contacted", 0, "contacted")
    # On Lost: the reason is asked; without one the card stays where it was.
    asked: list[str] = []
    monkeypatch.setattr(view, "ask_lost_reason", lambda row: asked.append(row.name) or None)
    _drop_card(view, "contacted", 0, "lost")
    assert asked == ["Ravi Kumar"] and _status(replica, "Ravi Kumar") == "contacted"
    assert view.board.lists["lost"].count() == 0  # the list never inserted the card itself
    monkeypatch.setattr(view, "ask_lost_reason", lambda row: "Joined another institute")
    with qtbot.waitSignal(view.sig_loaded):
        _drop_card(view, "contacted", 0, "lost")
    assert _status(replica, "Ravi Kumar") == "lost"
    with replica.read() as s:
        assert s.execute(select(Inquiry.lost_reason)).scalar_one() == "Joined another institute"
    assert "Joined another institute" in view.board.lists["lost"].item(0).text()


def test_open_it_on_a_known_student_opens_the_student_page(
        qtbot: QtBot, replica: Replica, institute: Institute, tasks: TaskManager) -> None:
    window = MainWindow(_ctx(replica, tasks, "counselor@example.org"),
                        SyncController(replica, tasks, None))
    qtbot.addWidget(window)
    window.show()
    assert window.open_section("inquiries")
    view = window.page("inquiries")
    assert isinstance(view, InquiriesView)
    qtbot.waitUntil(lambda: view.index_ready)
    view.new_inquiry()
    form = view.capture
    qtbot.keyClicks(form.name, "Walk In")
    qtbot.keyClicks(form.phone, "98450 90001")
    qtbot.keyClicks(form.email, "STUDENT03@Example.org")
    assert form.known.count() == 1 and "(student)" in form.known.item(0).text()
    with qtbot.waitSignal(window.sig_section_changed) as changed:
        form.open_known.click()
    assert changed.args == ["students"] and window.current_section == "students"
    students = window.page("students")
    assert isinstance(students, StudentsView)
    assert students.stack.currentWidget() is students.page
    qtbot.waitUntil(lambda: students.page.student is not None)
    assert students.page.student is not None
    assert students.page.student.id == institute.student_ids[2]
    assert "PY-003" in students.page.title.text()
    # Nothing typed at the desk is lost: back in Inquiries the form still holds it.
    window.open_section("inquiries")
    assert (form.name.text(), form.email.text()) == ("Walk In", "STUDENT03@Example.org")


def test_the_list_shows_with_its_duplicate_index_ready(qtbot: QtBot, replica: Replica,
                                                       institute: Institute,
                                                       tasks: TaskManager) -> None:
    """The moment the inquiries are listed, typing a known phone finds its person: no window
    in which the list is there but the duplicate check knows nobody."""
    ctx = _ctx(replica, tasks, "counselor@example.org")
    create_inquiry(replica, ctx.actor, InquiryDraft(name="Meena Iyer", phone="98450 12345"))
    widget = InquiriesView(ctx, today=institute.today)
    qtbot.addWidget(widget)
    ready_when_listed: list[bool] = []
    widget.sig_loaded.connect(lambda: ready_when_listed.append(widget.index_ready))
    with qtbot.waitSignal(widget.sig_loaded, timeout=10000):
        widget.show()
    assert ready_when_listed == [True]
    widget.new_inquiry()
    widget.capture.phone.setText("+91 98450 12345")
    assert [m.contact.name for m in widget.capture.matches] == ["Meena Iyer"]


def test_a_one_off_message_to_an_inquiry_is_queued_and_shown_in_its_activity(
        qtbot: QtBot, view: InquiriesView, replica: Replica, counselor: Actor,
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    from institute_core.schema import table_of

    inquiry = create_inquiry(replica, counselor, InquiryDraft("Kavya Rao", "98450 50001"))
    _reload(qtbot, view)
    view.open_inquiry(inquiry)
    assert view.panel.message_button.isVisibleTo(view)
    view.panel.message_button.click()
    dialog = next(w for w in view.findChildren(view_module.OneOffMessageDialog))
    qtbot.waitUntil(dialog.isVisible)
    # Email to an inquiry with no email address: refused by name, the typing kept.
    dialog.channel.setCurrentIndex(dialog.channel.findData("email"))
    qtbot.keyClicks(dialog.text, "Your demo class is on Monday at 10.")
    dialog.send_button.click()
    qtbot.waitUntil(lambda: "no email address" in dialog.message.text())
    assert dialog.isVisible() and dialog.text.toPlainText().startswith("Your demo class")
    dialog.channel.setCurrentIndex(dialog.channel.findData("sms"))
    assert dialog.length.text().endswith("1 SMS") and not dialog.message.text()
    view.grab().save(str(tmp_path / "crm-panel.png"))
    dialog.grab().save(str(tmp_path / "crm-message.png"))
    with qtbot.waitSignal(dialog.sig_sent):
        dialog.send_button.click()
    messages = table_of("messages")
    with replica.read() as s:
        queued = s.execute(select(messages.c.channel, messages.c.recipient, messages.c.body)
                           .where(messages.c.inquiry_id == inquiry)).one()
    assert tuple(queued) == ("sms", "+919845050001", "Your demo class is on Monday at 10.")
    qtbot.waitUntil(lambda: any(
        "Your demo class" in view.panel.activity.item(i).text()
        for i in range(view.panel.activity.count())))
    assert "queued" in view.message.text()
