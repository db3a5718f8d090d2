"""Reports: choose a report, whom it is about, the period, its sections and remarks; generate
the PDF on the database thread, then open it in the system viewer or send it to the printer.

Generating records the report (student_reports / faculty_reports, see
`institute_core.reports.service`), so the view emits `sig_saved` and the shell syncs it.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QProcess, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.documents import documents_folder, open_pdf
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import date_field, styled_label, table_view, title_label
from institute_core.analytics.period import Period
from institute_core.display import date_text, short_moment, short_period
from institute_core.reports import service
from institute_core.reports.choices import Choice, ReportChoices, batch_students, report_choices
from institute_core.reports.history import KeptReport, kept_reports

KIND_TITLES = {
    "progress": "Student progress",
    "attendance": "Attendance",
    "faculty": "Faculty utilization and performance",
    "crm": "CRM conversion",
    "batch": "Batch (every student's progress)",
    "coverage": "Topic coverage of a batch",
    "branches": "Branches side by side (attendance, utilisation, CRM)",
}
# Whom each kind is about; attendance may be about a student or a batch.
SUBJECT_OF = {"progress": "student", "attendance": "student", "faculty": "faculty",
              "crm": None, "batch": "batch", "coverage": "batch", "branches": None}
REMARKS_FOR = ("progress", "batch")
DEFAULT_DAYS = 30

KEPT_COLUMNS: list[Column[KeptReport]] = [
    Column("Made", lambda r: short_moment(r.generated_at)),
    Column("Report", lambda r: r.report_type.replace("_", " ")),
    Column("About", lambda r: r.about),
    Column("Period", lambda r: short_period(r.start, r.end)),
]


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-").lower()[:40] or "report"


def default_output_dir() -> Path:
    return documents_folder("Institute Desk reports")


def print_command(path: Path) -> tuple[str, list[str]]:
    """The program that sends a PDF to the default printer on this system."""
    import sys

    if sys.platform.startswith("win"):
        # The shell's "print" verb of the PDF's default application.
        return "powershell", ["-NoProfile", "-Command",
                              f"Start-Process -FilePath '{path}' -Verb Print"]
    return "lp", [str(path)]  # CUPS, on Linux and macOS


class ReportsView(QWidget):
    """Make a PDF report; open or print it."""

    sig_saved = Signal()
    sig_generated = Signal(object)  # service.GeneratedReport
    sig_choices_loaded = Signal()
    sig_kept_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.choices: ReportChoices | None = None
        self._output_dir = default_output_dir()
        self.last: service.GeneratedReport | None = None
        self._busy = False
        self._build()
        self._on_kind()
        ctx.tasks.run_db(self._load_choices, self._on_choices, self._on_failed)
        self.refresh_kept()

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Reports"))
        layout.addWidget(styled_label(
            "Printed from this computer's copy of the data, so it works offline. Each report "
            "about a student or faculty member is kept, so it can be printed again as it was.",
            "subtitle"))
        body = QHBoxLayout()
        layout.addLayout(body, 1)

        form_box = QFrame()
        form_box.setObjectName("card")
        form = self.form = QFormLayout(form_box)
        self.kind = QComboBox()
        for kind in service.KINDS:
            self.kind.addItem(KIND_TITLES[kind], kind)
        self.kind.currentIndexChanged.connect(self._on_kind)
        form.addRow("Report", self.kind)

        self.about_student = QRadioButton("A student")
        self.about_batch = QRadioButton("A batch")
        self.about_student.setChecked(True)
        self.about_student.toggled.connect(self._on_kind)
        about = QHBoxLayout()
        about.addWidget(self.about_student)
        about.addWidget(self.about_batch)
        about.addStretch(1)
        self.about_row = QWidget()
        self.about_row.setLayout(about)
        form.addRow("About", self.about_row)

        self.who = QComboBox()
        self.who.setEditable(True)
        self.who.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.who.setAccessibleName("Whom the report is about")
        who_edit = self.who.lineEdit()
        assert who_edit is not None  # an editable combo box always has one
        self.who_edit = who_edit
        self.who_edit.setPlaceholderText("Loading…")
        self.who.currentIndexChanged.connect(self._on_who)
        form.addRow("Who", self.who)
        # Reports over several people cover the branch pick (the window's one choice).
        self.branch = BranchPicker(self._ctx)
        self.branch_row = QWidget()
        branch_layout = QHBoxLayout(self.branch_row)
        branch_layout.setContentsMargins(0, 0, 0, 0)
        branch_layout.addWidget(self.branch)
        branch_layout.addStretch(1)
        self.branch_row.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        form.addRow("Branch", self.branch_row)
        self.branch.selection_changed.connect(lambda _s: self._show_branch_row())

        period = QHBoxLayout()
        self.date_from = date_field(_qdate(date.today() - timedelta(days=DEFAULT_DAYS - 1)))
        self.date_to = date_field(_qdate(date.today()))
        for edit, name in ((self.date_from, "From"), (self.date_to, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setAccessibleName(f"{name} date")
        period.addWidget(self.date_from)
        period.addWidget(QLabel("to"))
        period.addWidget(self.date_to)
        period.addStretch(1)
        form.addRow("Period", period)

        self.sections = QListWidget()
        self.sections.setAccessibleName("Sections to print")
        self.sections.setMaximumHeight(self.sections.fontMetrics().height() * 9)
        form.addRow("Sections", self.sections)

        self.remarks = QTableWidget(0, 2)
        self.remarks.setHorizontalHeaderLabels(["Student", "Remarks"])
        self.remarks.verticalHeader().setVisible(False)
        self.remarks.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents)
        self.remarks.horizontalHeader().setStretchLastSection(True)
        self.remarks.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.remarks.setAccessibleName("Remarks per student")
        form.addRow("Remarks", self.remarks)

        folder = QHBoxLayout()
        self.folder_label = styled_label(str(self._output_dir), "hint")
        change = QPushButton("Change…")
        change.clicked.connect(self._choose_folder)
        folder.addWidget(self.folder_label, 1)
        folder.addWidget(change)
        form.addRow("Save in", folder)

        self.generate_button = QPushButton("Generate PDF")
        self.generate_button.setObjectName("primary")
        self.generate_button.clicked.connect(self.generate)
        form.addRow("", self.generate_button)
        body.addWidget(form_box, 3)

        result_box = QFrame()
        result_box.setObjectName("card")
        result = QVBoxLayout(result_box)
        last = QLabel("Last report")
        last.setObjectName("counts")
        result.addWidget(last)
        self.message = styled_label("Nothing generated yet.", "hint")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result.addWidget(self.message)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the PDF in the system's PDF viewer")
        self.open_button.clicked.connect(self.open_last)
        self.print_button = QPushButton("Print")
        self.print_button.setToolTip("Send the PDF to the default printer")
        self.print_button.clicked.connect(self.print_last)
        for button in (self.open_button, self.print_button):
            button.setEnabled(False)
            result.addWidget(button)
        kept = QLabel("Kept reports")
        kept.setObjectName("counts")
        result.addWidget(kept)
        result.addWidget(styled_label("Printing one again uses the figures it showed then, "
                                      "not today's data.", "hint"))
        self.kept_model: RowsModel[KeptReport] = RowsModel(KEPT_COLUMNS, self)
        self.kept_table = table_view()
        self.kept_table.setModel(self.kept_model)
        self.kept_table.setAccessibleName("Kept reports")
        result.addWidget(self.kept_table, 1)
        self.reprint_button = QPushButton("Make the PDF again as it was")
        self.reprint_button.clicked.connect(self.reprint_selected)
        result.addWidget(self.reprint_button)
        body.addWidget(result_box, 2)

    # --- choices ----------------------------------------------------------------------------

    def _load_choices(self) -> ReportChoices:
        with self._ctx.replica.read() as db:
            return report_choices(db)

    def _on_choices(self, choices: ReportChoices) -> None:
        self.choices = choices
        self._fill_who()
        self.sig_choices_loaded.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._busy = False
        self.generate_button.setEnabled(True)
        self.message.setObjectName("message")
        self.message.setText(str(exc))
        self.message.style().polish(self.message)

    def kind_id(self) -> str:
        return str(self.kind.currentData())

    def about(self) -> str | None:
        """"student", "batch", "faculty" or None (a CRM report is about no one)."""
        kind = self.kind_id()
        if kind == "attendance":
            return "student" if self.about_student.isChecked() else "batch"
        return SUBJECT_OF[kind]

    def _on_kind(self, *_args: object) -> None:
        kind = self.kind_id()
        self.form.setRowVisible(self.about_row, kind == "attendance")
        self.sections.clear()
        for name in service.SECTIONS[kind]:
            item = QListWidgetItem(name.replace("_", " ").capitalize())
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.sections.addItem(item)
        self.form.setRowVisible(self.remarks, kind in REMARKS_FOR)
        self._show_branch_row()
        self._fill_who()

    def _show_branch_row(self) -> None:
        several = self.branch.choice.several
        self.form.setRowVisible(self.branch_row, self.kind_id() in service.BRANCH_SELECTED
                                and several)
        if self.about() is None:
            self.who_edit.setPlaceholderText("Everyone in the branch chosen below" if several
                                             else "The whole institute")

    def _fill_who(self) -> None:
        about = self.about()
        self.who.blockSignals(True)
        self.who.clear()
        self.who.setEnabled(about is not None)
        if about is None:
            self._show_branch_row()
        elif self.choices is not None:
            options: tuple[Choice, ...] = {"student": self.choices.students,
                                           "batch": self.choices.batches,
                                           "faculty": self.choices.faculty}[about]
            for choice in options:
                self.who.addItem(choice.label, choice.id)
            self.who_edit.setPlaceholderText(f"Type to find a {about}")
            completer = QCompleter([c.label for c in options], self.who)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.who.setCompleter(completer)
            self.who.setCurrentIndex(-1)
        self.who.blockSignals(False)
        self._on_who()

    def select(self, target_id: uuid.UUID) -> None:
        """Pick whom the report is about by id."""
        # findData cannot compare Python objects held in a QVariant: search by hand.
        for index in range(self.who.count()):
            if self.who.itemData(index) == target_id:
                self.who.setCurrentIndex(index)
                return
        raise KeyError(f"{target_id} is not in the list")

    def _on_who(self, *_args: object) -> None:
        """Refill the remarks table: one row per student the report prints."""
        kind, target = self.kind_id(), self._target()
        self.remarks.setRowCount(0)
        if kind == "progress" and target is not None:
            self._fill_remarks((Choice(target, self.who.currentText()),))
        elif kind == "batch" and target is not None:
            replica = self._ctx.replica

            def members() -> tuple[Choice, ...]:
                with replica.read() as db:
                    return batch_students(db, target)

            self._ctx.tasks.run_db(members, lambda rows: self._fill_remarks(rows, target),
                                   self._on_failed)

    def _fill_remarks(self, students: tuple[Choice, ...],
                      batch: uuid.UUID | None = None) -> None:
        if batch is not None and batch != self._target():
            return  # the user picked another batch meanwhile
        self.remarks.setRowCount(len(students))
        for row, student in enumerate(students):
            name = QTableWidgetItem(student.label)
            name.setData(Qt.ItemDataRole.UserRole, student.id)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.remarks.setItem(row, 0, name)
            self.remarks.setItem(row, 1, QTableWidgetItem(""))

    def set_remarks(self, student_id: uuid.UUID, text: str) -> None:
        for row in range(self.remarks.rowCount()):
            if self._cell(row, 0).data(Qt.ItemDataRole.UserRole) == student_id:
                self._cell(row, 1).setText(text)
                return
        raise KeyError(f"{student_id} has no remarks row")

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.remarks.item(row, column)
        assert item is not None  # _fill_remarks sets every cell
        return item

    def _target(self) -> uuid.UUID | None:
        data = self.who.currentData()
        return data if isinstance(data, uuid.UUID) else None

    # --- generating -------------------------------------------------------------------------

    def request(self) -> service.ReportRequest:
        """The request the form describes; ReportError names what is missing or wrong."""
        kind, about, target = self.kind_id(), self.about(), self._target()
        if about is not None and target is None:
            raise service.ReportError(f"Choose the {about} this report is about.")
        start, end = _pydate(self.date_from.date()), _pydate(self.date_to.date())
        if start > end:
            raise service.ReportError(f"The period starts {date_text(start)}, after it ends "
                                      f"{date_text(end)}.")
        items = [self.sections.item(i) for i in range(self.sections.count())]
        chosen = tuple(str(i.data(Qt.ItemDataRole.UserRole)) for i in items
                       if i.checkState() == Qt.CheckState.Checked)
        if not chosen:
            raise service.ReportError("Choose at least one section to print.")
        remarks = {}
        for row in range(self.remarks.rowCount()):
            text = self._cell(row, 1).text().strip()
            if text:
                remarks[self._cell(row, 0).data(Qt.ItemDataRole.UserRole)] = text
        request = service.ReportRequest(
            kind=kind, period=Period(start, end),
            student_id=target if about == "student" else None,
            batch_id=target if about == "batch" else None,
            faculty_id=target if about == "faculty" else None,
            sections=None if len(chosen) == len(items) else chosen, remarks=remarks,
            branch_ids=self.branch.selection if kind in service.BRANCH_SELECTED else None,
            with_money=kind == "branches" and self._ctx.user.may("reports.financial"))
        request.validate()
        return request

    def output_path(self, request: service.ReportRequest) -> Path:
        who = (re.split(r" \(| · ", self.who.currentText())[0] if self.about()
               else "institute")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return self.output_dir / (f"{request.kind}-{_slug(who)}-{request.period.start}-to-"
                                  f"{request.period.end}-{stamp}.pdf")

    def generate(self) -> None:
        """Collect, render and record the report on the database thread."""
        if self._busy:
            return
        try:
            request = self.request()
        except service.ReportError as exc:
            self._on_failed(exc)
            return
        out = self.output_path(request)
        replica, author = self._ctx.replica, self._ctx.user.user_id
        self._busy = True
        self.generate_button.setEnabled(False)
        self.message.setObjectName("hint")
        self.message.setText("Generating…")
        self._ctx.tasks.run_db(
            lambda: service.generate(replica, request, out, generated_by=author),
            self._on_generated, self._on_failed)

    def refresh_kept(self) -> None:
        replica = self._ctx.replica

        def load() -> tuple[KeptReport, ...]:
            with replica.read() as db:
                return kept_reports(db)

        self._ctx.tasks.run_db(load, self._on_kept, self._on_failed)

    def _on_kept(self, rows: tuple[KeptReport, ...]) -> None:
        self.kept_model.set_rows(rows)
        self.sig_kept_loaded.emit()

    def reprint_selected(self) -> None:
        """Render the selected kept report again from the data it stored."""
        row = self.kept_table.currentIndex().row()
        if row < 0 or self._busy:
            if row < 0:
                self._on_failed(service.ReportError("Choose a kept report to print again."))
            return
        kept = self.kept_model.row_at(row)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = self.output_dir / (f"again-{kept.report_type}-{_slug(kept.about.split(' (')[0])}-"
                                 f"{kept.start}-to-{kept.end}-{stamp}.pdf")
        replica = self._ctx.replica
        self._busy = True
        self.generate_button.setEnabled(False)
        self.message.setText("Generating…")
        self._ctx.tasks.run_db(lambda: service.reprint(replica, kept.id, out),
                               lambda result: self._on_generated(result, again=True),
                               self._on_failed)

    def _on_generated(self, result: service.GeneratedReport, *, again: bool = False) -> None:
        self._busy = False
        self.last = result
        self.generate_button.setEnabled(True)
        self.open_button.setEnabled(True)
        self.print_button.setEnabled(True)
        self.message.setObjectName("hint")
        self.message.style().polish(self.message)
        kept = ("; printed again from the kept figures" if again else
                f"; kept as {len(result.recorded)} report record(s)" if result.recorded else "")
        self.message.setText(f"{result.path.name}\n{result.pages} page(s) in "
                             f"{result.seconds:.2f} s{kept}.\nSaved in {result.path.parent}")
        if result.recorded and not again:
            self.sig_saved.emit()
            self.refresh_kept()
        self.sig_generated.emit(result)

    # --- after ------------------------------------------------------------------------------

    def open_last(self) -> bool:
        """Open the last PDF in the system's viewer."""
        if self.last is None:
            return False
        opened = open_pdf(self.last.path)
        if not opened:
            self.message.setText(f"No PDF viewer opened {self.last.path}; open it from its "
                                 "folder.")
        return bool(opened)

    def print_last(self) -> bool:
        """Send the last PDF to the default printer (lp on Linux and macOS)."""
        if self.last is None:
            return False
        program, arguments = print_command(self.last.path)
        started = QProcess.startDetached(program, arguments)
        ok = bool(started[0] if isinstance(started, tuple) else started)
        self.message.setText(f"Sent {self.last.path.name} to the printer." if ok else
                             f"Could not start `{program}` to print; open the PDF and print "
                             "it from the viewer.")
        return ok

    @property
    def output_dir(self) -> Path:
        """Where generated PDFs are saved (created when the first one is)."""
        return self._output_dir

    @output_dir.setter
    def output_dir(self, folder: Path) -> None:
        self._output_dir = Path(folder)
        self.folder_label.setText(str(folder))

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Save reports in", str(self.output_dir))
        if chosen:
            self.output_dir = Path(chosen)
