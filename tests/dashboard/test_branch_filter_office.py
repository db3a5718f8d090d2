"""The branch picker on the office screens that lacked it (issue 17): the audit log (filtered
in SQL with its paging), Setup → Devices (a device's branches are its account's), CRM →
Feedback insights and Rewards and penalties (figures of one branch equal independent SQL; the
combined figures are the branches' together). Screens are rendered to PNG."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from desktop_app import sync_bridge
from desktop_app.context import AppContext
from desktop_app.crm.feedback_insights_view import FeedbackInsightsView
from desktop_app.crm.points_view import PointsView
from desktop_app.setup.audit_tab import PAGE, AuditTab
from desktop_app.setup.devices_tab import DevicesTab
from desktop_app.tasks import TaskManager
from institute_core.audit import log
from institute_core.audit.log import AuditFilter
from institute_core.branches import service
from institute_core.branches.defaults import branch_of_row
from institute_core.replica import Replica
from institute_core.schema import (
    MAIN_BRANCH_ID,
    AuditEntry,
    Feedback,
    RewardPenalty,
    Student,
    Subject,
)
from institute_core.sync.device_health import DeviceHealth
from tests.analytics.institute import Institute
from tests.dashboard.test_branch_filter import _dev_user, _north, _pick, _shown
from tests.dashboard.test_branch_filter_more import assert_no_picker, one_branch_user
from tests.support.shots import shot


def _settle(qtbot, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    """Wait until every load asked for has been shown: the choice's first reading asks too,
    so waiting for one "loaded" signal could catch an earlier load's."""
    qtbot.waitUntil(lambda: ctx.tasks.idle, timeout=10000)


def _sql(replica: Replica, sql: str, **params: Any) -> Any:
    with replica.engine.connect() as conn:
        return conn.execute(text(sql), {k: v.hex if isinstance(v, uuid.UUID) else v
                                        for k, v in params.items()}).scalar_one()


def _north_and_main(ctx: AppContext, institute: Institute
                    ) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """North Campus, the student moved there and one who stayed at Main."""
    north, moved = _north(ctx, institute)
    return north, moved, next(s for s in institute.students.values() if s != moved)


# --- the audit log ------------------------------------------------------------------------------

def _expected_branches(replica: Replica) -> dict[uuid.UUID, uuid.UUID | None]:
    """Each entry's branch worked out row by row in Python, as the conflict list does."""
    with replica.read() as s:
        entries = s.query(AuditEntry.id, AuditEntry.table_name, AuditEntry.row_id).filter(
            AuditEntry.deleted_at.is_(None)).all()
        return {e: None if row is None else branch_of_row(s, table, row)
                for e, table, row in entries}


