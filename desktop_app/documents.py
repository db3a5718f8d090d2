"""Where the desk saves the PDFs it prints, and opening one in the system's viewer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices


def documents_folder(name: str) -> Path:
    """`name` inside the user's documents folder (the home folder where a system has none)."""
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / name


def open_pdf(path: Path) -> bool:
    """Open `path` in the default viewer; False when the system has none."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
