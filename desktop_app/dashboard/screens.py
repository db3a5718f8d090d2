"""The dashboard and reports screens for `desktop_app.screenshots` (signed in as the admin)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop_app.context import AppContext
from desktop_app.dashboard.view import DashboardView
from desktop_app.reports.view import ReportsView
from institute_core.demo import DEMO_LOGINS
from institute_core.replica import Replica
from institute_core.services import auth

Wait = Callable[[Callable[[], bool]], None]
Save = Callable[[QWidget, Path, str], None]


def render_admin_screens(replica: Replica, ctx: AppContext, out: Path, size: tuple[int, int],
                         wait: Wait, save: Save) -> None:
    """Save dashboard.png, dashboard_utilization.png (a chart's own PNG export) and
    report_section.png as the demo admin sees them."""
    admin = auth.login_offline(replica, *DEMO_LOGINS["admin"])
    admin_ctx = AppContext(replica, ctx.tasks, admin)
    dashboard = DashboardView(admin_ctx)
    dashboard.resize(*size)
    dashboard.show()
    wait(lambda: dashboard.loaded)
    save(dashboard, out, "dashboard")
    dashboard.utilization_chart.save_png(out / "dashboard_utilization.png")
    dashboard.close()

    reports = ReportsView(admin_ctx)
    reports.resize(*size)
    reports.show()
    wait(lambda: reports.choices is not None)
    reports.kind.setCurrentIndex(reports.kind.findData("progress"))
    assert reports.choices is not None
    student = reports.choices.students[0].id
    reports.select(student)
    reports.set_remarks(student, "Steady progress; practise a little every day.")
    with tempfile.TemporaryDirectory(prefix="desk-report-shot-") as folder:
        reports.output_dir = Path(folder)
        reports.generate()
        wait(lambda: reports.last is not None)
        save(reports, out, "report_section")
    reports.close()
