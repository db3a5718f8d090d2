"""The admin's fee setup on screen (fee heads, discounts, expenses, salaries, fee settings),
the branch filter of the dues list and a defaulter's follow-up. With INSTITUTE_SCREENSHOTS set,
each screen is saved as PNG there to be looked at."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from desktop_app.context import AppContext
from desktop_app.fees import view as view_module
from desktop_app.fees.view import FeesView
from desktop_app.students.page import StudentPageView
from desktop_app.tasks import TaskManager
from institute_core.enums import DiscountKind, DiscountReason, PlanKind
from institute_core.fees import admin as fa
from institute_core.fees.discounts import Discount
from institute_core.fees.plans import PlanRequest, add_discount, make_plan
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, Branch, Student
from tests.desktop.conftest import make_ctx
from tests.reports.sql import rows
from tests.services.fixtures import Institute
from tests.support.shots import shot


@pytest.fixture
def admin_ctx(replica: Replica, institute: Institute, tasks: TaskManager,
              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppContext:
    replica.set_state(SERIES_STATE_KEY, "D03")
    monkeypatch.setattr(view_module, "receipts_dir", lambda: tmp_path / "receipts")
    ctx = make_ctx(replica, tasks, "admin@example.org")
    counselor = replica.actor(institute.counselor_id)
    with replica.write(ctx.actor) as session:
        session.add(Branch(id=NORTH, name="North", code="NOR"))
        session.flush()
        for student in institute.student_ids[3:6]:
            session.get(Student, student).branch_id = NORTH
    today = date.today()
    for n, student in enumerate(institute.student_ids[:6]):
        plan = make_plan(replica, counselor, PlanRequest(
            student_id=student, name="Python course", price=D("30000"),
            kind=PlanKind.INSTALMENTS.value, instalments=3,
            first_due=today - timedelta(days=20 + 30 * n)), today)
        if n == 1:
            add_discount(replica, counselor, plan, Discount(
                DiscountKind.PERCENTAGE, D("20"), DiscountReason.SCHOLARSHIP), "merit")
    return ctx


NORTH = __import__("uuid").UUID("3b0c5a0e-9d1f-5e7a-8c2b-0000000000aa")


def test_the_dues_list_filters_by_branch_and_schedules_a_defaulters_follow_up(  # type: ignore[no-untyped-def]
        qtbot, admin_ctx: AppContext) -> None:
    view = FeesView(admin_ctx)
    qtbot.addWidget(view)
    view.resize(1300, 620)
    qtbot.waitUntil(lambda: view.model.total == 6)
    qtbot.waitUntil(lambda: view.branch.count() == 3)
    assert not view.branch.isHidden()
    view.branch.setCurrentIndex(view.branch.findText("North"))
    qtbot.waitUntil(lambda: view.model.total == 3)
    assert view.summary is not None and view.summary.total_outstanding == D("90000.00")
    view.table.setCurrentIndex(view.proxy.index(0, 0))
    row = view.selected()
    assert row is not None
    dialog = view.follow_up(logging=False)
    assert dialog is not None
    dialog.note.setText("ask about the second instalment")
    shot(dialog, "fees-follow-up-dialog")
    dialog._on_save()
    qtbot.waitUntil(lambda: "scheduled" in view.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: any(view.model.row_at(r).follow_up_at is not None
                                for r in range(view.model.rowCount())))
    shown = next(r for r in range(view.model.rowCount())
                 if view.model.row_at(r).student_id == row.student_id)
    assert view.model.data(view.model.index(shown, 9)) != ""
    shot(view, "fees-dues-branch-follow-up")
    call = view.follow_up(logging=True)
    assert call is not None
    call._on_save()
    assert "what came of the call" in call.message.text()  # nothing typed: nothing saved
    call.outcome.setText("promised to pay on the 10th")
    call._on_save()
    qtbot.waitUntil(lambda: "recorded" in view.message.text(), timeout=10000)


def test_the_fee_setup_screens_list_and_save(  # type: ignore[no-untyped-def]
        qtbot, admin_ctx: AppContext, replica: Replica, institute: Institute) -> None:
    view = FeesView(admin_ctx)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.branch.count() == 3)
    setup = view.open_setup()
    qtbot.addWidget(setup)
    setup.resize(1000, 640)

    heads = setup.heads
    # The branch list loads on the database thread: pick North once it is there.
    qtbot.waitUntil(lambda: heads.branch.findText("North") >= 0, timeout=10000)
    heads.branch.setCurrentIndex(heads.branch.findText("North"))
    heads.name.setText("Course fee")
    heads.amount.setText("abc")
    heads.add()
    qtbot.waitUntil(lambda: "not an amount" in heads.message.text(), timeout=10000)
    heads.amount.setText("18000")
    heads.add()
    qtbot.waitUntil(lambda: heads.model.rowCount() == 1, timeout=10000)
    assert rows(replica, "SELECT name, amount FROM fee_heads WHERE branch_id = :b",
                b=NORTH.hex) == [("Course fee", 18000)]
    setup.tabs.setCurrentWidget(heads)
    shot(setup, "fees-setup-heads")

    discounts = setup.discounts
    qtbot.waitUntil(lambda: discounts.model.rowCount() == 1)
    setup.tabs.setCurrentWidget(discounts)
    shot(setup, "fees-setup-discounts")
    discounts.table.setCurrentIndex(discounts.model.index(0, 0))
    discounts.decide(True)
    qtbot.waitUntil(lambda: discounts.model.rowCount() == 0, timeout=10000)
    discounts.waiting.setChecked(False)
    qtbot.waitUntil(lambda: discounts.model.rowCount() == 1)
    assert discounts.model.row_at(0).decided_by == "Ada Admin" or \
        discounts.model.row_at(0).status == "approved"

    expenses = setup.expenses
    expenses.amount.setText("45000")
    expenses.note.setText("December rent")
    expenses.add()
    qtbot.waitUntil(lambda: expenses.model.rowCount() == 1, timeout=10000)
    expenses.branch.setCurrentIndex(expenses.branch.findText("North"))
    expenses.category.setCurrentIndex(expenses.category.findData("utilities"))
    expenses.amount.setText("3200.50")
    expenses.add()
    qtbot.waitUntil(lambda: expenses.model.rowCount() == 2, timeout=10000)
    expenses.show_branch.setCurrentIndex(expenses.show_branch.findText("North"))
    qtbot.waitUntil(lambda: expenses.model.rowCount() == 1)
    assert "₹3,200.50" in expenses.total.text()
    setup.tabs.setCurrentWidget(expenses)
    shot(setup, "fees-setup-expenses")

    salaries = setup.salaries
    qtbot.waitUntil(lambda: salaries.person.count() >= 3)
    salaries.person.setCurrentIndex(salaries.person.findText("Ada Admin (admin)"))
    salaries.basis.setCurrentIndex(salaries.basis.findData("fixed"))
    salaries.amount.setText("40000")
    salaries.add()
    qtbot.waitUntil(lambda: salaries.model.rowCount() == 1, timeout=10000)
    assert "₹40,000.00" in salaries.message.text()
    setup.tabs.setCurrentWidget(salaries)
    shot(setup, "fees-setup-salaries")

    settings = setup.settings
    qtbot.waitUntil(lambda: settings.gst_rate.text() != "")
    settings.gstin.setText("29ABCDE1234F1Z")
    settings.save()
    qtbot.waitUntil(lambda: "GSTIN" in settings.message.text(), timeout=10000)
    settings.gstin.setText("29ABCDE1234F1Z5")
    settings.state.setText("Karnataka")
    settings.limit_percent.setText("10")
    settings.save()
    qtbot.waitUntil(lambda: "saved" in settings.message.text(), timeout=10000)
    saved = fa.branch_fee_settings(replica, MAIN_BRANCH_ID)
    assert (saved.gstin, saved.state, saved.limit_percent) == ("29ABCDE1234F1Z5", "Karnataka",
                                                               D("10"))
    setup.tabs.setCurrentWidget(settings)
    shot(setup, "fees-setup-settings")


def test_an_admin_corrects_and_deletes_expenses_and_salaries_on_screen(  # type: ignore[no-untyped-def]
        qtbot, admin_ctx: AppContext, replica: Replica, institute: Institute) -> None:
    """Edit selected loads the row into the form and Save changes corrects it; a wrong value is
    named under the form and changes nothing; Delete selected needs a reason."""
    view = FeesView(admin_ctx)
    qtbot.addWidget(view)
    # The setup's branch choices are the view's, read on the database thread by a task of
    # their own (not the picker's): open it once they are there.
    qtbot.waitUntil(lambda: len(view.branches) == 2, timeout=10000)
    setup = view.open_setup()
    qtbot.addWidget(setup)
    setup.resize(1000, 640)

    expenses = setup.expenses
    assert expenses.branch.findText("North") >= 0
    expenses.amount.setText("4500")
    expenses.note.setText("Decmber rent")
    expenses.add()
    qtbot.waitUntil(lambda: expenses.model.rowCount() == 1, timeout=10000)
    expenses.table.setCurrentIndex(expenses.model.index(0, 0))
    expenses.edit_button.click()
    assert (expenses.amount.text(), expenses.note.text()) == ("4500.00", "Decmber rent")
    assert expenses._add_button.text() == "Save changes"
    expenses.amount.setText("-1")
    expenses.add()
    qtbot.waitUntil(lambda: "amount" in expenses.message.text().lower()
                    and "saved" not in expenses.message.text(), timeout=10000)
    assert rows(replica, "SELECT amount FROM expenses") == [(4500,)]
    expenses.amount.setText("45000")
    expenses.note.setText("December rent")
    expenses.branch.setCurrentIndex(expenses.branch.findText("North"))
    expenses.add()
    qtbot.waitUntil(lambda: "corrected" in expenses.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: expenses.model.row_at(0).amount == D("45000"), timeout=10000)
    assert rows(replica, "SELECT amount, note, branch_id FROM expenses") == [
        (45000, "December rent", NORTH.hex)]
    assert expenses._add_button.text() == "Add expense"
    expenses.table.setCurrentIndex(expenses.model.index(0, 0))
    expenses.reason.setText("Ada: a rent I meant to test")
    setup.tabs.setCurrentWidget(expenses)
    shot(setup, "fees-setup-expenses-edit")

    salaries = setup.salaries
    qtbot.waitUntil(lambda: salaries.person.count() >= 3)
    salaries.person.setCurrentIndex(salaries.person.findText("Ada Admin (admin)"))
    salaries.basis.setCurrentIndex(salaries.basis.findData("fixed"))
    salaries.amount.setText("4000")
    salaries.add()
    qtbot.waitUntil(lambda: salaries.model.rowCount() == 1, timeout=10000)
    salaries.table.setCurrentIndex(salaries.model.index(0, 0))
    salaries.edit_button.click()
    assert salaries.amount.text() == "4000.00"
    salaries.amount.setText("40000")
    salaries.add()
    qtbot.waitUntil(lambda: "Corrected" in salaries.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: salaries.model.row_at(0).amount == D("40000"), timeout=10000)
    assert rows(replica, "SELECT COUNT(*), SUM(amount) FROM salary_payments") == [(1, 40000)]

    # Deleting without a reason is refused, naming it; with one the row leaves the list.
    salaries.table.setCurrentIndex(salaries.model.index(0, 0))
    salaries.delete_button.click()
    qtbot.waitUntil(lambda: "why" in salaries.message.text().lower(), timeout=10000)
    assert salaries.model.rowCount() == 1
    salaries.reason.setText("paid twice")
    salaries.delete_button.click()
    qtbot.waitUntil(lambda: salaries.model.rowCount() == 0, timeout=10000)
    assert "deleted" in salaries.message.text()
    assert rows(replica, "SELECT deleted_reason FROM salary_payments") == [("paid twice",)]
    setup.tabs.setCurrentWidget(salaries)
    shot(setup, "fees-setup-salaries-deleted")


def test_a_batchs_fee_head_made_on_screen_is_what_its_students_plan_offers(  # type: ignore[no-untyped-def]
        qtbot, admin_ctx: AppContext, replica: Replica, institute: Institute) -> None:
    """Fee heads tab: a subject's default (monthly) and a batch's override (3 instalments, GST
    included); a student of the batch making a plan is offered the override, which fills in
    its price, GST and 3 instalments."""
    view = FeesView(admin_ctx)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: len(view.branches) == 2, timeout=10000)  # as above
    setup = view.open_setup()
    qtbot.addWidget(setup)
    setup.resize(1000, 640)
    heads = setup.heads
    qtbot.waitUntil(lambda: heads.subject.count() >= 2, timeout=10000)
    heads.branch.setCurrentIndex(heads.branch.findText("Main"))
    heads.subject.setCurrentIndex(heads.subject.findText("Python Programming"))
    assert heads.batch.findText("Python Evening") >= 0 and heads.batch.currentData() is None
    heads.name.setText("Course fee")
    heads.frequency.setCurrentIndex(heads.frequency.findData("monthly"))
    assert not heads.instalments.isEnabled()
    heads.amount.setText("5000")
    heads.add()
    qtbot.waitUntil(lambda: heads.model.rowCount() == 1, timeout=10000)
    heads.batch.setCurrentIndex(heads.batch.findText("Python Evening"))
    heads.name.setText("Course fee (evening batch)")
    heads.frequency.setCurrentIndex(heads.frequency.findData("instalments"))
    heads.instalments.setValue(3)
    heads.gst_mode.setCurrentIndex(heads.gst_mode.findData("inclusive"))
    heads.gst_rate.setText("18")
    heads.amount.setText("24000")
    heads.add()
    qtbot.waitUntil(lambda: heads.model.rowCount() == 2, timeout=10000)
    shown = {heads.model.row_at(r).name: r for r in range(2)}
    evening = heads.model.index(shown["Course fee (evening batch)"], 2)
    assert heads.model.data(evening) == "Python Evening (overrides)"
    assert heads.model.data(heads.model.index(shown["Course fee (evening batch)"], 5)) == \
        "3 instalments"
    setup.tabs.setCurrentWidget(heads)
    shot(setup, "fees-setup-heads-batch")

    page = StudentPageView(admin_ctx)
    qtbot.addWidget(page)
    page.load(institute.student_ids[0])
    fees = page.fees
    assert fees is not None
    qtbot.waitUntil(lambda: fees.student_id is not None)
    fees.new_plan()
    qtbot.waitUntil(lambda: fees.plan_dialog is not None, timeout=10000)
    plan = fees.plan_dialog
    assert plan is not None
    offered = [plan.head.itemText(i) for i in range(1, plan.head.count())]
    assert offered == ["Course fee (evening batch) (Python Evening) – ₹24,000.00"]
    plan.head.setCurrentIndex(1)
    assert (plan.price.text(), plan.gst_mode.currentData(), plan.kind.currentData(),
            plan.count.value()) == ("24000.00", "inclusive", "instalments", 3)
    shot(plan, "fees-plan-from-batch-head")
    plan._on_save()
    # The fixture's plan has three instalments; the new one adds three more.
    qtbot.waitUntil(lambda: fees.dues.rowCount() == 6, timeout=10000)
    assert rows(replica, "SELECT COUNT(*) FROM fee_plans p JOIN fee_heads h "
                "ON h.id = p.fee_head_id WHERE h.batch_id IS NOT NULL") == [(1,)]