def test_the_audit_log_pages_the_picked_branch_in_the_database(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved, stayed = _north_and_main(admin_ctx, institute)
    with replica.write(admin_ctx.actor) as s:
        s.get(Student, moved).notes = "moved north"  # type: ignore[union-attr]
        s.get(Student, stayed).notes = "still at main"  # type: ignore[union-attr]
        s.get(Subject, institute.subject).name = "Python Basics II"  # type: ignore[union-attr]
    expected = _expected_branches(replica)
    north_ids = {e for e, b in expected.items() if b in (north, None)}
    main_ids = {e for e, b in expected.items() if b in (MAIN_BRANCH_ID, None)}
    shared = {e for e, b in expected.items() if b is None}
    assert north_ids - shared and main_ids - shared and shared  # every kind is there

    tab = _shown(qtbot, AuditTab(admin_ctx), 1400, 520)
    qtbot.waitUntil(lambda: tab.branch.count() > 1, timeout=5000)
    tab.refresh()
    _settle(qtbot, admin_ctx)
    assert tab.total == len(expected)
    assert tab.branch.isVisible() and "every branch" in tab.branch.toolTip()
    _pick(qtbot, tab.branch, north)
    _settle(qtbot, admin_ctx)
    shown = {r.id for r in tab.model.rows}
    assert shown == north_ids and tab.total == len(north_ids)
    assert stayed not in {r.row_id for r in tab.model.rows}  # no Main row under North
    assert "(North Campus, with the changes to shared records)" in tab.message.text()
    shot(tab, "audit_north.png")
    _pick(qtbot, tab.branch, MAIN_BRANCH_ID)
    _settle(qtbot, admin_ctx)
    assert {r.id for r in tab.model.rows} == main_ids
    assert moved not in {r.row_id for r in tab.model.rows}
    # Combined: the branches together, the shared entries counted once.
    assert len(north_ids) + len(main_ids) - len(shared) == len(expected)

    # More than a page of North changes: Main's page is still full of Main's entries and its
    # count is Main's (the filter is in the query, not applied to a page already read).
    with replica.write(admin_ctx.actor) as s:
        later = datetime.now(UTC) + timedelta(minutes=1)
        s.add_all([AuditEntry(action="update", table_name="students", row_id=moved,
                              user_id=institute.admin, new_values={"notes": str(n)},
                              created_at=later) for n in range(PAGE + 5)])
    tab.refresh()
    _settle(qtbot, admin_ctx)
    assert {r.id for r in tab.model.rows} == main_ids and tab.total == len(main_ids)
    _pick(qtbot, tab.branch, north)
    _settle(qtbot, admin_ctx)
    north_total = len(north_ids) + PAGE + 5
    assert len(tab.model.rows) == PAGE and tab.total == north_total
    assert tab.message.text().startswith(f"{PAGE} of {north_total} entries")
    # The export writes every entry of the pick, as the log has them.
    assert log.count_entries(replica, admin_ctx.user, AuditFilter(branch_ids=(north,))) \
        == north_total


# --- devices ------------------------------------------------------------------------------------

def _device(n: int, user_id: uuid.UUID | None, email: str, *, failing: bool = False
            ) -> DeviceHealth:
    seen = datetime(2026, 3, 20, 9, n, tzinfo=UTC)
    return DeviceHealth(uuid.UUID(int=n + 1), email, f"desk-{n}", seen, seen,
                        seen if failing else None, seen if failing else None,
                        "abc123" if failing else None, "refused" if failing else None,
                        user_id)


def test_devices_show_those_of_the_picked_branchs_people(
        qtbot, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        replica: Replica, institute: Institute, admin_ctx: AppContext,
        tasks: TaskManager) -> None:
    north, _moved = _north(admin_ctx, institute)
    dev = _dev_user(replica, institute)
    service.set_user_branches(replica, admin_ctx.actor, admin_ctx.user, dev,
                              [MAIN_BRANCH_ID, north])
    service.set_user_branches(replica, admin_ctx.actor, admin_ctx.user, institute.counselor,
                              [MAIN_BRANCH_ID])
    devices = [_device(0, institute.counselor, "c@example.org", failing=True),
               _device(1, dev, "dev@example.org"),
               _device(2, None, "ghost@example.org")]  # an account this desk does not hold
    monkeypatch.setattr(sync_bridge, "device_health", lambda _r, _c: devices)
    ctx = AppContext(replica, tasks, admin_ctx.user, credentials=object())  # type: ignore[arg-type]
    tab = _shown(qtbot, DevicesTab(ctx), 1100, 360)
    qtbot.waitUntil(lambda: tab.branch.count() > 1, timeout=5000)
    tab.refresh()
    qtbot.waitUntil(lambda: tab.loaded, timeout=5000)
    assert tab.model.total == 3
    # The desk knows dev works in both branches.
    assert {d.device_id: d.branch_ids for d in tab.model.rows}[devices[1].device_id] \
        == frozenset({MAIN_BRANCH_ID, north})
    _pick(qtbot, tab.branch, north)
    assert [d.owner for d in tab.model.rows] == ["dev@example.org", "ghost@example.org"]
    assert tab.summary.text() == "North Campus: All 2 devices upload their changes."
    shot(tab, "devices_north.png")
    _pick(qtbot, tab.branch, MAIN_BRANCH_ID)
    assert [d.owner for d in tab.model.rows] == ["c@example.org", "dev@example.org",
                                                 "ghost@example.org"]
    assert tab.summary.text().startswith("Main: 1 of 3 devices cannot upload")
    _pick(qtbot, tab.branch, None)
    assert tab.model.rowCount() == 3


# --- feedback insights and points ---------------------------------------------------------------

def _feedback(student: uuid.UUID, faculty: uuid.UUID, rating: int, comments: str,
              sentiment: str, score: float) -> Feedback:
    return Feedback(student_id=student, faculty_id=faculty, rating=rating, comments=comments,
                    feedback_type="faculty", sentiment=sentiment, sentiment_score=score)


def test_feedback_insights_of_a_branch_equal_sql(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved, stayed = _north_and_main(admin_ctx, institute)
    with replica.write(admin_ctx.actor) as s:
        s.add_all([_feedback(moved, institute.meera, 5, "Clear and patient", "positive", 0.8),
                   _feedback(moved, institute.dev, 4, "Good pace", "positive", 0.5),
                   _feedback(stayed, institute.meera, 2, "Too fast, confusing", "negative",
                             -0.6),
                   _feedback(stayed, institute.meera, 3, "Confusing homework", "negative",
                             -0.4)])
    view = _shown(qtbot, FeedbackInsightsView(admin_ctx, date.today()), 1200, 800)
    qtbot.waitUntil(lambda: view.branch.count() > 1, timeout=5000)
    view.load()
    _settle(qtbot, admin_ctx)
    whole = view.figures
    assert whole is not None

    def by_faculty(branch: uuid.UUID) -> dict[str, tuple[int, float]]:
        with replica.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT u.first_name || ' ' || u.last_name, count(*), avg(f.rating) "
                "FROM feedback f JOIN students st ON st.id = f.student_id "
                "JOIN faculties fa ON fa.id = f.faculty_id JOIN users u ON u.id = fa.user_id "
                "WHERE f.deleted_at IS NULL AND st.branch_id = :b GROUP BY 1"),
                {"b": branch.hex}).all()
        return {name: (n, round(avg, 2)) for name, n, avg in rows}

    for branch, label in ((north, "North Campus"), (MAIN_BRANCH_ID, "Main")):
        _pick(qtbot, view.branch, branch)
        _settle(qtbot, admin_ctx)
        figures = view.figures
        assert figures is not None
        assert {g.name: (g.count, g.average) for g in figures.by_faculty} == by_faculty(branch)
        negative = _sql(replica, "SELECT count(*) FROM feedback f JOIN students st ON "
                        "st.id = f.student_id WHERE st.branch_id = :b AND "
                        "f.sentiment = 'negative'", b=branch)
        assert sum(m.negative for m in figures.by_month) == negative
        assert f"in {label}:" in view.headline.text()
        if branch == north:
            assert figures.negative_words == ()  # Main's complaints stay Main's
            shot(view, "feedback_insights_north.png")
        else:
            assert dict(figures.negative_words)["confusing"] == 2
    # Combined: every rating of both branches (the picks' counts add up to the whole).
    assert sum(g.count for g in whole.by_faculty) == 4 == sum(
        n for b in (north, MAIN_BRANCH_ID) for n, _avg in by_faculty(b).values())


