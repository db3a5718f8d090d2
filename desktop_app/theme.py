"""The look of the app: the light QSS theme and the project's SVG icons."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def apply_theme(app: QApplication) -> None:
    """Apply resources/theme.qss (silently keeps Qt's default look if it is missing)."""
    # The report fonts (Noto Sans Devanagari, DejaVu) also let the screens show Hindi names.
    for font in sorted((RESOURCES / "fonts").glob("*.ttf")):
        QFontDatabase.addApplicationFont(str(font))
    qss = RESOURCES / "theme.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    app.setWindowIcon(icon("app"))


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons/<name>.svg (an empty icon if there is none)."""
    path = RESOURCES / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
