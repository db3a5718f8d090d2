"""The keyboard shortcuts panel (F1)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from desktop_app.help.shortcuts import SHORTCUTS
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import styled_label, table_view, title_label

Shortcut = tuple[str, str, str]


class ShortcutsPanel(QDialog):
    """Lists SHORTCUTS grouped by where they work."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Keyboard shortcuts"))
        layout.addWidget(styled_label("Everything in Institute Desk can be done from the "
                                      "keyboard.", "subtitle"))
        self.model: RowsModel[Shortcut] = RowsModel([
            Column("Where", lambda s: s[0]), Column("Keys", lambda s: s[1]),
            Column("What it does", lambda s: s[2])], self)
        self.model.set_rows(SHORTCUTS)
        view = table_view(self)
        view.setModel(self.model)
        layout.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 520)