def _points(student: uuid.UUID, kind: str, points: int, admin: uuid.UUID, *,
            voided: bool = False) -> RewardPenalty:
    return RewardPenalty(student_id=student, type=kind, category="behavior", reason="test",
                         points=points, date=date(2026, 3, 20), created_by=admin,
                         status="resolved" if voided else "active",
                         appeal_accepted=True if voided else None)


def test_points_of_a_branch_equal_sql_and_its_students_only_are_offered(
        qtbot, replica: Replica, institute: Institute,  # type: ignore[no-untyped-def]
        admin_ctx: AppContext) -> None:
    north, moved, stayed = _north_and_main(admin_ctx, institute)
    with replica.write(admin_ctx.actor) as s:
        s.add_all([_points(moved, "reward", 7, institute.admin),
                   _points(moved, "penalty", 3, institute.admin),
                   _points(moved, "penalty", 50, institute.admin, voided=True),
                   _points(stayed, "penalty", 4, institute.admin)])
    view = _shown(qtbot, PointsView(admin_ctx), 1200, 520)
    qtbot.waitUntil(lambda: view.branch.count() > 1 and view.shown_totals is not None
                    and view.student.count() == len(institute.students), timeout=5000)
    _settle(qtbot, admin_ctx)

    def sql(branch: uuid.UUID | None, kind: str) -> int:
        where = "" if branch is None else " AND st.branch_id = :b"
        return int(_sql(replica, "SELECT coalesce(sum(r.points), 0) FROM rewards_penalties r "
                        "JOIN students st ON st.id = r.student_id WHERE r.deleted_at IS NULL "
                        "AND (r.appeal_accepted IS NULL OR r.appeal_accepted = 0) AND r.type = "
                        f":k{where}", k=kind, **({} if branch is None else {"b": branch})))

    whole = view.shown_totals
    assert whole is not None
    for branch in (north, MAIN_BRANCH_ID):
        _pick(qtbot, view.branch, branch)
        _settle(qtbot, admin_ctx)
        totals = view.shown_totals
        assert totals is not None
        assert (totals.rewards, totals.penalties) == (sql(branch, "reward"),
                                                      sql(branch, "penalty"))
        offered = {view.student.itemData(i) for i in range(view.student.count())}
        with replica.read() as s:
            assert offered == {sid for sid in institute.students.values()
                               if s.get(Student, sid).branch_id == branch}  # type: ignore[union-attr]
        if branch == north:
            # Asha's +10 of the known-answer institute, +7 and −3; the voided −50 left out.
            assert (totals.rewards, totals.penalties, totals.students) == (17, 3, 1)
            assert view.totals.text().startswith(
                "North Campus: 1 student with points – rewards +17, penalties −3, net +14")
            qtbot.waitUntil(lambda: view.balance.text() == "Balance: +14 points", timeout=5000)
            shot(view, "points_north.png")
    assert (whole.rewards, whole.penalties) == (sql(None, "reward"), sql(None, "penalty"))
    assert whole.rewards == sql(north, "reward") + sql(MAIN_BRANCH_ID, "reward")
    assert whole.penalties == sql(north, "penalty") + sql(MAIN_BRANCH_ID, "penalty")


def test_a_one_branch_user_sees_no_picker_on_the_office_screens(
        qtbot, institute: Institute, admin_ctx: AppContext,  # type: ignore[no-untyped-def]
        tasks: TaskManager) -> None:
    ctx = one_branch_user(admin_ctx, institute, tasks)
    assert_no_picker(qtbot, DevicesTab(ctx), FeedbackInsightsView(ctx), PointsView(ctx))
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)


assert os.environ.get("QT_QPA_PLATFORM") == "offscreen"
