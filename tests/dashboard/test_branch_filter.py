"""The branch picker (issue 17): a user of several branches picks one and every list, the
dashboard and the reports show that branch only (figures equal SQL); the pick is remembered
for that user; a user of one branch sees no picker. Screens are rendered to PNG."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import func, select, text

from desktop_app.context import AppContext
from desktop_app.dashboard.view import DashboardView
from desktop_app.reports.view import ReportsView
from desktop_app.setup.people_tab import PeopleTab
from desktop_app.students.view import StudentsView
from desktop_app.tasks import TaskManager
from desktop_app.today.view import TodayView
from institute_core.branches import service
from institute_core.branches.selection import remembered_choice
from institute_core.enums import Role, StudentStatus
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, Faculty, Student
from institute_core.services.auth import CurrentUser
from tests.analytics.institute import MARCH, TODAY, Institute
from tests.support.shots import shot


def _north(ctx: AppContext, institute: Institute) -> tuple[uuid.UUID, uuid.UUID]:
    """North Campus with one student moved there: (branch, student)."""
    north = service.save_branch(ctx.replica, ctx.actor, ctx.user, name="North Campus",
                                code="nor")
    student = next(iter(institute.students.values()))
    service.transfer_student(ctx.replica, ctx.actor, ctx.user, student, north)
    return north, student


W = TypeVar("W", bound=QWidget)


def _shown(qtbot, widget: W, width: int, height: int) -> W:  # type: ignore[no-untyped-def]
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    return widget


def _dev_user(replica: Replica, institute: Institute) -> uuid.UUID:
    with replica.read() as db:
        user: uuid.UUID = db.scalar(select(Faculty.user_id).where(Faculty.id == institute.dev))
    return user


def _pick(qtbot, picker, branch: uuid.UUID | None) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: picker.count() > 1, timeout=5000)
    picker.pick(branch)


def test_picking_a_branch_filters_the_students_list_and_is_remembered(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext, tasks: TaskManager) -> None:
    north, moved = _north(admin_ctx, institute)
    view = _shown(qtbot, StudentsView(admin_ctx), 1000, 500)
    qtbot.waitUntil(lambda: view.model.total == len(institute.students), timeout=5000)
    assert view.branch.isVisible()
    assert view.branch.itemText(0) == "All my branches (2)"
    _pick(qtbot, view.branch, north)
    assert [r.id for r in view.model.rows] == [moved]
    assert view.count.text() == f"1 of {len(institute.students)}"
    view.search.setText("zzz-nobody")  # both filters hold together
    assert view.model.rows == []
    view.search.clear()
    shot(view, "students_north")
    qtbot.waitUntil(lambda: remembered_choice(replica, admin_ctx.user.user_id) == north,
                    timeout=5000)
    # A new window of the same user opens on North; Main shows everyone else.
    again = StudentsView(AppContext(replica, tasks, admin_ctx.user))
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.branch.currentData() == north
                    and again.model.total == len(institute.students), timeout=5000)
    assert [r.id for r in again.model.rows] == [moved]
    _pick(qtbot, again.branch, MAIN_BRANCH_ID)
    assert len(again.model.rows) == len(institute.students) - 1


def test_the_dashboard_covers_the_pick_and_equals_sql(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, _moved = _north(admin_ctx, institute)
    view = _shown(qtbot, DashboardView(admin_ctx, today=TODAY), 1200, 1300)
    with qtbot.waitSignal(view.sig_loaded, timeout=15000):
        view.set_period(MARCH)
    qtbot.waitUntil(lambda: view.branch.count() > 1, timeout=5000)
    with qtbot.waitSignal(view.sig_loaded, timeout=15000):
        _pick(qtbot, view.branch, north)
    assert view.data is not None
    with replica.read() as db:
        active = db.scalar(select(func.count()).select_from(Student).where(
            Student.branch_id == north, Student.status == StudentStatus.ACTIVE.value,
            Student.deleted_at.is_(None)))
    assert view.data.active_students == active == 1
    assert view.cards["active"].value.text() == "1"
    assert [r.name for r in view.branch_rows] == ["North Campus", "These branches"]
    shot(view, "dashboard_north")
    with qtbot.waitSignal(view.sig_loaded, timeout=15000):
        _pick(qtbot, view.branch, None)
    assert view.data.active_students == replica.engine.connect().execute(text(
        "SELECT count(*) FROM students WHERE status = 'active' AND deleted_at IS NULL")
    ).scalar_one()


def test_reports_of_several_people_cover_the_pick(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, _moved = _north(admin_ctx, institute)
    view = _shown(qtbot, ReportsView(admin_ctx), 1100, 800)
    view.kind.setCurrentIndex(view.kind.findData("branches"))
    _pick(qtbot, view.branch, north)
    assert view.form.isRowVisible(view.branch_row)
    request = view.request()
    assert request.kind == "branches" and request.branch_ids == (north,)
    shot(view, "reports_branches")
    view.kind.setCurrentIndex(view.kind.findData("progress"))
    assert not view.form.isRowVisible(view.branch_row)


def test_setup_people_assigns_an_account_to_branches(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, _moved = _north(admin_ctx, institute)
    tab = _shown(qtbot, PeopleTab(admin_ctx), 1200, 700)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.refresh()
    row = next(i for i, r in enumerate(tab.model.rows) if r.email == "dev@example.org")
    tab.table.setCurrentIndex(tab.model.index(row, 0))
    items = {tab.works_in.item(i).text(): tab.works_in.item(i)
             for i in range(tab.works_in.count())}
    assert all(i.checkState() == Qt.CheckState.Unchecked for i in items.values())
    items["Main (MAIN)"].setCheckState(Qt.CheckState.Checked)
    items["North Campus (NOR)"].setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(tab.loaded, timeout=10000):
        tab.save_branches()
    assert set(service.branches_of_user(replica, _dev_user(replica, institute))) == {MAIN_BRANCH_ID,
                                                                          north}
    dev = next(r for r in tab.model.rows if r.email == "dev@example.org")
    assert dev.branches == "Main, North Campus"
    shot(tab, "setup_people_works_in")
    # After the reload the ticks still show where the chosen account works.
    ticked = [tab.works_in.item(i).text() for i in range(tab.works_in.count())
              if tab.works_in.item(i).checkState() == Qt.CheckState.Checked]
    assert ticked == ["Main (MAIN)", "North Campus (NOR)"]
    # Nothing ticked: refused with a reason, the links unchanged.
    for item in (tab.works_in.item(i) for i in range(tab.works_in.count())):
        item.setCheckState(Qt.CheckState.Unchecked)
    tab.save_branches()
    qtbot.waitUntil(lambda: "at least one branch" in tab.message.text(), timeout=5000)
    assert set(service.branches_of_user(replica, _dev_user(replica, institute))) == {MAIN_BRANCH_ID,
                                                                          north}


def test_a_user_of_one_branch_sees_no_picker(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext, tasks: TaskManager) -> None:
    _north(admin_ctx, institute)
    service.set_user_branches(replica, admin_ctx.actor, admin_ctx.user,
                              _dev_user(replica, institute), [MAIN_BRANCH_ID])
    user = CurrentUser(_dev_user(replica, institute), "dev@example.org", "Dev Singh", Role.FACULTY,
                       institute.dev)
    view = StudentsView(AppContext(replica, tasks, user))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.branch.choice.loaded, timeout=5000)
    assert not view.branch.isVisible()
    assert view.branch.choice.selection == (MAIN_BRANCH_ID,)


def test_today_lists_the_sessions_held_at_the_picked_branch(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, _moved = _north(admin_ctx, institute)
    service.transfer_batch(replica, admin_ctx.actor, admin_ctx.user, institute.batch, north)
    view = _shown(qtbot, TodayView(admin_ctx, on=date(2026, 3, 10)), 1100, 600)
    view.refresh()
    qtbot.waitUntil(lambda: view.sessions_model.total == 2, timeout=5000)
    _pick(qtbot, view.branch, north)
    assert [s.title for s in view.sessions_model.rows] == ["Evening Python"]
    assert view.subtitle.text().endswith("1 sessions · 1 students")  # Zoe joins on the 15th
    shot(view, "today_north")
    _pick(qtbot, view.branch, MAIN_BRANCH_ID)
    assert [s.title for s in view.sessions_model.rows] == ["Asha Rao"]
