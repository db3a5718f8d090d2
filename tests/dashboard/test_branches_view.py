"""Branches on screen: the dashboard's side-by-side figures per branch and combined, and Setup →
Branches (a new branch, a transfer with its history). Both are rendered to PNG."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from desktop_app.context import AppContext
from desktop_app.dashboard.view import DashboardView
from desktop_app.setup.view import SetupView
from desktop_app.widgets import index_of
from institute_core.analytics.branches import branch_figures
from institute_core.branches import service
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, Student
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.support.shots import shot


def _north_with_a_student(ctx: AppContext, institute: Institute) -> uuid.UUID:
    """North Campus, and the id of a student moved there (with their history)."""
    north = service.save_branch(ctx.replica, ctx.actor, ctx.user, name="North Campus",
                                code="nor", phone="+91 80 4000 1234")
    student = next(iter(institute.students.values()))
    service.transfer_student(ctx.replica, ctx.actor, ctx.user, student, north,
                             reason="moved to Whitefield")
    return student


def test_dashboard_puts_branches_side_by_side_and_their_sum(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    _north_with_a_student(admin_ctx, institute)
    view = DashboardView(admin_ctx, today=TODAY)
    qtbot.addWidget(view)
    view.resize(1200, 1300)
    view.show()
    with qtbot.waitSignal(view.sig_loaded, timeout=15000):
        view.set_period(MARCH)
    with replica.read() as db:
        expected = branch_figures(db, MARCH, with_money=True)
    shown = view.branches.model
    names = [shown.data(shown.index(r, 0)) for r in range(shown.rowCount())]
    assert names == ["Main", "North Campus", "All branches"]
    by_name = {r.name: r for r in view.branch_rows}
    assert view.branch_rows == expected
    # The combined line is the sum of the branches: students, marks and inquiries.
    total = by_name["All branches"]
    assert total.students == by_name["Main"].students + by_name["North Campus"].students
    assert total.attendance.counted == (by_name["Main"].attendance.counted
                                        + by_name["North Campus"].attendance.counted)
    assert total.crm.total == by_name["Main"].crm.total + by_name["North Campus"].crm.total
    assert by_name["North Campus"].attendance.counted > 0  # the moved student's history
    view.scroll_to_branches()
    shot(view, "dashboard_branches")


def test_setup_lists_branches_and_transfers_a_student_with_history(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    student = _north_with_a_student(admin_ctx, institute)
    view = SetupView(admin_ctx)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    tab = view.branches
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        view.tabs.setCurrentWidget(tab)
    rows = {r.name: r for r in tab.model.rows}
    assert rows["North Campus"].code == "NOR" and rows["North Campus"].students == 1
    assert rows["Main"].students == len(institute.students) - 1
    tab.record.setCurrentIndex(index_of(tab.record, student))
    qtbot.waitUntil(lambda: tab.history.count() == 1 and "North Campus"
                    in tab.history.item(0).text(), timeout=5000)
    assert "Main → North Campus" in tab.history.item(0).text()
    assert "moved to Whitefield" in tab.history.item(0).text()

    # Back to Main from the form: the history grows, the row moves.
    tab.to_branch.setCurrentIndex(index_of(tab.to_branch, MAIN_BRANCH_ID))
    tab.why.setText("back home")
    tab.transfer_button.click()
    qtbot.waitUntil(lambda: tab.history.count() == 2, timeout=10000)
    with replica.read() as s:
        assert s.scalar(select(Student.branch_id).where(Student.id == student)) \
            == MAIN_BRANCH_ID
    assert "moved to Main" in tab.message.text()
    shot(view, "setup_branches")


def test_setup_transfers_a_batch_with_its_students_and_shows_its_history(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north = service.save_branch(admin_ctx.replica, admin_ctx.actor, admin_ctx.user,
                                name="North Campus", code="nor")
    view = SetupView(admin_ctx)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    tab = view.branches
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        view.tabs.setCurrentWidget(tab)
    tab.what.setCurrentIndex(index_of(tab.what, "batch"))
    assert tab.keep_old.isHidden()  # only a faculty member can be kept in the old branch
    assert "current students go along" in tab.goes_along.text()
    tab.record.setCurrentIndex(index_of(tab.record, institute.batch))
    assert tab.record.currentText() == "Evening Python · Main"
    tab.to_branch.setCurrentIndex(index_of(tab.to_branch, north))
    tab.why.setText("new lab")
    tab.transfer_button.click()
    qtbot.waitUntil(lambda: "moved to North Campus" in tab.message.text(), timeout=10000)
    assert "with 2 students" in tab.message.text()
    qtbot.waitUntil(lambda: tab.record.currentText() == "Evening Python · North Campus"
                    and tab.history.count() == 1
                    and "Main → North Campus" in tab.history.item(0).text(), timeout=10000)
    with replica.read() as s:
        moved = s.scalars(select(Student.id).where(Student.branch_id == north)).all()
    assert set(moved) == {institute.students["ENR-2"], institute.students["ENR-3"]}
    shot(view, "setup_batch_transfer")
    # The same move again is refused with the reason; nothing changes.
    tab.transfer_button.click()
    qtbot.waitUntil(lambda: "already in that branch" in tab.message.text(), timeout=10000)
    assert len(service.branch_history(replica, "batch", institute.batch)) == 1
    # A faculty member: the keep-teaching box appears.
    tab.what.setCurrentIndex(index_of(tab.what, "faculty"))
    assert not tab.keep_old.isHidden()
