"""Rotating log files in the user's log folder, and a dialog for errors nobody expected.

An unexpected exception is logged with its traceback, then shown as a short message naming
what happened and where the log is; the app carries on. Data stays intact because every
write is one transaction (the unit of work rolls back when an exception passes through it).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from institute_core.paths import default_log_dir
from institute_core.replica.private import private_folder

LOG_FILENAME = "institute-desk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

log = logging.getLogger("desktop_app")


def setup_logging(log_dir: Path | None = None, *, level: int = logging.INFO,
                  max_bytes: int = MAX_BYTES) -> Path:
    """Send the app's log to a rotating file (5 x 2 MB kept) and stderr; returns the file."""
    # Log lines name people (sign-ins, imports): the folder is the user's alone.
    folder = private_folder(log_dir or default_log_dir())
    path = folder / LOG_FILENAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RotatingFileHandler):
            root.removeHandler(handler)
            handler.close()
    file_handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=BACKUP_COUNT,
                                       encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
    if not any(type(h) is logging.StreamHandler for h in root.handlers):
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    root.setLevel(level)
    return path


def describe(error: BaseException) -> str:
    """One line a person can read and repeat to support: the kind of error and its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    kind = type(error).__name__
    return f"{kind}: {text}" if text else kind


def error_message(error: BaseException, log_path: Path) -> str:
    return (f"Something unexpected went wrong:\n\n{describe(error)}\n\n"
            f"What you saved before is safe: an action that fails saves nothing half-done. "
            f"You can carry on working; if it happens again, send the log file to your "
            f"administrator:\n{log_path}")


class ErrorReporter(QObject):
    """Logs unexpected exceptions from any thread and shows one dialog at a time for them."""

    sig_error = Signal(str)

    def __init__(self, log_path: Path, parent: QObject | None = None,
                 show: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self._showing = False
        self._show = show or self._show_dialog
        # Queued: an error on a worker thread shows its dialog on the GUI thread.
        self.sig_error.connect(self._on_error, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_hook

    def excepthook(self, kind: type[BaseException], error: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        log.critical("unexpected error", exc_info=(kind, error, tb))
        self.sig_error.emit(error_message(error, self.log_path))

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        if self._showing:  # a cascade of errors: one dialog, the rest are in the log
            return
        self._showing = True
        try:
            self._show(message)
        finally:
            self._showing = False

    def _show_dialog(self, message: str) -> None:
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, "Institute Desk – unexpected error",
                          message, QMessageBox.StandardButton.Ok,
                          parent if isinstance(parent, QWidget) else None)
        open_folder = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
        box.exec()
        if box.clickedButton() is open_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path.parent)))
