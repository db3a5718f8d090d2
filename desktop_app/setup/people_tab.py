"""The people tab: staff accounts (create, edit, deactivate, reset password), the branches each
works in (`user_branches`: what their desk holds) and, for faculty, their weekly availability
on the week grid."""

from __future__ import annotations

import uuid
from operator import attrgetter

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.setup.week_grid import WeekGrid
from desktop_app.widgets import styled_label, table_view
from institute_core.access import roles
from institute_core.access.roles import RoleRow
from institute_core.branches import service as branch_service
from institute_core.branches.service import BranchRow
from institute_core.enums import Role
from institute_core.setup import people
from institute_core.setup.people import UserRow
from institute_core.setup.week import Week
from institute_core.validation import person_message

USER_COLUMNS: list[Column[UserRow]] = [
    Column("Name", lambda u: u.name),
    Column("Email", lambda u: u.email),
    Column("Role", lambda u: u.role.replace("_", " ")),
    Column("Works in", lambda u: u.branches),
    Column("Status", lambda u: u.status, lambda u: None if u.status == "active" else "#f1f1f1"),
]


class PeopleTab(QWidget):
    sig_saved = Signal()
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._user_id: uuid.UUID | None = None
        self._faculty_id: uuid.UUID | None = None
        layout = QHBoxLayout(self)
        split = QSplitter()
        layout.addWidget(split)
        self.model: RowsModel[UserRow] = RowsModel(USER_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Staff accounts")
        staff = QWidget()
        staff_layout = QVBoxLayout(staff)
        staff_layout.setContentsMargins(0, 0, 0, 0)
        self.branch = BranchPicker(ctx)
        self.branch.filter_rows(self.model, attrgetter("branch_ids"), many=True)
        staff_layout.addWidget(self.branch)
        staff_layout.addWidget(self.table, 1)
        split.addWidget(staff)

        side = QWidget()
        form_box = QVBoxLayout(side)
        account = QGroupBox("Account")
        form = QFormLayout(account)
        self.email, self.first, self.last, self.phone = (QLineEdit(), QLineEdit(), QLineEdit(),
                                                         QLineEdit())
        # Filled from the roles in the replica (built in and defined in Setup → Roles).
        self.role = QComboBox()
        form.addRow("Email", self.email)
        form.addRow("First name", self.first)
        form.addRow("Last name", self.last)
        form.addRow("Phone", self.phone)
        form.addRow("Role", self.role)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.active_button = QPushButton("Deactivate")
        self.password_button = QPushButton("Reset password…")
        for b in (self.new_button, self.active_button, self.password_button, self.save_button):
            buttons.addWidget(b)
        form.addRow(buttons)
        form_box.addWidget(account)
        self.works_box = QGroupBox("Works in (the branches this account's desk holds)")
        works = QHBoxLayout(self.works_box)
        self.works_in = QListWidget()
        self.works_in.setAccessibleName("Works in")
        self.works_in.setMaximumHeight(self.works_in.fontMetrics().height() * 5)
        self.save_works = QPushButton("Save branches")
        works.addWidget(self.works_in, 1)
        works.addWidget(self.save_works)
        form_box.addWidget(self.works_box)
        self.availability = QGroupBox("Weekly availability (drag to mark, drag again to clear)")
        grid_box = QVBoxLayout(self.availability)
        self.grid = WeekGrid()
        grid_box.addWidget(self.grid, 1)
        grid_row = QHBoxLayout()
        self.hours = styled_label("", "hint")
        self.save_grid = QPushButton("Save availability")
        grid_row.addWidget(self.hours, 1)
        grid_row.addWidget(self.save_grid)
        grid_box.addLayout(grid_row)
        form_box.addWidget(self.availability, 1)
        self.message = styled_label("", "hint")
        form_box.addWidget(self.message)
        split.addWidget(side)
        split.setSizes([420, 600])

        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._select(
            cur.row()))
        self.new_button.clicked.connect(self._clear)
        self.save_button.clicked.connect(self.save)
        self.active_button.clicked.connect(self._toggle_active)
        self.password_button.clicked.connect(self._reset_password)
        self.grid.changed.connect(self._show_hours)
        self.save_grid.clicked.connect(self.save_availability)
        self.save_works.clicked.connect(self.save_branches)
        self._clear()

    def refresh(self) -> None:
        replica, user = self._ctx.replica, self._ctx.user

        def load() -> tuple[list[RoleRow], list[UserRow], list[BranchRow]]:
            staff = [r for r in roles.list_roles(replica) if r.name != Role.STUDENT.value]
            return (staff, people.list_users(replica, user, roles={r.name for r in staff}),
                    branch_service.list_branches(replica))

        self._ctx.tasks.run_db(load, self._on_loaded, self._fail)

    def _on_loaded(self, loaded: tuple[list[RoleRow], list[UserRow], list[BranchRow]]) -> None:
        staff, rows, branches = loaded
        chosen = self.role.currentData()
        self.role.clear()
        for role in staff:
            self.role.addItem(role.label, role.name)
        self.role.setCurrentIndex(max(0, self.role.findData(chosen)))
        self.works_in.clear()
        for branch in branches:
            item = QListWidgetItem(f"{branch.name} ({branch.code})")
            item.setData(Qt.ItemDataRole.UserRole, branch.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.works_in.addItem(item)
        self.model.set_rows(rows)
        if self._user_id is not None:
            for i, row in enumerate(rows):
                if row.id == self._user_id:
                    self.table.setCurrentIndex(self.model.index(i, 0))
        self.loaded.emit()

    def _fail(self, error: BaseException) -> None:
        self.message.setText(person_message(error))

    def _clear(self) -> None:
        self._user_id = self._faculty_id = None
        for edit in (self.email, self.first, self.last, self.phone):
            edit.clear()
        self.active_button.setEnabled(False)
        self.password_button.setEnabled(False)
        self.availability.setEnabled(False)
        self.grid.set_week(Week())
        self._show_hours()
        self._show_works_in(frozenset())

    def _show_works_in(self, branch_ids: frozenset[uuid.UUID]) -> None:
        self.works_box.setEnabled(self._user_id is not None)
        for i in range(self.works_in.count()):
            item = self.works_in.item(i)
            item.setCheckState(Qt.CheckState.Checked
                               if item.data(Qt.ItemDataRole.UserRole) in branch_ids
                               else Qt.CheckState.Unchecked)

    def save_branches(self) -> None:
        """The chosen account works in exactly the ticked branches."""
        if self._user_id is None:
            return
        ticked = [self.works_in.item(i).data(Qt.ItemDataRole.UserRole)
                  for i in range(self.works_in.count())
                  if self.works_in.item(i).checkState() == Qt.CheckState.Checked]
        replica, actor, user, user_id = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                         self._user_id)
        self._run(lambda: branch_service.set_user_branches(replica, actor, user, user_id,
                                                           ticked),
                  f"Works in {len(ticked)} branch{'es' if len(ticked) != 1 else ''} now.")

    def _select(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        user = self.model.row_at(row)
        self._user_id = user.id
        self.email.setText(user.email)
        first, _, last = user.name.partition(" ")
        self.first.setText(first)
        self.last.setText(last)
        self.phone.setText(user.phone or "")
        self.role.setCurrentIndex(max(0, self.role.findData(user.role)))
        self.active_button.setText("Deactivate" if user.status == "active" else "Reactivate")
        self.active_button.setEnabled(True)
        self.password_button.setEnabled(True)
        self._show_works_in(user.branch_ids)
        replica = self._ctx.replica

        def load() -> tuple[uuid.UUID | None, Week]:
            faculty = people.faculty_of_user(replica, user.id)
            return faculty, people.availability_of(replica, faculty) if faculty else Week()

        self._ctx.tasks.run_db(load, self._on_faculty)

    def _on_faculty(self, result: tuple[uuid.UUID | None, Week]) -> None:
        self._faculty_id, week = result
        self.availability.setEnabled(self._faculty_id is not None)
        self.grid.set_week(week)
        self._show_hours()

    def _show_hours(self) -> None:
        minutes = self.grid.week().total_minutes()
        self.hours.setText(f"{minutes / 60:g} hours a week" if self._faculty_id else
                           "Only faculty members have availability.")

    def _run(self, fn: object, done: str) -> None:
        def ok(_value: object) -> None:
            self.message.setText(done)
            self.sig_saved.emit()
            self.refresh()

        self._ctx.tasks.run_db(fn, ok, self._fail)  # type: ignore[arg-type]

    def save(self) -> None:
        replica, actor, user = self._ctx.replica, self._ctx.actor, self._ctx.user
        values = {"email": self.email.text(), "first_name": self.first.text(),
                  "last_name": self.last.text(), "phone": self.phone.text() or None,
                  "role": self.role.currentData()}
        if self._user_id is None:
            new = people.NewUser(values["email"], values["first_name"], values["last_name"],
                                 values["role"], values["phone"])
            self._run(lambda: people.create_user(replica, actor, user, new),
                      f"Created {values['email']}.")
        else:
            user_id = self._user_id
            self._run(lambda: people.update_user(replica, actor, user, user_id, **values),
                      "Saved.")

    def _toggle_active(self) -> None:
        if self._user_id is None:
            return
        replica, actor, user, user_id = (self._ctx.replica, self._ctx.actor, self._ctx.user,
                                         self._user_id)
        if self.active_button.text() == "Deactivate":
            self._run(lambda: people.deactivate_user(replica, actor, user, user_id),
                      "Deactivated: the account can no longer sign in.")
        else:
            self._run(lambda: people.reactivate_user(replica, actor, user, user_id),
                      "Reactivated.")

    def _reset_password(self) -> None:
        if self._user_id is None:
            return
        password, ok = QInputDialog.getText(self, "Reset password", "New password:",
                                            QLineEdit.EchoMode.Password)
        if ok and password:
            replica, actor, user, user_id = (self._ctx.replica, self._ctx.actor,
                                             self._ctx.user, self._user_id)
            self._run(lambda: people.reset_password(replica, actor, user, user_id, password),
                      "Password reset.")

    def save_availability(self) -> None:
        if self._faculty_id is None:
            return
        replica, actor, user, faculty, week = (self._ctx.replica, self._ctx.actor,
                                               self._ctx.user, self._faculty_id,
                                               self.grid.week())
        self._run(lambda: people.set_availability(replica, actor, user, faculty, week),
                  "Availability saved.")
