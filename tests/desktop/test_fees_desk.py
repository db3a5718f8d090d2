"""The fee desk on screen: a plan and a payment from the student page print a receipt at once;
the dues list shows ageing and the total; faculty get no Fees tab."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate

from desktop_app.context import AppContext
from desktop_app.fees import panel as panel_module
from desktop_app.fees import view as view_module
from desktop_app.fees.dialogs import PaymentDialog
from desktop_app.fees.view import OVERDUE, FeesView
from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from institute_core.enums import PlanKind
from institute_core.fees.access import MoneyAccessDenied
from institute_core.fees.payments import PaymentRequest, take_payment
from institute_core.fees.plans import PlanRequest, make_plan
from institute_core.fees.sending import RECEIPT_ATTACHMENT, send_receipt
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import Guardian, MessageConsent
from institute_core.validation import InvalidInput
from tests.desktop.conftest import make_ctx
from tests.reports.sql import rows
from tests.services.fixtures import Institute
from tests.support.shots import shot


@pytest.fixture
def counselor_ctx(replica: Replica, institute: Institute, tasks: TaskManager,
                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppContext:
    replica.set_state(SERIES_STATE_KEY, "D03")
    for module in (panel_module, view_module):
        monkeypatch.setattr(module, "receipts_dir", lambda: tmp_path / "receipts")
    ctx = make_ctx(replica, tasks, "counselor@example.org")
    today = date.today()
    for n, student in enumerate(institute.student_ids[:6]):
        make_plan(replica, ctx.actor, PlanRequest(
            student_id=student, name="Python course", price=D("30000"),
            kind=PlanKind.INSTALMENTS.value, instalments=3, every_months=1,
            first_due=today - timedelta(days=20 + 30 * n)), today)
    return ctx


def test_a_payment_from_the_student_page_prints_its_receipt(qtbot, counselor_ctx: AppContext,  # type: ignore[no-untyped-def]
                                                            institute: Institute,
                                                            tmp_path: Path) -> None:
    page = StudentPageView(counselor_ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.load(institute.student_ids[0])
    fees = page.fees
    assert fees is not None
    qtbot.waitUntil(lambda: fees.dues.rowCount() == 3)
    page.tabs.setCurrentWidget(fees)
    assert "Outstanding ₹30,000.00" in fees.summary.text()
    dialog = PaymentDialog(institute.student_ids[0], "Asha", tuple(
        fees.money.ledger.open_dues()), date.today())  # type: ignore[union-attr]
    qtbot.addWidget(dialog)
    dialog.amount.setText("12000")
    dialog.mode.setCurrentIndex(dialog.mode.findData("cheque"))
    assert dialog.bank.isVisibleTo(dialog) and not dialog.card_last4.isVisibleTo(dialog)
    dialog._on_save()
    assert "cheque" in dialog.message.text()  # the number is missing: the dialog says so
    dialog.reference.setText("004512")
    dialog.bank.setText("Canara Bank")
    dialog.instrument_date.setDate(QDate.currentDate())
    shot(dialog, "fees-payment-dialog")
    dialog._on_save()
    assert dialog.request is not None
    fees.pay(dialog.request)
    qtbot.waitUntil(lambda: "Receipt MAIN/2026-27/D03/000001" in fees.message.text()
                    or "Receipt 20" in fees.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: fees.payments.rowCount() == 1)
    qtbot.waitUntil(lambda: "Outstanding ₹18,000.00" in fees.summary.text())
    assert fees.last_pdf is not None
    text = PdfReader(fees.last_pdf).pages[0].extract_text()
    assert "Canara Bank" in text and "Rupees Twelve Thousand Only" in text
    shot(page, "fees-student-page")


def test_the_dues_list_shows_ageing_the_total_and_filters_defaulters(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext) -> None:
    view = FeesView(counselor_ctx)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    qtbot.waitUntil(lambda: view.model.total == 6)
    assert view.summary is not None
    assert view.summary.total_outstanding == D("180000.00")
    assert "Total outstanding ₹1,80,000.00" in view.totals.text()
    buckets = {view.model.row_at(r).bucket for r in range(view.model.rowCount())}
    assert {"0–30 days", "31–60 days", "61–90 days", "90+ days"} <= buckets
    view.bucket.setCurrentText("90+ days")
    assert all(view.model.row_at(r).days_overdue > 90 for r in range(view.model.rowCount()))
    view.bucket.setCurrentText(OVERDUE)
    assert view.proxy.rowCount() == 6
    shot(view, "fees-dues-list")


def test_faculty_get_no_fees_tab(qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
                                 tasks: TaskManager) -> None:
    page = StudentPageView(make_ctx(replica, tasks, "faculty@example.org"))
    qtbot.addWidget(page)
    assert page.fees is None
    assert "Fees" not in [page.tabs.tabText(i) for i in range(page.tabs.count())]


def test_admins_make_money_reports_and_counselors_see_none(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext, replica: Replica, tasks: TaskManager,
        tmp_path: Path) -> None:
    counselor_view = FeesView(counselor_ctx)
    qtbot.addWidget(counselor_view)
    assert counselor_view.reports is None
    view = FeesView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    view.resize(1200, 600)
    qtbot.waitUntil(lambda: view.model.total == 6)
    assert view.reports is not None
    view.report_kind.setCurrentIndex(view.report_kind.findData("outstanding"))
    view.make_report(as_csv=True)
    qtbot.waitUntil(lambda: view.last_report is not None, timeout=10000)
    text = Path(str(view.last_report)).read_text(encoding="utf-8")
    assert "Outstanding dues" in text and "90+ days,60000.00" in text
    assert Path(str(view.last_report)).is_relative_to(tmp_path)
    shot(view, "fees-dues-admin")


def test_an_admin_cancels_a_receipt_and_refunds_credit_from_the_student_page(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext, replica: Replica, tasks: TaskManager,
        institute: Institute, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.fees.panel import QInputDialog
    from institute_core.fees.payments import PaymentRequest, take_payment

    student = institute.student_ids[1]
    first = take_payment(replica, counselor_ctx.actor, PaymentRequest(student, "10000", "cash"),
                         date.today())
    take_payment(replica, counselor_ctx.actor, PaymentRequest(student, "25000", "cash"),
                 date.today())  # 5,000 more than the plan: credit
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("typed twice", True))
    page = StudentPageView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(page)
    page.load(student)
    fees = page.fees
    assert fees is not None and not fees.cancel_button.isHidden()
    qtbot.waitUntil(lambda: "IN CREDIT ₹5,000.00" in fees.summary.text())
    fees.refund_credit()
    qtbot.waitUntil(lambda: "Credit note" in fees.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: "IN CREDIT" not in fees.summary.text())
    row = next(r for r in range(fees.payments.rowCount())
               if fees.payments.row_at(r).payment_id == first.payment_id)
    fees.payments_view.setCurrentIndex(fees.payments.index(row, 0))
    fees.cancel_receipt()
    qtbot.waitUntil(lambda: "cancelled" in fees.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: "Outstanding ₹10,000.00" in fees.summary.text())
    counselor_page = StudentPageView(counselor_ctx)
    qtbot.addWidget(counselor_page)
    assert counselor_page.fees is not None
    assert counselor_page.fees.cancel_button.isHidden()


def test_the_admin_dashboard_shows_money_and_faculty_see_none(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext, replica: Replica, tasks: TaskManager,
        institute: Institute) -> None:
    from desktop_app.dashboard.view import DashboardView
    from institute_core.fees.payments import PaymentRequest, take_payment

    take_payment(replica, counselor_ctx.actor, PaymentRequest(
        institute.student_ids[0], "12500", "cash"), date.today())
    view = DashboardView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.money is not None, timeout=20000)
    assert view.money_cards["today"].value.text() == "₹12,500.00"
    assert view.money_cards["outstanding"].value.text() == "₹1,67,500.00"
    assert view.money_cards["overdue"].value.text() == "5"  # the payment cleared one
    qtbot.waitUntil(lambda: view.loaded, timeout=20000)
    faculty = DashboardView(make_ctx(replica, tasks, "faculty@example.org"))
    qtbot.addWidget(faculty)
    assert faculty.money_cards == {}
    qtbot.waitUntil(lambda: faculty.loaded, timeout=20000)


def test_a_fee_head_an_admin_adds_fills_in_a_new_plan(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext, replica: Replica, tasks: TaskManager,
        institute: Institute) -> None:
    view = FeesView(make_ctx(replica, tasks, "admin@example.org"))
    qtbot.addWidget(view)
    dialog = view.add_head()
    dialog.name.setText("Tally course")
    dialog.amount.setText("18000")
    dialog.gst_mode.setCurrentIndex(dialog.gst_mode.findData("exclusive"))
    dialog._on_save()
    qtbot.waitUntil(lambda: "Fee head Tally course saved" in view.message.text(),
                    timeout=10000)
    page = StudentPageView(counselor_ctx)
    qtbot.addWidget(page)
    page.load(institute.student_ids[7])
    fees = page.fees
    assert fees is not None
    qtbot.waitUntil(lambda: fees.student_id is not None)
    fees.new_plan()
    qtbot.waitUntil(lambda: fees.plan_dialog is not None, timeout=10000)
    plan = fees.plan_dialog
    assert plan is not None
    plan.head.setCurrentIndex(1)
    assert (plan.name.text(), plan.price.text(), plan.gst_mode.currentData()) == (
        "Tally course", "18000.00", "exclusive")
    plan._on_save()
    qtbot.waitUntil(lambda: fees.dues.rowCount() == 1, timeout=10000)
    assert "Outstanding ₹21,240.00" in fees.summary.text()  # 18 % added on top


def test_send_receipt_queues_it_to_the_guardian_and_respects_an_opt_out(  # type: ignore[no-untyped-def]
        qtbot, counselor_ctx: AppContext, replica: Replica, tasks: TaskManager,
        institute: Institute) -> None:
    """Send receipt (student's Fees tab): an SMS to the primary guardian with the receipt
    number, amount, date, balance due and institute; an email names the payment so the server
    attaches the PDF; an opted-out contact is refused by name and nothing is queued; a faculty
    member may not send one."""
    student = institute.student_ids[0]
    actor = counselor_ctx.actor
    with replica.write(actor) as s:
        guardian = Guardian(student_id=student, name="Meera Rao", relation="mother",
                            phone="98765 43210", phone_normalized="+919876543210",
                            email="meera@example.org", preferred_channel="sms",
                            is_primary=True)
        s.add(guardian)
        s.flush()
        guardian_id = guardian.id
    taken = take_payment(replica, actor, PaymentRequest(student, "12000", "cash"), date.today())
    page = StudentPageView(counselor_ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.load(student)
    fees = page.fees
    assert fees is not None
    qtbot.waitUntil(lambda: fees.payments.rowCount() == 1, timeout=10000)
    page.tabs.setCurrentWidget(fees)
    assert fees.send_button.isVisibleTo(page)
    fees.payments_view.setCurrentIndex(fees.payments.index(0, 0))
    fees.send_button.click()
    qtbot.waitUntil(lambda: "Receipt queued for Meera Rao by sms" in fees.message.text(),
                    timeout=10000)
    page.tabs.setCurrentWidget(fees)
    shot(page, "fees-send-receipt")
    [(channel, recipient, body, variables, guardian_of)] = rows(
        replica, "SELECT channel, recipient, body, variables, guardian_id FROM messages")
    assert (channel, recipient, guardian_of) == ("sms", "+919876543210", guardian_id.hex)
    assert taken.receipt_no in body and "₹12,000.00" in body and "₹18,000.00" in body
    assert variables in (None, "null")  # an SMS carries no attachment

    # Email: the message names the payment whose PDF the server attaches.
    with replica.write(actor) as s:
        s.get(Guardian, guardian_id).preferred_channel = "email"  # type: ignore[union-attr]
    sent = send_receipt(replica, actor, taken.payment_id)
    assert (sent.channel, sent.recipient) == ("email", "meera@example.org")
    [(subject, variables)] = rows(replica, "SELECT subject, variables FROM messages WHERE "
                                  "channel = 'email'")
    assert taken.receipt_no in subject
    assert json.loads(variables) == {RECEIPT_ATTACHMENT: str(taken.payment_id)}

    # An opt-out is respected: refused naming it, nothing more queued.
    with replica.write(actor) as s:
        s.add(MessageConsent(contact="meera@example.org", channel="email", opted_out=True))
    with pytest.raises(InvalidInput) as refused:
        send_receipt(replica, actor, taken.payment_id)
    assert refused.value.field == "opted_out" and "meera@example.org" in str(refused.value)
    assert rows(replica, "SELECT COUNT(*) FROM messages") == [(2,)]
    faculty = make_ctx(replica, tasks, "faculty@example.org")
    with pytest.raises(MoneyAccessDenied):
        send_receipt(replica, faculty.actor, taken.payment_id)
