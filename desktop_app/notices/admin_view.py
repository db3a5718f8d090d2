"""The administrators' Notices section: every announcement with how many have read it, who
they are, and a dialog to post or edit one (audience, branch, pinned, expiry, a copy to
guardians). Refused input is shown naming the field; nothing is written."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from operator import attrgetter

from PySide6.QtCore import QDate, QItemSelection, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker, branch_choice
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.notices.board import viewer_of
from desktop_app.widgets import (
    ask,
    date_field,
    index_of,
    save_or_cancel,
    styled_label,
    table_view,
    title_label,
)
from institute_core.display import date_text, short_moment
from institute_core.enums import Audience, Role
from institute_core.notices import announcements as core
from institute_core.notices.announcements import Choices, Notice, Receipt
from institute_core.validation import person_message

NOTICE_COLUMNS: list[Column[Notice]] = [
    Column("Notice", lambda n: n.title, tooltip=lambda n: n.body),
    Column("For", lambda n: n.audience_text),
    Column("Pinned", lambda n: "yes" if n.pinned else ""),
    Column("Expires", lambda n: date_text(n.expires_at) if n.expires_at else "never"),
    Column("Posted", lambda n: short_moment(n.posted_at)),
    Column("Read by", lambda n: str(n.reads), align_right=True),
]
RECEIPT_COLUMNS: list[Column[Receipt]] = [
    Column("Read by", lambda r: r.name),
    Column("When", lambda r: short_moment(r.read_at)),
]
ROLE_CHOICES = [(Role.FACULTY.value, "Faculty"), (Role.COUNSELOR.value, "Counselors"),
                (Role.ADMIN.value, "Admins"), (Role.STUDENT.value, "Students")]


class NoticeDialog(QDialog):
    """Post a new announcement or edit one."""

    sig_saved = Signal(object)  # the announcement's id

    def __init__(self, ctx: AppContext, choices: Choices, notice: Notice | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._notice = ctx, notice
        self.setWindowTitle("Edit notice" if notice else "New notice")
        form = QFormLayout()
        self.title = QLineEdit(notice.title if notice else "")
        self.title.setMaxLength(core.TITLE_LIMIT)
        self.body = QPlainTextEdit(notice.body if notice else "")
        self.audience = QComboBox()
        for audience, words in ((Audience.EVERYONE, "Everyone"), (Audience.ROLE, "One role"),
                                (Audience.BATCH, "One batch")):
            self.audience.addItem(words, audience.value)
        self.role = QComboBox()
        for value, words in ROLE_CHOICES:
            self.role.addItem(words, value)
        self.batch = QComboBox()
        for batch_id, name in choices.batches:
            self.batch.addItem(name, batch_id)
        self.branch = QComboBox()
        self.branch.addItem("Every branch", None)
        for branch_id, name in choices.branches:
            self.branch.addItem(name, branch_id)
        self.pinned = QCheckBox("Pin to the top of the board")
        self.expires = QCheckBox("Expires on")
        self.expiry = date_field(QDate.currentDate().addDays(7))
        self.to_guardians = QCheckBox("Also send it to the students' guardians (SMS, "
                                      "WhatsApp or email, as each prefers)")
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.expires)
        expiry_row.addWidget(self.expiry, 1)
        form.addRow("Title", self.title)
        form.addRow("Text", self.body)
        form.addRow("For", self.audience)
        form.addRow("Role", self.role)
        form.addRow("Batch", self.batch)
        form.addRow("Branch", self.branch)
        form.addRow("", self.pinned)
        form.addRow("", expiry_row)
        form.addRow("", self.to_guardians)
        if notice is not None:
            self.audience.setCurrentIndex(index_of(self.audience, notice.audience))
            self.role.setCurrentIndex(max(0, index_of(self.role, notice.audience_role)))
            self.batch.setCurrentIndex(max(0, index_of(self.batch, notice.batch_id)))
            self.branch.setCurrentIndex(max(0, index_of(self.branch, notice.branch_id)))
            self.pinned.setChecked(notice.pinned)
            if notice.expires_at is not None:
                self.expires.setChecked(True)
                day = notice.expires_at.date()
                self.expiry.setDate(QDate(day.year, day.month, day.day))
        else:
            # A new notice is for the branch the screen shows (every branch when none is
            # picked): the people of that branch.
            self.branch.setCurrentIndex(max(0, index_of(self.branch, branch_choice(ctx).chosen)))
        self.audience.currentIndexChanged.connect(self._on_audience)
        self.expires.toggled.connect(self.expiry.setEnabled)
        self.expiry.setEnabled(self.expires.isChecked())
        self._on_audience()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.message = styled_label("", "error")
        layout.addWidget(self.message)
        save_or_cancel(self, layout, self._on_save, self.message)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 40, self.sizeHint().height())

    def _on_audience(self) -> None:
        audience = self.audience.currentData()
        self.role.setEnabled(audience == Audience.ROLE)
        self.batch.setEnabled(audience == Audience.BATCH)

    def _expires_at(self) -> datetime | None:
        if not self.expires.isChecked():
            return None
        # The end of the chosen day, on this desk's clock.
        day: date = self.expiry.date().toPython()  # type: ignore[assignment]
        return datetime.combine(day, time(23, 59)).astimezone()

    def _on_save(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        fields = dict(title=self.title.text(), body=self.body.toPlainText(),
                      audience=self.audience.currentData(), audience_role=self.role.currentData(),
                      batch_id=self.batch.currentData(), branch_id=self.branch.currentData(),
                      pinned=self.pinned.isChecked(), expires_at=self._expires_at(),
                      send_to_guardians=self.to_guardians.isChecked(),
                      announcement_id=self._notice.id if self._notice else None)
        self._ctx.tasks.run_db(lambda: core.post(replica, actor, **fields),  # type: ignore[arg-type]
                               self._on_saved,
                               lambda e: self.message.setText(person_message(e)))

    def _on_saved(self, notice_id: uuid.UUID) -> None:
        self.sig_saved.emit(notice_id)
        self.accept()


class NoticesView(QWidget):
    """Announcements above, the selected one's readers below."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._choices = Choices((), ())
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title_label("Notices"), 1)
        # The window's one branch choice: a branch's notices and those for every branch.
        self.branch = BranchPicker(ctx)
        head.addWidget(self.branch)
        layout.addLayout(head)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New notice…")
        self.edit_button = QPushButton("Edit…")
        self.withdraw_button = QPushButton("Withdraw")
        for button in (self.new_button, self.edit_button, self.withdraw_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        split = QSplitter()
        self.notices: RowsModel[Notice] = RowsModel(NOTICE_COLUMNS, self)
        self.receipts: RowsModel[Receipt] = RowsModel(RECEIPT_COLUMNS, self)
        self.notice_view = table_view()
        self.notice_view.setModel(self.notices)
        self.receipt_view = table_view()
        self.receipt_view.setModel(self.receipts)
        self.branch.filter_rows(self.notices, attrgetter("branch_id"), everywhere=True,
                                after=self._show_count)
        split.addWidget(self.notice_view)
        split.addWidget(self.receipt_view)
        split.setSizes([600, 250])
        layout.addWidget(split, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        self.new_button.clicked.connect(lambda: self.edit(None))
        self.edit_button.clicked.connect(lambda: self.edit(self.selected()))
        self.withdraw_button.clicked.connect(self._on_withdraw)
        self.notice_view.selectionModel().selectionChanged.connect(self._on_selected)
        self._on_selected(QItemSelection(), QItemSelection())
        self.refresh()

    def refresh(self) -> None:
        replica, viewer = self._ctx.replica, viewer_of(self._ctx)
        self._ctx.tasks.run_db(
            lambda: (core.board(replica, viewer, managing=True), core.choices(replica)),
            self._on_loaded, self._on_failed)

    def _on_loaded(self, found: tuple[list[Notice], Choices]) -> None:
        notices, self._choices = found
        self.notices.set_rows(notices)
        self.receipts.set_rows([])
        self._show_count()

    def _show_count(self) -> None:
        shown = self.notices.rowCount()
        where = "" if self.branch.choice.chosen is None else f" in {self.branch.choice.label}"
        self.message.setText(f"{shown} notice{'s' if shown != 1 else ''}{where}")

    def _on_failed(self, error: BaseException) -> None:
        self.message.setText(person_message(error))

    def selected(self) -> Notice | None:
        rows = self.notice_view.selectionModel().selectedRows()
        return self.notices.row_at(rows[0].row()) if rows else None

    def _on_selected(self, _new: QItemSelection, _old: QItemSelection) -> None:
        notice = self.selected()
        self.edit_button.setEnabled(notice is not None)
        self.withdraw_button.setEnabled(notice is not None)
        if notice is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: core.receipts(replica, notice.id),
                               self.receipts.set_rows, self._on_failed)

    def edit(self, notice: Notice | None) -> NoticeDialog:
        dialog = NoticeDialog(self._ctx, self._choices, notice, self)
        dialog.sig_saved.connect(self._on_changed)
        dialog.open()
        return dialog

    def _on_withdraw(self) -> None:
        notice = self.selected()
        if notice is None or not ask(self, "Withdraw notice",
                                     f"Take “{notice.title}” off every board?", "Withdraw"):
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        self._ctx.tasks.run_db(lambda: core.withdraw(replica, actor, notice.id),
                               self._on_changed, self._on_failed)

    def _on_changed(self, _result: object = None) -> None:
        """A notice was saved or withdrawn: sync soon, and list them again."""
        self.sig_saved.emit()
        self.refresh()
