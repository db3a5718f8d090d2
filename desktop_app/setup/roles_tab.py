"""The Roles tab (issue 17): roles as named sets of permissions from the catalogue, made and
changed here and assigned to accounts.

The list of roles is a table (RowsModel); a role's permissions are a tree of checkboxes, one
group per area, each with its description (a QStandardItemModel in a QTreeView). A permission
the signed-in person does not hold is shown but cannot be ticked: nobody grants what they lack
(the service refuses it with a clear message, and the server refuses it from any desk).
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.setup.forms import show_outcome
from desktop_app.widgets import styled_label, table_view
from institute_core.access import permissions as perms
from institute_core.access import roles
from institute_core.access.check import held_by
from institute_core.access.roles import Account, RoleRow
from institute_core.validation import person_message

ROLE_COLUMNS: list[Column[RoleRow]] = [
    Column("Role", lambda r: r.label + (" (built in)" if r.built_in else "")),
    Column("Permissions", lambda r: str(len(perms.expand(r.permissions))), align_right=True),
    Column("Branch", lambda r: r.branch_name or "All of theirs"),
    Column("Accounts", lambda r: str(r.holders), align_right=True),
    Column("Description", lambda r: r.description,
           tooltip=lambda r: ", ".join(sorted(r.permissions))),
]
NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class PermissionsModel(QStandardItemModel):
    """The catalogue as a tree: an area, then its permissions (checkable) and descriptions."""

    def __init__(self, held: frozenset[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels(["Permission", "What it allows"])
        self._items: dict[str, QStandardItem] = {}
        for area, members in perms.by_area().items():
            group = QStandardItem(perms.AREAS[area])
            group.setEditable(False)
            font = group.font()
            font.setBold(True)
            group.setFont(font)
            blank = QStandardItem("")
            blank.setEditable(False)
            for permission in members:
                item = QStandardItem(permission.name)
                item.setEditable(False)
                item.setCheckable(True)
                item.setData(permission.name, NAME_ROLE)
                text = permission.description
                if permission.implies:
                    text += f" (with {', '.join(permission.implies)})"
                about = QStandardItem(text)
                about.setEditable(False)
                about.setToolTip(text)
                if permission.name not in held:
                    # Shown so the owner sees the whole catalogue; not theirs to grant.
                    item.setEnabled(False)
                    about.setEnabled(False)
                    item.setToolTip("You do not hold this permission, so you cannot grant it")
                group.appendRow([item, about])
                self._items[permission.name] = item
            self.appendRow([group, blank])

    def set_checked(self, names: frozenset[str]) -> None:
        for name, item in self._items.items():
            item.setCheckState(Qt.CheckState.Checked if name in names
                               else Qt.CheckState.Unchecked)

    def checked(self) -> frozenset[str]:
        return frozenset(name for name, item in self._items.items()
                         if item.checkState() == Qt.CheckState.Checked)


class RolesTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._role_id: uuid.UUID | None = None
        self._roles: list[RoleRow] = []
        layout = QHBoxLayout(self)
        split = QSplitter()
        layout.addWidget(split)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        self.model: RowsModel[RoleRow] = RowsModel(ROLE_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Roles")
        left_box.addWidget(self.table, 1)
        assign = QGroupBox("Give an account a role")
        assign_form = QFormLayout(assign)
        self.account = QComboBox()
        self.account.setAccessibleName("Account")
        self.assign_role = QComboBox()
        self.assign_role.setAccessibleName("Role to give")
        self.assign_button = QPushButton("Assign")
        assign_form.addRow("Account", self.account)
        assign_form.addRow("Role", self.assign_role)
        assign_form.addRow(self.assign_button)
        left_box.addWidget(assign)
        split.addWidget(left)

        side = QWidget()
        side_box = QVBoxLayout(side)
        side_box.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. accountant")
        self.description = QLineEdit()
        self.branch = QComboBox()
        self.branch.setToolTip("Limit the role to one branch: its holders work only there")
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("Branch", self.branch)
        side_box.addLayout(form)
        self.permissions = PermissionsModel(held_by(ctx.user), self)
        self.tree = QTreeView()
        self.tree.setModel(self.permissions)
        self.tree.setAccessibleName("Permissions of the role")
        self.tree.setUniformRowHeights(True)
        self.tree.expandAll()
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        side_box.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New role")
        self.delete_button = QPushButton("Delete")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        for button in (self.new_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        side_box.addLayout(buttons)
        self.message = styled_label("", "hint")
        self.message.setWordWrap(True)
        side_box.addWidget(self.message)
        split.addWidget(side)
        split.setSizes([460, 640])

        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._select(cur.row()))
        self.new_button.clicked.connect(self._clear)
        self.save_button.clicked.connect(self.save)
        self.delete_button.clicked.connect(self.delete)
        self.assign_button.clicked.connect(self.assign)
        self._clear()

    # --- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        replica = self._ctx.replica

        def load() -> tuple[list[RoleRow], list[Account], list[tuple[uuid.UUID, str]]]:
            from institute_core.branches.service import list_branches

            return (roles.list_roles(replica), roles.list_accounts(replica),
                    [(b.id, b.name) for b in list_branches(replica)])

        self._ctx.tasks.run_db(load, self._on_loaded, self._fail)

    def _on_loaded(self, loaded: tuple[list[RoleRow], list[Account],
                                       list[tuple[uuid.UUID, str]]]) -> None:
        self._roles, accounts, branches = loaded
        self.model.set_rows(self._roles)
        self.branch.clear()
        self.branch.addItem("Wherever they work", None)
        for branch_id, name in branches:
            self.branch.addItem(name, branch_id)
        self.account.clear()
        for account in accounts:
            self.account.addItem(f"{account.name} – {roles.label_of(account.role)}", account.id)
        self.assign_role.clear()
        for role in self._roles:
            self.assign_role.addItem(role.label, role.name)
        if self._role_id is not None:
            for i, row in enumerate(self._roles):
                if row.id == self._role_id:
                    self.table.setCurrentIndex(self.model.index(i, 0))
        self.loaded.emit()

    def _fail(self, error: BaseException) -> None:
        show_outcome(self.message, person_message(error), refused=True)

    # --- editing --------------------------------------------------------------------------

    def _clear(self) -> None:
        self._role_id = None
        self.name.clear()
        self.name.setEnabled(True)
        self.description.clear()
        self.branch.setCurrentIndex(0)
        self.permissions.set_checked(frozenset())
        self.delete_button.setEnabled(False)
        self.table.clearSelection()

    def _select(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        role = self.model.row_at(row)
        self._role_id = role.id
        self.name.setText(role.name)
        self.name.setEnabled(False)  # accounts name it: it never changes
        self.description.setText(role.description)
        self.branch.setCurrentIndex(max(0, self.branch.findData(role.branch_id)))
        self.permissions.set_checked(perms.expand(role.permissions))
        self.delete_button.setEnabled(not role.built_in)

    def _run(self, fn: object, done: str) -> None:
        def ok(_value: object) -> None:
            show_outcome(self.message, done)
            self.sig_saved.emit()
            self.refresh()

        self._ctx.tasks.run_db(fn, ok, self._fail)  # type: ignore[arg-type]

    def save(self) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        name, role_id = self.name.text(), self._role_id
        chosen, about = self.permissions.checked(), self.description.text()
        branch = self.branch.currentData()
        self._run(lambda: roles.save_role(replica, actor, user, name=name, permissions=chosen,
                                          description=about, branch_id=branch,
                                          role_id=role_id),
                  f"Saved the role {name}. It applies at its holders' next sync.")

    def delete(self) -> None:
        if self._role_id is None:
            return
        replica, actor, user, role_id = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                         self._role_id)
        self._role_id = None
        self._run(lambda: roles.delete_role(replica, actor, user, role_id), "Role deleted.")

    def assign(self) -> None:
        account, role = self.account.currentData(), self.assign_role.currentData()
        if account is None or role is None:
            return
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        self._run(lambda: roles.assign_role(replica, actor, user, account, role),
                  f"Gave the account the role {roles.label_of(role)}; it applies at its "
                  "next sync.")
