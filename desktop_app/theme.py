"""The look of the app: the light QSS theme and the project's SVG icons."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
# The red of what needs someone: conflicts to review, a sync the server keeps failing.
ALARM_COLOR = "#a4282b"
ALARM_STYLE = f"color: {ALARM_COLOR}; font-weight: 600;"


def apply_theme(app: QApplication) -> None:
    """Apply resources/theme.qss (silently keeps Qt's default look if it is missing)."""
    # The report fonts (Noto Sans Devanagari, DejaVu) also let the screens show Hindi names.
    for font in sorted((RESOURCES / "fonts").glob("*.ttf")):
        QFontDatabase.addApplicationFont(str(font))
    qss = RESOURCES / "theme.qss"
    if qss.exists():
        # Style sheets resolve url() against the working directory: give the icons' full path.
        icons = (RESOURCES / "icons").resolve().as_posix()
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("@ICONS@", icons))
    app.setWindowIcon(icon("app"))


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons/<name>.svg (an empty icon if there is none)."""
    path = RESOURCES / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
