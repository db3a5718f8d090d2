"""The dashboard screen shows what analytics compute, follows the date range, saves charts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtGui import QImage

from desktop_app.context import AppContext
from desktop_app.dashboard.view import DashboardView
from institute_core.analytics import dashboard
from institute_core.analytics.period import Period
from institute_core.replica import Replica
from tests.analytics.institute import MARCH, TODAY, Institute


def _open(qtbot, ctx: AppContext) -> DashboardView:  # type: ignore[no-untyped-def]
    view = DashboardView(ctx, today=TODAY)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None and view.risk_model.total > 0, timeout=10000)
    return view


def test_numbers_shown_are_the_analytics_figures(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                 institute: Institute,
                                                 admin_ctx: AppContext) -> None:
    view = _open(qtbot, admin_ctx)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.set_period(MARCH)
    with replica.read() as db:
        expected = dashboard.dashboard_data(db, MARCH)
        risky = dashboard.dashboard_at_risk(db, MARCH)
    cards = view.cards
    assert cards["active"].value.text() == str(expected.active_students)
    assert cards["sessions"].value.text() == str(expected.sessions_this_week)
    assert expected.attendance.rate is not None
    assert cards["attendance"].value.text() == f"{expected.attendance.rate:.2f} %"
    urgent = sum(r.urgent for r in risky)
    assert urgent >= 1
    assert cards["at_risk"].value.text() == f"{urgent} urgent"
    assert cards["at_risk"].note.text() == f"{len(risky) - urgent} more to watch"
    assert expected.crm is not None and expected.crm.conversion == 20.0
    assert cards["conversion"].value.text() == "20.00 %"
    # The charts hold the same series, and hovering shows a category's value.
    assert view.attendance_chart.values == [w.value for w in expected.attendance_trend]
    assert view.funnel_chart.values == [10.0, 6.0, 3.0, 2.0]
    chart = view.funnel_chart
    chart.plot.scene().sigMouseMoved.emit(chart.scene_pos_of(1))
    assert chart.hover_text == "contacted: 6" and chart.hover.text() == "contacted: 6"
    names = [view.risk_model.row_at(r).name for r in range(view.risk_model.rowCount())]
    assert names == [r.name for r in risky]
    assert "Asha Rao" in names
    view.rule_filter.setCurrentIndex(view.rule_filter.findData("low_attendance"))
    shown = view.risk_model.rows
    assert shown and all(any(f.rule == "low_attendance" for f in r.flags) for r in shown)


def test_changing_the_dates_recomputes(qtbot, admin_ctx: AppContext,  # type: ignore[no-untyped-def]
                                       institute: Institute) -> None:
    view = _open(qtbot, admin_ctx)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.set_period(MARCH)
    march_rate = view.cards["attendance"].value.text()
    assert march_rate != "n/a"
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.date_from.setDate(QDate(2001, 1, 1))
        view.date_to.setDate(QDate(2001, 1, 31))
    assert view.period() == Period(date(2001, 1, 1), date(2001, 1, 31))
    assert view.preset.currentText() == "Custom range"
    assert view.cards["attendance"].value.text() == "n/a"
    assert view.cards["sessions"].value.text() == "0"
    assert not view.attendance_chart.empty.isHidden()
    # A reversed range is refused by name and the figures stay as they were.
    view.date_from.setDate(QDate(2001, 2, 10))
    qtbot.wait(400)
    assert "after it ends" in view.message.text()
    assert view.data is not None and view.data.period.start == date(2001, 1, 1)


def test_a_chart_is_saved_as_png(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                 admin_ctx: AppContext) -> None:
    view = _open(qtbot, admin_ctx)
    saved = view.attendance_chart.save_png(tmp_path / "attendance")
    assert saved == tmp_path / "attendance.png"
    image = QImage(str(saved))
    assert not image.isNull() and image.width() > 200 and image.height() > 100


def test_a_faculty_member_sees_their_own_students(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                                  institute: Institute,
                                                  dev_ctx: AppContext) -> None:
    view = DashboardView(dev_ctx, today=TODAY)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.set_period(MARCH)
    with replica.read() as db:
        mine = dashboard.dashboard_data(db, MARCH, faculty_id=institute.dev)
    assert view.cards["active"].value.text() == str(mine.active_students)
    assert "conversion" not in view.cards
    assert view.utilization_chart.labels == ["Dev Singh (no availability)"]
    flagged = {view.risk_model.row_at(r).enrollment_no
               for r in range(view.risk_model.rowCount())}
    assert flagged <= {"ENR-2", "ENR-3"}


def test_the_list_is_ranked_urgent_first_and_an_admin_tunes_it(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, replica: Replica, institute: Institute,
        admin_ctx: AppContext) -> None:
    from desktop_app.settings.risk_dialog import RiskThresholdsDialog

    view = _open(qtbot, admin_ctx)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.set_period(MARCH)
    model = view.risk_model
    urgency = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert urgency[0] == "Urgent" and urgency == sorted(urgency, key=lambda u: u != "Urgent")
    why = model.data(model.index(0, 4), 3)  # the tooltip says each reason's urgency in words
    assert why.startswith("Urgent – ")
    first = view.risk_model.row_at(0)
    assert view.risk_detail.text().startswith(f"{first.name} ({first.enrollment_no}) – urgent: ")
    assert all(f.reason in view.risk_detail.text() for f in first.flags)  # in full, not cut
    view.severity_filter.setCurrentIndex(1)
    assert model.rows and all(r.urgent for r in model.rows)
    urgent = sum(r.urgent for r in view.at_risk)
    assert view.risk_caption.text().startswith(
        f"Students at risk: {urgent} urgent, {len(view.at_risk) - urgent} to watch")
    view.grab().save(str(tmp_path / "dashboard.png"))

    # Low attendance from below 70 %: Asha (70 % over her last 10) loses that flag once saved.
    assert any(f.rule == "low_attendance" for f in view.at_risk[0].flags)
    dialog = view.edit_thresholds()
    dialog.boxes["attendance_below"].setValue(70)
    dialog.boxes["attendance_urgent_below"].setValue(80)
    dialog.save()
    assert "must not be above the attendance threshold" in dialog.error.text()
    dialog.boxes["attendance_urgent_below"].setValue(50)
    view.severity_filter.setCurrentIndex(0)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        dialog.save()
    asha = next(r for r in view.at_risk if r.enrollment_no == "ENR-1")
    assert not any(f.rule == "low_attendance" for f in asha.flags)
    reopened = RiskThresholdsDialog(admin_ctx, view)
    qtbot.addWidget(reopened)
    assert reopened.boxes["attendance_below"].value() == 70
    reopened.grab().save(str(tmp_path / "thresholds.png"))
