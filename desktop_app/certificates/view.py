"""The Certificates section (administrators): edit templates, issue what the rules call for,
revoke with a reason, save a certificate's PDF (with its verification QR code).

Lists are model/view fed plain rows from the database worker (institute_core.certificates
.service); every write goes through the services on that worker too.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.certificates.issue import IssueDialog
from desktop_app.context import AppContext
from desktop_app.documents import documents_folder, open_pdf
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view, title_label
from institute_core.certificates import service
from institute_core.certificates.pdf import print_certificate
from institute_core.certificates.service import CertificateRow, TemplateDraft, TemplateRow
from institute_core.display import date_text
from institute_core.enums import CertificateLayout
from institute_core.setup.batches import student_choices
from institute_core.validation import person_message

TEMPLATE_COLUMNS: list[Column[TemplateRow]] = [
    Column("Template", lambda r: r.draft.name),
    Column("Title", lambda r: r.draft.title),
    Column("Course", lambda r: r.course),
    Column("Issued", lambda r: "by rule" if r.draft.auto_issue else "by hand"),
    Column("Min. attendance", lambda r: "" if r.draft.min_attendance_pct is None
           else f"{r.draft.min_attendance_pct} %", align_right=True),
    Column("Min. grade", lambda r: "" if r.draft.min_grade_pct is None
           else f"{r.draft.min_grade_pct} %", align_right=True),
    Column("Active", lambda r: "yes" if r.draft.is_active else "no"),
]
CERTIFICATE_COLUMNS: list[Column[CertificateRow]] = [
    Column("Number", lambda c: c.number),
    Column("Student", lambda c: c.student_name),
    Column("Course", lambda c: c.course_name),
    Column("Issued", lambda c: date_text(c.issued_on)),
    Column("Status", lambda c: c.status if c.revoked_reason is None
           else f"revoked: {c.revoked_reason}",
           lambda c: "#f9dcdc" if c.revoked_reason is not None else "#dff3e4"),
]
DEFAULT_BODY = ("This certifies that {student_name} ({enrollment_no}) has completed the course "
                "{course} at {institute} on {date}.")


def _percent(value: float) -> Decimal | None:
    """A spin box at 0 means "no minimum"."""
    return None if value <= 0 else Decimal(str(round(value, 2)))


class TemplateForm(QWidget):
    """The fields of one template."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.title = QLineEdit()
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText(DEFAULT_BODY)
        self.body.setToolTip("Placeholders: " + ", ".join(
            "{" + p + "}" for p in service.PLACEHOLDERS))
        self.signatures = QPlainTextEdit()
        self.signatures.setPlaceholderText("One signatory a line: Name, Title")
        self.logo = QLineEdit()
        self.logo.setPlaceholderText("A PNG or JPEG file (optional)")
        self.logo_button = QPushButton("Choose…")
        self.logo_button.setAccessibleName("Choose a logo file")
        self.logo_button.clicked.connect(self._on_choose_logo)
        logo_row = QWidget()
        logo_layout = QHBoxLayout(logo_row)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        logo_layout.addWidget(self.logo, 1)
        logo_layout.addWidget(self.logo_button)
        self.layout_choice = QComboBox()
        for value in CertificateLayout:
            self.layout_choice.addItem(value.value.capitalize(), value.value)
        self.subject = QComboBox()
        self.auto_issue = QCheckBox("Issue by itself when every topic is completed")
        self.min_attendance = QDoubleSpinBox()
        self.min_grade = QDoubleSpinBox()
        for box in (self.min_attendance, self.min_grade):
            box.setRange(0, 100)
            box.setSuffix(" %")
            box.setSpecialValueText("no minimum")
        self.active = QCheckBox("Active")
        self.active.setChecked(True)
        self.placeholders = styled_label("Placeholders: " + ", ".join(
            "{" + p + "}" for p in service.PLACEHOLDERS), "hint")
        self.placeholders.setWordWrap(True)
        for label, widget in (("Name", self.name), ("Title", self.title), ("Body", self.body),
                              ("", self.placeholders), ("Signatures", self.signatures),
                              ("Logo file", logo_row),
                              ("Layout", self.layout_choice), ("Course", self.subject),
                              ("", self.auto_issue), ("Minimum attendance", self.min_attendance),
                              ("Minimum grade", self.min_grade), ("", self.active)):
            form.addRow(label, widget)
        self.body.setMaximumHeight(90)
        self.signatures.setMaximumHeight(60)

    def _on_choose_logo(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose the certificate's logo", self.logo.text(),
            "Images (*.png *.jpg *.jpeg)")
        if chosen:
            self.logo.setText(chosen)

    def set_subjects(self, subjects: tuple[tuple[uuid.UUID, str], ...]) -> None:
        self.subject.clear()
        self.subject.addItem("Any subject", None)
        for subject_id, name in subjects:
            self.subject.addItem(name, subject_id)

    def show_draft(self, draft: TemplateDraft | None) -> None:
        draft = draft or TemplateDraft(name="", title="Certificate of Completion",
                                       body=DEFAULT_BODY)
        self.name.setText(draft.name)
        self.title.setText(draft.title)
        self.body.setPlainText(draft.body)
        self.signatures.setPlainText(draft.signatures or "")
        self.logo.setText(draft.logo_path or "")
        self.layout_choice.setCurrentIndex(max(0, self.layout_choice.findData(draft.layout)))
        self.subject.setCurrentIndex(max(0, self.subject.findData(draft.subject_id)))
        self.auto_issue.setChecked(draft.auto_issue)
        self.min_attendance.setValue(float(draft.min_attendance_pct or 0))
        self.min_grade.setValue(float(draft.min_grade_pct or 0))
        self.active.setChecked(draft.is_active)

    def draft(self) -> TemplateDraft:
        return TemplateDraft(
            name=self.name.text().strip(), title=self.title.text().strip(),
            body=self.body.toPlainText().strip(),
            signatures=self.signatures.toPlainText().strip() or None,
            logo_path=self.logo.text().strip() or None,
            layout=str(self.layout_choice.currentData()), subject_id=self.subject.currentData(),
            auto_issue=self.auto_issue.isChecked(),
            min_attendance_pct=_percent(self.min_attendance.value()),
            min_grade_pct=_percent(self.min_grade.value()), is_active=self.active.isChecked())


