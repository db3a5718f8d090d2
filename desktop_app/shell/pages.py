"""Which view class opens for each section: "module:Class", imported when first opened.

Importing a section's module only when the user first opens it keeps start-up fast (pyqtgraph and
the report stack load only for the admin who opens the dashboard), and keeps the shell free of
feature imports. A section without an entry shows its placeholder page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from desktop_app.context import AppContext

# section id -> "package.module:ViewClass"; the class is constructed as ViewClass(ctx).
PAGES: dict[str, str] = {
    "today": "desktop_app.today.view:TodayView",
    "students": "desktop_app.students.view:StudentsView",
    "fees": "desktop_app.fees.view:FeesView",
    "certificates": "desktop_app.certificates.view:CertificatesView",
    "conflicts": "desktop_app.conflicts.view:ConflictsView",
    "inquiries": "desktop_app.crm.inquiries_view:InquiriesView",
    "follow_ups": "desktop_app.crm.followups_view:FollowUpsView",
    "dashboard": "desktop_app.dashboard.view:DashboardView",
    "my_dashboard": "desktop_app.dashboard.view:DashboardView",
    "reports": "desktop_app.reports.view:ReportsView",
    "setup": "desktop_app.setup.view:SetupView",
    "notices": "desktop_app.notices.admin_view:NoticesView",
    "messages": "desktop_app.messages.admin_view:MessagesAdminView",
}


def page_factory(section_id: str) -> Callable[[AppContext], QWidget] | None:
    """The view class of a section, or None when the section has no page yet."""
    target = PAGES.get(section_id)
    if target is None:
        return None
    module_name, _, class_name = target.partition(":")
    factory: Callable[[AppContext], QWidget] = getattr(
        importlib.import_module(module_name), class_name)
    return factory
