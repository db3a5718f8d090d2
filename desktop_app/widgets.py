"""Small widget helpers shared by the feature views."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
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


def save_or_cancel(dialog: QDialog, layout: QVBoxLayout,
                   on_save: Callable[[], object]) -> QDialogButtonBox:
    """A form dialog's Save and Cancel buttons at the bottom of `layout`: Save calls `on_save`
    (which accepts the dialog when the form is good), Cancel rejects it."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(on_save)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return buttons


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
