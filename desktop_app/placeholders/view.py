"""Pages whose features come with later issues: they hold their place in the navigation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop_app.widgets import styled_label, title_label

COMING: dict[str, tuple[str, str]] = {
}


class PlaceholderView(QWidget):
    """A page that says what will be here and when."""

    def __init__(self, section_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, text = COMING[section_id]
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(title))
        note = styled_label(text, "hint")
        note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(note)
        layout.addStretch(1)