class CertificatesView(QWidget):
    """Templates on the left with their form, issued certificates on the right."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._editing: uuid.UUID | None = None
        layout = QVBoxLayout(self)
        heading = QHBoxLayout()
        heading.addWidget(title_label("Certificates"), 1)
        self.branch = BranchPicker(ctx)
        heading.addWidget(self.branch)
        layout.addLayout(heading)
        layout.addWidget(styled_label(
            "Templates say how a certificate reads and when it is issued by itself. Each "
            "certificate gets a number (the student's branch code and this desk's series) and a "
            "QR code anyone can check on the server; afterwards it can only be revoked.",
            "subtitle"))
        split = QSplitter()
        layout.addWidget(split, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        self.templates: RowsModel[TemplateRow] = RowsModel(TEMPLATE_COLUMNS, self)
        self.template_table = table_view()
        self.template_table.setModel(self.templates)
        self.template_table.setAccessibleName("Certificate templates")
        left_layout.addWidget(self.template_table, 1)
        self.form = TemplateForm()
        left_layout.addWidget(self.form)
        template_buttons = QHBoxLayout()
        self.new_button = QPushButton("New template")
        self.save_button = QPushButton("Save template")
        self.save_button.setObjectName("primary")
        template_buttons.addWidget(self.new_button)
        template_buttons.addStretch(1)
        template_buttons.addWidget(self.save_button)
        left_layout.addLayout(template_buttons)
        split.addWidget(left)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        self.certificates: RowsModel[CertificateRow] = RowsModel(CERTIFICATE_COLUMNS, self)
        self.certificate_table = table_view()
        self.certificate_table.setModel(self.certificates)
        self.certificate_table.setAccessibleName("Issued certificates")
        # Templates are the institute's; the certificates are their students' branches'.
        self.branch.filter_rows(self.certificates, attrgetter("branch_id"))
        right_layout.addWidget(self.certificate_table, 1)
        buttons = QHBoxLayout()
        self.issue_button = QPushButton("Issue certificates due")
        self.issue_button.setObjectName("primary")
        self.hand_button = QPushButton("Issue to a student…")
        self.revoke_button = QPushButton("Revoke…")
        self.pdf_button = QPushButton("Save PDF")
        for button in (self.issue_button, self.hand_button, self.revoke_button,
                       self.pdf_button):
            buttons.addWidget(button)
        right_layout.addLayout(buttons)
        split.addWidget(right)
        split.setSizes([520, 640])
        self.message = styled_label("", "hint")
        layout.addWidget(self.message)
        self.new_button.clicked.connect(self._on_new)
        self.save_button.clicked.connect(self._on_save)
        self.issue_button.clicked.connect(self._on_issue_due)
        self.hand_button.clicked.connect(self._on_issue_by_hand)
        self.revoke_button.clicked.connect(self._on_revoke)
        self.pdf_button.clicked.connect(self._on_pdf)
        self.template_table.selectionModel().selectionChanged.connect(self._on_template_picked)
        self.refresh()

    # --- loading ---------------------------------------------------------------------------

    def refresh(self, said: str = "") -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(
            lambda: (service.subjects(replica), service.list_templates(replica),
                     service.list_certificates(replica)),
            lambda loaded: self._on_loaded(loaded, said))

    def _on_loaded(self, loaded: tuple[Any, ...], said: str) -> None:
        subjects, templates, certificates = loaded
        if self.form.subject.count() == 0:
            self.form.set_subjects(subjects)
            self.form.show_draft(None)
        self.templates.set_rows(templates)
        self.certificates.set_rows(certificates)
        self.message.setText(said)

    def _selected(self, table: Any, model: RowsModel[Any]) -> Any:
        rows = table.selectionModel().selectedRows()
        return model.row_at(rows[0].row()) if rows else None

    def _on_template_picked(self, *_args: object) -> None:
        row = self._selected(self.template_table, self.templates)
        if row is not None:
            self._editing = row.id
            self.form.show_draft(row.draft)

    def _on_new(self) -> None:
        self._editing = None
        self.template_table.clearSelection()
        self.form.show_draft(None)

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(person_message(exc) if isinstance(exc, ValueError) else str(exc))

    # --- writing ---------------------------------------------------------------------------

    def _on_save(self) -> None:
        replica, actor, draft, editing = (self._ctx.replica, self._ctx.actor, self.form.draft(),
                                          self._editing)

        def saved(template_id: uuid.UUID) -> None:
            self._editing = template_id
            self.sig_saved.emit()
            self.refresh(f"Template “{draft.name}” saved.")

        self._ctx.tasks.run_db(lambda: service.save_template(replica, actor, draft, editing),
                               saved, self._failed)

    def _on_issue_due(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor

        def issued(made: list[service.IssuedCertificate]) -> None:
            self.sig_saved.emit()
            self.refresh(f"{len(made)} certificate(s) issued." if made
                         else "No enrollment meets a template's rules right now.")

        self._ctx.tasks.run_db(lambda: service.issue_due(replica, actor), issued, self._failed)

    def _on_issue_by_hand(self) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: student_choices(replica), self._ask_whom, self._failed)

    def issue_dialog(self, students: list[tuple[uuid.UUID, str]]) -> IssueDialog:
        """The dialog, for the selected template (tests drive it through `exec_dialog`)."""
        return IssueDialog(self.templates.rows, students, self._editing, self)

    def exec_dialog(self, dialog: IssueDialog) -> bool:
        return dialog.exec() == IssueDialog.DialogCode.Accepted

    def _ask_whom(self, students: list[tuple[uuid.UUID, str]]) -> None:
        dialog = self.issue_dialog(students)
        if not self.exec_dialog(dialog):
            return
        picked = dialog.choice()
        if picked is None:
            return
        replica, actor = self._ctx.replica, self._ctx.actor

        def issued(made: service.IssuedCertificate) -> None:
            self.sig_saved.emit()
            self.refresh(f"Certificate {made.number} issued to {made.student_name}.")

        self._ctx.tasks.run_db(
            lambda: service.issue(replica, actor, picked.template_id, picked.student_id,
                                  today=picked.issued_on), issued, self._failed)

    def _on_revoke(self) -> None:
        row = self._selected(self.certificate_table, self.certificates)
        if row is None:
            self.message.setText("Select a certificate to revoke.")
            return
        reason, ok = QInputDialog.getText(self, "Revoke certificate",
                                          f"Why is {row.number} revoked? The verification "
                                          "page will say so.")
        if not ok or not reason.strip():
            return
        replica, actor = self._ctx.replica, self._ctx.actor

        def revoked(_none: object) -> None:
            self.sig_saved.emit()
            self.refresh(f"{row.number} revoked.")

        self._ctx.tasks.run_db(lambda: service.revoke(replica, actor, row.id, reason),
                               revoked, self._failed)

    def _on_pdf(self) -> None:
        row = self._selected(self.certificate_table, self.certificates)
        if row is None:
            self.message.setText("Select a certificate to save as PDF.")
            return
        out = self.pdf_folder() / f"certificate-{row.number.replace('/', '-')}.pdf"
        replica = self._ctx.replica

        def saved(path: Path) -> None:
            self.message.setText(f"Saved {path}")
            open_pdf(path)

        self._ctx.tasks.run_db(lambda: print_certificate(replica, row.id, out), saved,
                               self._failed)

    def pdf_folder(self) -> Path:
        """Where certificates are saved (the user's documents folder)."""
        return documents_folder("Institute Desk certificates")
