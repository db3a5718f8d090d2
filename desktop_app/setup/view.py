"""Setup: people, students, syllabus, batches, branches, roles, spreadsheet import, the audit
log and the devices – each tab for who holds the permission it takes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop_app.branches.setup_tab import BranchesTab
from desktop_app.context import AppContext
from desktop_app.setup.audit_tab import AuditTab
from desktop_app.setup.batches_tab import BatchesTab
from desktop_app.setup.devices_tab import DevicesTab
from desktop_app.setup.import_tab import ImportTab
from desktop_app.setup.people_tab import PeopleTab
from desktop_app.setup.roles_tab import RolesTab
from desktop_app.setup.students_tab import StudentsTab
from desktop_app.setup.syllabus_tab import SyllabusTab
from desktop_app.widgets import styled_label, title_label


class SetupView(QWidget):
    """Tabs load their data when first shown; every write is announced with `sig_saved`."""

    sig_saved = Signal()
    # The tabs the user's permissions open (an attribute is missing for a tab they lack).
    people: PeopleTab
    students: StudentsTab
    syllabus: SyllabusTab
    batches: BatchesTab
    branches: BranchesTab
    roles: RolesTab
    importer: ImportTab
    audit: AuditTab
    devices: DevicesTab

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Setup"))
        # Parented at once: a non-admin's view returns before laying the tabs out, and a
        # widget with no parent would be finalised by the cycle collector, not by Qt.
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        # Each tab asks for the permission its work takes (issue 17); the section shows when
        # any of them would.
        may = ctx.user.may
        chosen: list[tuple[str, str, Callable[[AppContext], QWidget]]] = [
            (attr, name, kind) for attr, name, kind, permission in (
                ("people", "People", PeopleTab, "setup.people.manage"),
                ("students", "Students", StudentsTab, "students.manage"),
                ("syllabus", "Syllabus", SyllabusTab, "setup.syllabus.manage"),
                ("batches", "Batches", BatchesTab, "attendance.manage"),
                ("branches", "Branches", BranchesTab, "setup.branches.manage"),
                ("roles", "Roles", RolesTab, "setup.roles.manage"),
                ("importer", "Import", ImportTab, "setup.import"),
                ("audit", "Audit log", AuditTab, "audit.view"),
                ("devices", "Devices", DevicesTab, "audit.view"))
            if may(permission)]
        if not chosen:  # navigation hides the section; never show it regardless
            layout.addWidget(styled_label("Your role grants nothing to set up here.",
                                          "subtitle"))
            layout.addStretch(1)
            self.tabs.hide()
            return
        for attr, name, kind in chosen:
            tab = kind(ctx)
            setattr(self, attr, tab)
            self.tabs.addTab(tab, name)
            saved = getattr(tab, "sig_saved", None)
            if saved is not None:
                saved.connect(self.sig_saved)
        layout.addWidget(self.tabs, 1)
        self._loaded: set[int] = set()
        self.tabs.currentChanged.connect(self._show)
        self._show(0)

    def _show(self, index: int) -> None:
        if index in self._loaded:
            return
        self._loaded.add(index)
        tab = self.tabs.widget(index)
        refresh = getattr(tab, "refresh", None)
        if refresh is not None:
            refresh()
