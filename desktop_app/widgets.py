"""Small widget helpers shared by the feature views."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDate, QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from institute_core.display import current_style


def title_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("pageTitle")
    return label


def styled_label(text: str, name: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def table_view(parent: QWidget | None = None, *, stretch_last: bool = True) -> QTableView:
    """A read-only, row-selecting table with the app's defaults."""
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setWordWrap(False)
    # Tab leaves a table for the next control (Shift+Tab for the previous) instead of walking
    # it cell by cell; the arrow keys move within it.
    view.setTabKeyNavigation(False)
    return view


def date_field(value: QDate | None = None) -> QDateEdit:
    """A date box that shows dates as everything else does (the institute's date style), not
    in the platform's short format ("1 01 2000")."""
    field = QDateEdit(value) if value is not None else QDateEdit()
    field.setDisplayFormat(current_style().date_style)  # CLDR and Qt spell these alike
    return field


def close_and_act(dialog: QDialog, action: str) -> tuple[QHBoxLayout, QPushButton]:
    """A dialog's bottom row: Close (rejects) and the default `action` button, right-aligned;
    the caller connects the action button."""
    row = QHBoxLayout()
    row.addStretch(1)
    close = QPushButton("Close")
    act = QPushButton(action)
    act.setObjectName("primary")
    act.setDefault(True)
    row.addWidget(close)
    row.addWidget(act)
    close.clicked.connect(dialog.reject)
    return row, act


def save_or_cancel(dialog: QDialog, layout: QVBoxLayout, on_save: Callable[[], object],
                   message: QLabel | None = None) -> QDialogButtonBox:
    """A form dialog's Save and Cancel buttons at the bottom of `layout`: Save calls `on_save`
    (which accepts the dialog when the form is good), Cancel rejects it. `message`, the label
    that says what was wrong with the last Save, is cleared as soon as the form is edited."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(on_save)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    if message is not None:
        clear_when_edited(dialog, message)
    return buttons


class _ClearWhenEdited(QObject):
    """Clears a form's message when the person edits anything in it (see `clear_when_edited`).

    The inputs are looked up when the form is first shown, not when this is made: a dialog's
    subclass adds its rows after the base class has built the buttons."""

    def __init__(self, form: QWidget, message: QLabel) -> None:
        super().__init__(form)
        self._message = message
        self._hooked = False
        form.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and not self._hooked and isinstance(watched, QWidget):
            self._hooked = True
            self._hook(watched)
        return False

    def _clear(self, *_args: object) -> None:
        self._message.clear()

    def _hook(self, form: QWidget) -> None:
        # Where Qt tells a person's edit apart (textEdited, activated, clicked) only that
        # counts; the rest change in code too, which seldom happens once the form is shown.
        for line in form.findChildren(QLineEdit):
            line.textEdited.connect(self._clear)
        for text in form.findChildren(QPlainTextEdit):
            text.textChanged.connect(self._clear)
        for combo in form.findChildren(QComboBox):
            combo.activated.connect(self._clear)
        for whole in form.findChildren(QSpinBox):
            whole.valueChanged.connect(self._clear)
        for decimal in form.findChildren(QDoubleSpinBox):
            decimal.valueChanged.connect(self._clear)
        for moment in form.findChildren(QDateTimeEdit):  # dates too: picked from the calendar
            moment.dateTimeChanged.connect(self._clear)
        for button in form.findChildren(QAbstractButton):
            # Push buttons (Save itself) are left out, or Save would wipe the answer it gives.
            if button.isCheckable():
                button.clicked.connect(self._clear)


def clear_when_edited(form: QWidget, message: QLabel) -> None:
    """Clear `message` as soon as anything in `form` is edited: "Title: is empty" left under a
    title just typed reads as a new error."""
    _ClearWhenEdited(form, message)


def ask(parent: QWidget, title: str, text: str, yes: str) -> bool:
    """A yes/no question whose yes button says what it does; No is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    go = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole))
    box.exec()
    return box.clickedButton() is go


def index_of(combo: QComboBox, value: object) -> int:
    """Row of the item whose data equals `value`, or -1.

    `QComboBox.findData` matches a Python object (a UUID) only when it is the very same object,
    not an equal one read again from the database.
    """
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)
