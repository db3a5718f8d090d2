"""A form dialog's "what was wrong" message goes as soon as the person edits the form, whatever
kind of input they touch, and stays while nothing is edited (issue: "Title: is empty" shown
under a title just typed). Filled in by code before it is shown, a form keeps its message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
)

from desktop_app.widgets import save_or_cancel, styled_label


class _Form(QDialog):
    """Every kind of input a form of the app uses, added after the buttons, as FormDialog's
    subclasses do."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.message = styled_label("", "error")
        layout.addWidget(self.message)
        self.saves = 0
        save_or_cancel(self, layout, self._save, self.message)
        self.line, self.text = QLineEdit(), QPlainTextEdit()
        self.combo = QComboBox()
        self.combo.addItems(["one", "two"])
        self.whole, self.decimal, self.day = QSpinBox(), QDoubleSpinBox(), QDateEdit()
        self.day.setDate(QDate(2026, 12, 6))
        self.check = QCheckBox("Pinned")
        for label, widget in (("Line", self.line), ("Text", self.text), ("Combo", self.combo),
                              ("Whole", self.whole), ("Decimal", self.decimal),
                              ("Day", self.day), ("", self.check)):
            self.form.addRow(label, widget)

    def _save(self) -> None:
        self.saves += 1
        self.message.setText("Line: is empty")


def _shown(qtbot) -> _Form:  # type: ignore[no-untyped-def]
    form = _Form()
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return form


EDITS: dict[str, Callable[..., None]] = {
    "typing in a line": lambda qtbot, f: qtbot.keyClicks(f.line, "x"),
    "typing in a text": lambda qtbot, f: qtbot.keyClicks(f.text, "x"),
    "picking in a combo": lambda qtbot, f: f.combo.activated.emit(1),
    "stepping a whole number": lambda qtbot, f: qtbot.keyClick(f.whole, Qt.Key.Key_Up),
    "stepping a decimal": lambda qtbot, f: qtbot.keyClick(f.decimal, Qt.Key.Key_Up),
    "changing a date": lambda qtbot, f: qtbot.keyClick(f.day, Qt.Key.Key_Up),
    "ticking a box": lambda qtbot, f: qtbot.keyClick(f.check, Qt.Key.Key_Space),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_clears_the_message_of_the_last_save(qtbot, edit: str) -> None:  # type: ignore[no-untyped-def]
    form = _shown(qtbot)
    form._save()
    assert form.message.text() == "Line: is empty"
    EDITS[edit](qtbot, form)
    assert form.message.text() == "", edit


def test_save_itself_keeps_the_message_it_gives(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = _shown(qtbot)
    buttons = form.findChild(QDialogButtonBox)
    assert buttons is not None
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert form.saves == 1
    assert form.message.text() == "Line: is empty"


def test_a_form_filled_in_by_code_before_it_is_shown_keeps_its_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = _Form()
    qtbot.addWidget(form)
    form._save()
    form.line.setText("filled in")
    form.combo.setCurrentIndex(1)
    form.show()
    qtbot.waitExposed(form)
    assert form.message.text() == "Line: is empty"
