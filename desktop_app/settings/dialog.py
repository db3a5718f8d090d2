"""The settings dialog: sync, what reports print about the institute, this computer, backups.

Everything typed stays in the dialog until it is saved: a wrong value is named in red under
the form and nothing is stored until all of it is right. Database work runs on the DB worker.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.settings import pending
from desktop_app.settings.institute import (
    InstituteSettings,
    read_institute_settings,
    save_institute_settings,
)
from desktop_app.settings.risk_dialog import RiskThresholdsDialog
from desktop_app.settings.store import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    SCALES,
    DeskSettings,
    SettingsError,
    load_settings,
    save_settings,
)
from desktop_app.widgets import ask, index_of, save_or_cancel, styled_label
from institute_core.display import DATE_STYLES, DisplayStyle
from institute_core.replica.backup import (
    BACKUP_SUFFIX,
    BackupInfo,
    backup_replica,
    describe_backup,
    export_pending,
)
from institute_core.reports.branding import ReportBranding


def _browse_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


class SettingsDialog(QDialog):
    """Opened from the main window's Settings action (Ctrl+,)."""

    sig_saved = Signal(object)  # DeskSettings
    sig_message = Signal(str)  # what the last backup/restore step did (for tests and status)

    def __init__(self, ctx: AppContext, *, settings_file: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings_file = settings_file
        self.restart_after_schedule = True
        self.setWindowTitle("Settings")
        self._desk = load_settings(settings_file)
        self._institute: InstituteSettings | None = None
        self._build()
        self._show_desk(self._desk)
        self.save_button.setEnabled(False)
        ctx.tasks.run_db(lambda: read_institute_settings(ctx.replica), self._show_institute,
                         lambda e: self._fail(f"Could not read the settings: {e}"))

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        sync = QGroupBox("Sync")
        form = QFormLayout(sync)
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("not connected – connect from the sign-in window")
        form.addRow("Server address", self.server_url)
        self.interval = QSpinBox()
        self.interval.setRange(MIN_INTERVAL, MAX_INTERVAL)
        self.interval.setSuffix(" min")
        form.addRow("Sync every", self.interval)
        layout.addWidget(sync)

        reports = QGroupBox("Institute on screens and reports")
        form = QFormLayout(reports)
        self.name = QLineEdit()
        form.addRow("Name", self.name)
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().height() * 3 + 12)
        form.addRow("Address", self.address)
        self.logo = QLineEdit()
        self.logo.setPlaceholderText("PNG or JPEG, printed at the top left")
        browse_logo = QPushButton("Choose…")
        browse_logo.clicked.connect(self._choose_logo)
        form.addRow("Logo", _browse_row(self.logo, browse_logo))
        self.signature = QLineEdit()
        form.addRow("Signature line", self.signature)
        self.date_style = QComboBox()
        for pattern, example in DATE_STYLES.items():
            self.date_style.addItem(example, pattern)
        form.addRow("Dates", self.date_style)
        self.time_zone = QLineEdit()
        self.time_zone.setPlaceholderText("e.g. Asia/Kolkata")
        form.addRow("Time zone", self.time_zone)
        if self.ctx.user.may("reports.view"):
            thresholds = QPushButton("At-risk thresholds…")
            thresholds.setToolTip("When the dashboard flags a student, and when it is urgent")
            thresholds.clicked.connect(lambda: RiskThresholdsDialog(self.ctx, self).open())
            form.addRow("At-risk list", thresholds)
        layout.addWidget(reports)

        computer = QGroupBox("This computer")
        form = QFormLayout(computer)
        self.data_dir = QLineEdit()
        browse_data = QPushButton("Choose…")
        browse_data.clicked.connect(self._choose_data_dir)
        form.addRow("Data folder", _browse_row(self.data_dir, browse_data))
        self.scale = QComboBox()
        for scale in SCALES:
            self.scale.addItem(f"{scale:.0%}", scale)
        form.addRow("Display scale", self.scale)
        form.addRow("", styled_label("The sync interval applies at the next sign-in; the data "
                                     "folder and display scale at the next start.", "hint"))
        layout.addWidget(computer)

        data = QGroupBox("Backups")
        row = QHBoxLayout(data)
        self.backup_button = QPushButton("Back up now…")
        self.backup_button.clicked.connect(self._choose_backup_file)
        self.restore_button = QPushButton("Restore from a backup…")
        self.restore_button.clicked.connect(self._choose_restore_file)
        self.reset_button = QPushButton("Reset this device…")
        self.reset_button.setToolTip("Download everything from the server again")
        self.reset_button.clicked.connect(self._confirm_reset)
        for button in (self.backup_button, self.restore_button, self.reset_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addWidget(data)

        # One label column across the groups, and short fields kept short.
        label_width = self.fontMetrics().horizontalAdvance("Server address") + 12
        for group in (sync, reports, computer):
            group_form = group.layout()
            assert isinstance(group_form, QFormLayout)
            for index in range(group_form.rowCount()):
                item = group_form.itemAt(index, QFormLayout.ItemRole.LabelRole)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.setMinimumWidth(label_width)
        char = self.fontMetrics().horizontalAdvance("0")
        self.interval.setMaximumWidth(char * 12)
        self.scale.setMaximumWidth(char * 12)
        self.name.setFocus()

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = save_or_cancel(self, layout, self.save, self.message)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)

    def _show_desk(self, desk: DeskSettings) -> None:
        self.interval.setValue(desk.sync_interval_minutes)
        self.scale.setCurrentIndex(max(0, index_of(self.scale, desk.theme_scale)))
        self.data_dir.setText(desk.data_dir or str(self.ctx.replica.path.parent))

    def _show_institute(self, institute: InstituteSettings) -> None:
        self._institute = institute
        self.server_url.setText(institute.server_url)
        self.server_url.setEnabled(bool(institute.server_url))
        branding = institute.branding
        self.name.setText(branding.name)
        self.address.setPlainText(branding.address or "")
        self.logo.setText(branding.logo_path or "")
        self.signature.setText(branding.signature_line or "")
        self.date_style.setCurrentIndex(max(0, index_of(self.date_style,
                                                        institute.display.date_style)))
        self.time_zone.setText(institute.display.time_zone)
        self.reset_button.setEnabled(bool(institute.server_url))
        self.save_button.setEnabled(True)

    # --- saving -----------------------------------------------------------------------------

    def wanted(self) -> tuple[DeskSettings, InstituteSettings]:
        """What the form says now (not checked yet)."""
        folder = self.data_dir.text().strip()
        if folder == str(self.ctx.replica.path.parent) and not self._desk.data_dir:
            folder = ""  # unchanged default stays "default", wherever that is on this OS
        desk = replace(self._desk, sync_interval_minutes=self.interval.value(),
                       theme_scale=float(self.scale.currentData()), data_dir=folder)
        branding = ReportBranding(name=self.name.text().strip(),
                                  address=self.address.toPlainText().strip() or None,
                                  logo_path=self.logo.text().strip() or None,
                                  signature_line=self.signature.text().strip() or None)
        style = replace(self._institute.display if self._institute else DisplayStyle(),
                        date_style=str(self.date_style.currentData()),
                        time_zone=self.time_zone.text().strip())
        return desk, InstituteSettings(self.server_url.text().strip(), branding, style)

    def save(self) -> None:
        desk, institute = self.wanted()
        try:
            desk.checked()
        except SettingsError as exc:
            self._fail(str(exc))
            return
        self.save_button.setEnabled(False)
        self.message.clear()

        def _on_saved(_stored: InstituteSettings) -> None:
            try:
                save_settings(desk, self.settings_file)
            except OSError as exc:
                self._fail(f"Could not write the settings file: {exc}")
                return
            self._desk = desk
            self.sig_saved.emit(desk)
            self.accept()

        self.ctx.tasks.run_db(lambda: save_institute_settings(self.ctx.replica, institute),
                              _on_saved, self._fail)

    def _fail(self, error: object) -> None:
        self.message.setText(str(error))
        self.save_button.setEnabled(self._institute is not None)

    # --- files ------------------------------------------------------------------------------

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Institute logo", self.logo.text(),
                                              "Pictures (*.png *.jpg *.jpeg)")
        if path:
            self.logo.setText(path)

    def _choose_data_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data folder", self.data_dir.text())
        if path:
            self.data_dir.setText(path)

    def _choose_backup_file(self) -> None:
        name = f"institute-desk-{datetime.now():%Y-%m-%d-%H%M}{BACKUP_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, "Back up to", str(Path.home() / name),
                                              f"Institute Desk backups (*{BACKUP_SUFFIX})")
        if path:
            self.back_up(Path(path))

    def back_up(self, destination: Path) -> None:
        self.backup_button.setEnabled(False)
        self.message.setText("Backing up…")

        def _done(info: BackupInfo) -> None:
            self.backup_button.setEnabled(True)
            self._say(f"Backed up to {info.path} ({info.size_bytes / 1e6:.1f} MB).")

        def _failed(error: BaseException) -> None:
            self.backup_button.setEnabled(True)
            self._say(f"The backup failed, nothing else changed: {error}")

        self.ctx.tasks.run_db(lambda: backup_replica(self.ctx.replica, destination), _done,
                              _failed)

    def _choose_restore_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Restore from", str(Path.home()),
                                              f"Institute Desk backups (*{BACKUP_SUFFIX})")
        if path:
            self.restore(Path(path))

    def restore(self, source: Path, *, confirm: bool = True) -> None:
        """Check the backup now; the swap itself happens at the restart it asks for."""

        def _checked(info: BackupInfo) -> None:
            text = (f"Replace the data on this computer with the backup {info.path.name}?\n\n"
                    f"The current data is kept beside it, and Institute Desk restarts.")
            if confirm and not ask(self, "Restore from a backup", text, "Restore and restart"):
                return
            self._schedule("restore", source)

        self.ctx.tasks.run_db(lambda: describe_backup(source), _checked,
                              lambda e: self._say(f"Cannot restore: {e}"))

    def _confirm_reset(self) -> None:
        self.reset(confirm=True)

    def reset(self, *, confirm: bool = True, export_to: Path | None = None) -> None:
        """Reset after a restart; unsent changes are exported to a file first (asked for)."""

        def _counted(waiting: int) -> None:
            target = export_to
            if waiting and target is None:
                chosen, _ = QFileDialog.getSaveFileName(
                    self, f"Save the {waiting} unsent change(s) first",
                    str(Path.home() / "institute-desk-unsent.json"), "JSON (*.json)")
                if not chosen:
                    self._say(f"Not reset: {waiting} change(s) have not reached the server. "
                              f"Sync first, or save them to a file.")
                    return
                target = Path(chosen)
            text = ("Empty this computer's copy and download everything from the server "
                    "again? The current data is kept beside it, and Institute Desk restarts.")
            if confirm and not ask(self, "Reset this device", text, "Reset and restart"):
                return
            if waiting and target is not None:
                exported = target
                self.ctx.tasks.run_db(lambda: export_pending(self.ctx.replica, exported),
                                      lambda _n: self._schedule("reset", exported),
                                      lambda e: self._say(f"Not reset, the export failed: {e}"))
            else:
                self._schedule("reset", None)

        self.ctx.tasks.run_db(self.ctx.replica.pending_changes, _counted,
                              lambda e: self._say(f"Cannot reset: {e}"))

    def _schedule(self, kind: str, file: Path | None) -> None:
        pending.schedule(kind, file, data_dir=self.ctx.replica.path.parent,
                         settings_file=self.settings_file)
        self._say(f"The {kind} will be done when Institute Desk starts again.")
        if not self.restart_after_schedule:
            return
        QMessageBox.information(self, "Restarting", f"Institute Desk restarts now to finish "
                                                    f"the {kind}.")
        QProcess.startDetached(sys.executable, sys.argv[1:] if getattr(sys, "frozen", False)
                               else sys.argv)
        QApplication.quit()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.sig_message.emit(text)
