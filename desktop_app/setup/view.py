"""Setup: people, syllabus, batches, branches, spreadsheet import, the audit log and the
devices – admins only."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop_app.branches.setup_tab import BranchesTab
from desktop_app.context import AppContext
from desktop_app.setup.audit_tab import AuditTab
from desktop_app.setup.batches_tab import BatchesTab
from desktop_app.setup.devices_tab import DevicesTab
from desktop_app.setup.import_tab import ImportTab
from desktop_app.setup.people_tab import PeopleTab
from desktop_app.setup.students_tab import StudentsTab
from desktop_app.setup.syllabus_tab import SyllabusTab
from desktop_app.widgets import styled_label, title_label
from institute_core.setup.access import is_admin


class SetupView(QWidget):
    """Tabs load their data when first shown; every write is announced with `sig_saved`."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Setup"))
        # Parented at once: a non-admin's view returns before laying the tabs out, and a
        # widget with no parent would be finalised by the cycle collector, not by Qt.
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        if not is_admin(ctx.user):  # navigation hides the section; never show it regardless
            layout.addWidget(styled_label("Only administrators can set up the institute.",
                                          "subtitle"))
            layout.addStretch(1)
            self.tabs.hide()
            return
        self.people = PeopleTab(ctx)
        self.students = StudentsTab(ctx)
        self.syllabus = SyllabusTab(ctx)
        self.batches = BatchesTab(ctx)
        self.branches = BranchesTab(ctx)
        self.importer = ImportTab(ctx)
        self.audit = AuditTab(ctx)
        self.devices = DevicesTab(ctx)
        for tab, name in ((self.people, "People"), (self.students, "Students"),
                          (self.syllabus, "Syllabus"),
                          (self.batches, "Batches"), (self.branches, "Branches"),
                          (self.importer, "Import"),
                          (self.audit, "Audit log"), (self.devices, "Devices")):
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
