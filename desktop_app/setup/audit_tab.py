"""The audit log tab: who changed what, when, from which device; filter and export to CSV."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import date_field, styled_label, table_view
from institute_core.audit import log
from institute_core.audit.log import AuditFilter, AuditRow
from institute_core.audit.names import record_kind
from institute_core.display import moment_text
from institute_core.schema import SYNCED_TABLES
from institute_core.schema.audit import AuditAction

ACTION_COLOURS = {"create": "#dff3e4", "delete": "#f9dcdc", "restore": "#e3ecfb",
                  "login": "#f1f1f1", "import": "#fff3cd", "undo_import": "#fff3cd"}

AUDIT_COLUMNS: list[Column[AuditRow]] = [
    Column("When", lambda r: moment_text(r.at, seconds=True)),
    Column("Who", lambda r: r.who),
    Column("Action", lambda r: r.action.replace("_", " "),
           lambda r: ACTION_COLOURS.get(r.action)),
    Column("What", lambda r: record_kind(r.table_name)),
    Column("Record", lambda r: r.record, tooltip=lambda r: str(r.row_id or "")),
    Column("Device", lambda r: str(r.device_id or "")[:8]),
    Column("Changes", lambda r: r.summary(), tooltip=lambda r: r.summary()),
]


PAGE = 1000  # entries read at once; the count says how many match in all
SHARED_ENTRIES = ("Show the changes about one branch's records, or all the branches you work "
                  "in. Changes to shared records – accounts, roles, the syllabus, "
                  "institute-wide notices – and sign-ins concern every branch, so they show "
                  "under each.")


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


class AuditTab(QWidget):
    """Newest first; filters by action, table and dates; 'Export CSV' writes what is shown."""

    exported = Signal(str)
    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.total = 0  # entries matching the filters, shown or not
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.action = QComboBox()
        self.action.addItem("Every action", None)
        for action in AuditAction:
            self.action.addItem(action.value.replace("_", " ").capitalize(), action.value)
        self.table_name = QComboBox()
        self.table_name.addItem("Every table", None)
        for name in SYNCED_TABLES:
            self.table_name.addItem(record_kind(name).capitalize(), name)
        today = date.today()
        self.since = date_field(_qdate(today.replace(day=1)))
        self.until = date_field(_qdate(today))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        self.export_button = QPushButton("Export CSV…")
        for label, widget in (("Action", self.action), ("Table", self.table_name),
                              ("From", self.since), ("To", self.until)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addStretch(1)
        # The log can be large: the pick narrows the query (log.about_branches), so paging and
        # the count cover the branch, not a page already read.
        self.branch = BranchPicker(ctx)
        self.branch.setToolTip(SHARED_ENTRIES)
        self.branch.selection_changed.connect(self._on_branch_selection)
        filters.addWidget(self.branch)
        filters.addWidget(self.export_button)
        layout.addLayout(filters)
        self.model: RowsModel[AuditRow] = RowsModel(AUDIT_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit log")
        layout.addWidget(self.table, 1)
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)
        for combo in (self.action, self.table_name):
            combo.currentIndexChanged.connect(self.refresh)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self.refresh)
        self.export_button.clicked.connect(self._choose_export)

    def current_filter(self) -> AuditFilter:
        return AuditFilter(action=self.action.currentData(),
                           table_name=self.table_name.currentData(),
                           since=self.since.date().toPython(),  # type: ignore[arg-type]
                           until=self.until.date().toPython(),  # type: ignore[arg-type]
                           branch_ids=self.branch.selection)

    def refresh(self) -> None:
        replica, user, where = self._ctx.replica, self._ctx.user, self.current_filter()
        self._ctx.tasks.run_db(
            lambda: (log.list_entries(replica, user, where, limit=PAGE),
                     log.count_entries(replica, user, where)),
            self._on_loaded, lambda e: self.message.setText(f"Cannot read the log: {e}"))

    def _on_branch_selection(self, _selection: object) -> None:
        if self.isVisible():  # a hidden tab reads the log when Setup shows it
            self.refresh()

    def _on_loaded(self, result: tuple[list[AuditRow], int]) -> None:
        rows, total = result
        self.total = total
        self.model.set_rows(rows)
        shown = f"{len(rows)} of {total}" if total > len(rows) else str(total)
        noun = "entry" if total == 1 else "entries"
        where = (f" ({self.branch.choice.label}, with the changes to shared records)"
                 if self.branch.choice.chosen is not None else "")
        self.message.setText(f"{shown} {noun}{where}." if total else
                             f"No entries match{where}.")
        self.sig_loaded.emit()

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", "audit-log.csv",
                                              "CSV files (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        replica, user, where = self._ctx.replica, self._ctx.user, self.current_filter()

        def done(count: int) -> None:
            self.message.setText(f"Exported {count} entries to {path}.")
            self.exported.emit(path)

        self._ctx.tasks.run_db(lambda: log.export_csv(replica, user, path, where), done,
                               lambda e: self.message.setText(f"Export failed: {e}"))
