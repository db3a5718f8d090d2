"""The import tab: choose a file, check the column mapping, see every row's result, accept.

Nothing is written until 'Import' is pressed; then the good rows go in one transaction (the
refused ones are listed with reasons and skipped). Earlier imports can be undone as a whole.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import ask, styled_label, table_view
from institute_core.display import moment_text
from institute_core.importing import apply, export
from institute_core.importing.fields import Field, fields_of
from institute_core.importing.mapping import Mapping, guess_mapping
from institute_core.importing.plan import ImportPlan, RowAction, RowResult
from institute_core.importing.reading import Sheet, read_sheet
from institute_core.schema import ImportRun
from institute_core.schema.audit import ImportKind

NOT_IMPORTED = "— not imported —"
ACTION_TEXT = {RowAction.CREATE: "new", RowAction.UPDATE: "changes",
               RowAction.UNCHANGED: "unchanged", RowAction.REFUSED: "refused"}
ACTION_COLOURS = {RowAction.CREATE: "#dff3e4", RowAction.UPDATE: "#e3ecfb",
                  RowAction.REFUSED: "#f9dcdc"}

def _cells(cells: list[str], shown: int = 3) -> str:
    """The first few filled cells: enough to recognise the row."""
    filled = [c for c in cells if c]
    text = " | ".join(filled[:shown])
    return text + (" | …" if len(filled) > shown else "")


ROW_COLUMNS: list[Column[RowResult]] = [
    Column("Line", lambda r: str(r.line), align_right=True),
    Column("Result", lambda r: ACTION_TEXT[r.action], lambda r: ACTION_COLOURS.get(r.action)),
    Column("Row", lambda r: _cells(r.cells), tooltip=lambda r: " | ".join(r.cells)),
    Column("Why refused", lambda r: "; ".join(r.reasons), tooltip=lambda r: "\n".join(r.reasons)),
]

RUN_COLUMNS: list[Column[ImportRun]] = [
    Column("When", lambda r: moment_text(r.created_at)),
    Column("Kind", lambda r: r.kind),
    Column("File", lambda r: r.file_name),
    Column("New", lambda r: str(r.rows_created), align_right=True),
    Column("Changed", lambda r: str(r.rows_updated), align_right=True),
    Column("Status", lambda r: r.status),
]


class ImportTab(QWidget):
    """Preview and accept spreadsheet imports; undo them; export the same kinds to CSV."""

    sig_saved = Signal()
    previewed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._sheet: Sheet | None = None
        self.plan: ImportPlan | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.kind = QComboBox()
        for kind in ImportKind:
            self.kind.addItem(kind.value.capitalize(), kind.value)
        self.choose_button = QPushButton("Choose file…")
        self.file_label = QLabel("No file chosen (CSV or Excel .xlsx with a header row).")
        self.export_button = QPushButton("Export CSV…")
        top.addWidget(QLabel("Import"))
        top.addWidget(self.kind)
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.export_button)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(styled_label("Columns (guessed from the headers; * needed)",
                                              "hint"))
        self.mapping_table = QTableWidget(0, 2)
        self.mapping_table.setHorizontalHeaderLabels(["Field", "Column of the file"])
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        self.mapping_table.setAccessibleName("Column mapping")
        mapping_layout.addWidget(self.mapping_table)
        split.addWidget(mapping_box)
        self.rows_model: RowsModel[RowResult] = RowsModel(ROW_COLUMNS, self)
        self.rows_table = table_view()
        self.rows_table.setModel(self.rows_model)
        self.rows_table.setAccessibleName("Rows of the file")
        split.addWidget(self.rows_table)
        split.setSizes([300, 700])
        layout.addWidget(split, 3)

        accept = QHBoxLayout()
        self.summary = styled_label("", "hint")
        self.accept_button = QPushButton("Import")
        self.accept_button.setObjectName("primary")
        self.accept_button.setEnabled(False)
        accept.addWidget(self.summary, 1)
        accept.addWidget(self.accept_button)
        layout.addLayout(accept)

        layout.addWidget(styled_label("Earlier imports", "hint"))
        self.runs_model: RowsModel[ImportRun] = RowsModel(RUN_COLUMNS, self)
        self.runs_table = table_view()
        self.runs_table.setModel(self.runs_model)
        self.runs_table.setMaximumHeight(150)
        layout.addWidget(self.runs_table, 1)
        undo_row = QHBoxLayout()
        undo_row.addStretch(1)
        self.undo_button = QPushButton("Undo the selected import")
        undo_row.addWidget(self.undo_button)
        layout.addLayout(undo_row)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.choose_button.clicked.connect(self._choose_file)
        self.accept_button.clicked.connect(self.accept_import)
        self.undo_button.clicked.connect(self._undo_selected)
        self.export_button.clicked.connect(self._choose_export)

    # --- state ----------------------------------------------------------------------------

    @property
    def fields(self) -> tuple[Field, ...]:
        return fields_of(self.kind.currentData())

    def mapping(self) -> Mapping:
        found: Mapping = {}
        for row, spec in enumerate(self.fields):
            combo = self.mapping_table.cellWidget(row, 1)
            if isinstance(combo, QComboBox) and combo.currentData() is not None:
                found[spec.name] = int(combo.currentData())
        return found

    def refresh(self) -> None:
        replica, user = self._ctx.replica, self._ctx.user
        self._ctx.tasks.run_db(lambda: apply.list_runs(replica, user), self.runs_model.set_rows)

    # --- choosing a file and mapping ------------------------------------------------------

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a spreadsheet", "",
                                              "Spreadsheets (*.csv *.xlsx);;All files (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        self.file_label.setText(f"Reading {path.name}…")
        self._ctx.tasks.run_db(lambda: read_sheet(path), self._on_sheet,
                               lambda e: self._show_problem(f"{path.name}: {e}"))

    def _on_sheet(self, sheet: Sheet) -> None:
        self._sheet = sheet
        self.file_label.setText(f"{sheet.name}: {len(sheet.rows)} rows, "
                                f"{len(sheet.headers)} columns")
        self._fill_mapping(guess_mapping(sheet.headers, self.fields))
        self.preview()

    def _kind_changed(self) -> None:
        if self._sheet is not None:
            self._fill_mapping(guess_mapping(self._sheet.headers, self.fields))
            self.preview()

    def _fill_mapping(self, mapping: Mapping) -> None:
        assert self._sheet is not None
        self.mapping_table.setRowCount(len(self.fields))
        for row, spec in enumerate(self.fields):
            label = QLabel(spec.label + (" *" if spec.required else ""))
            self.mapping_table.setCellWidget(row, 0, label)
            combo = QComboBox()
            combo.addItem(NOT_IMPORTED, None)
            for index, header in enumerate(self._sheet.headers):
                combo.addItem(header or f"(column {index + 1})", index)
            chosen = mapping.get(spec.name)
            combo.setCurrentIndex(0 if chosen is None else chosen + 1)
            combo.currentIndexChanged.connect(self.preview)
            self.mapping_table.setCellWidget(row, 1, combo)
        self.mapping_table.resizeColumnToContents(0)

    def set_column(self, field_name: str, column: int | None) -> None:
        """Choose the column of a field (what the person does with the combo box)."""
        for row, spec in enumerate(self.fields):
            if spec.name == field_name:
                combo = self.mapping_table.cellWidget(row, 1)
                assert isinstance(combo, QComboBox)
                combo.setCurrentIndex(0 if column is None else column + 1)

    # --- preview and accept ---------------------------------------------------------------

    def preview(self) -> None:
        if self._sheet is None:
            return
        replica, user, sheet = self._ctx.replica, self._ctx.user, self._sheet
        kind, mapping = self.kind.currentData(), self.mapping()
        self.accept_button.setEnabled(False)
        self._ctx.tasks.run_db(lambda: apply.preview(replica, user, kind, sheet, mapping),
                               self._on_plan, lambda e: self._show_problem(str(e)))

    def _on_plan(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.rows_model.set_rows(plan.rows)
        writes = len(plan.writes)
        self.summary.setText(plan.summary() + (
            ". Refused rows are skipped; fix them in the file and import it again."
            if plan.refused else "."))
        self.accept_button.setText(f"Import {writes} rows" if writes else "Nothing to import")
        self.accept_button.setEnabled(writes > 0)
        self.previewed.emit()

    def _show_problem(self, text: str) -> None:
        self.plan = None
        self.rows_model.set_rows([])
        self.summary.setText(text)
        self.accept_button.setText("Import")
        self.accept_button.setEnabled(False)
        self.previewed.emit()

    def accept_import(self) -> None:
        if self._sheet is None or self.plan is None:
            return
        replica, actor, user, sheet = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                       self._sheet)
        kind, mapping = self.kind.currentData(), self.mapping()
        self.accept_button.setEnabled(False)
        self._ctx.tasks.run_db(
            lambda: apply.run_import(replica, actor, user, kind, sheet, mapping),
            self._on_imported, lambda e: self._show_problem(f"Nothing was imported: {e}"))

    def _on_imported(self, outcome: apply.ImportOutcome) -> None:
        self.sig_saved.emit()
        self.refresh()
        self.preview()  # the same file now shows as unchanged
        self.summary.setText(f"Imported {len(outcome.plan.writes)} rows from "
                             f"{outcome.plan.file_name}.")

    # --- undo and export ------------------------------------------------------------------

    def _undo_selected(self) -> None:
        row = self.runs_table.currentIndex().row()
        if not 0 <= row < self.runs_model.rowCount():
            return
        run = self.runs_model.row_at(row)
        if ask(self, "Undo import", f"Undo the import of {run.file_name}? Rows it created "
               "are removed and fields it changed get their old values.", "Undo the import"):
            self.undo(run.id)

    def undo(self, run_id: object) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._ctx.tasks.run_db(
            lambda: apply.undo_import(replica, actor, user, run_id),  # type: ignore[arg-type]
            lambda n: self._after_undo(n), lambda e: self.summary.setText(f"Cannot undo: {e}"))

    def _after_undo(self, touched: int) -> None:
        self.sig_saved.emit()
        self.refresh()
        self.summary.setText(f"Import undone ({touched} rows reverted).")

    def _choose_export(self) -> None:
        kind = self.kind.currentData()
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind}", f"{kind}.csv",
                                              "CSV files (*.csv)")
        if path:
            replica, user = self._ctx.replica, self._ctx.user
            self._ctx.tasks.run_db(
                lambda: export.export_csv(replica, user, kind, path),
                lambda n: self.summary.setText(f"Exported {n} {kind} rows to {path}."),
                lambda e: self.summary.setText(f"Export failed: {e}"))
