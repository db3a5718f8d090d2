"""Inquiries: capture form, filtered list sorted by score, pipeline board, enroll."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.crm.board import PipelineBoard
from desktop_app.crm.capture import CaptureForm
from desktop_app.crm.enroll import EnrollDialog
from desktop_app.crm.models import STAGE_TITLES, InquiryModel, InquiryProxy
from desktop_app.crm.panel import InquiryPanel
from desktop_app.fees.panel import FeesAfterEnrollDialog
from desktop_app.messages.one_off_dialog import OneOffMessageDialog
from desktop_app.saving import save_in_background
from desktop_app.widgets import ask, styled_label, table_view, title_label
from institute_core.crm.access import CrmAccessDenied
from institute_core.crm.activity import inquiry_activity
from institute_core.crm.duplicates import (
    Contact,
    ContactKind,
    DuplicateIndex,
)
from institute_core.crm.followups import schedule_follow_up
from institute_core.crm.inquiries import (
    NeedsConfirmation,
    merge_inquiries,
    move_stage,
)
from institute_core.crm.listing import (
    CrmChoices,
    InquiryFilter,
    InquiryRow,
    crm_choices,
    duplicate_index,
    list_inquiries,
)
from institute_core.display import count, number
from institute_core.enums import InquirySource, InquiryStatus, Priority
from institute_core.messaging import access as messaging_access
from institute_core.messaging.one_off_messages import send_to_inquiry
from institute_core.validation import not_saved


def _combo(first: str, items: list[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(first, None)
    for text, data in items:
        combo.addItem(text, data)
    return combo


class InquiriesView(QWidget):
    """The counselor's inquiry desk."""

    sig_saved = Signal()
    sig_loaded = Signal()
    sig_index_ready = Signal()
    sig_navigate = Signal(str, object)  # open a record of another section: section id, its id

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.fees_dialog: FeesAfterEnrollDialog | None = None
        self._ctx = ctx
        self.today = today or date.today()
        self.rows: tuple[InquiryRow, ...] = ()
        self.index = DuplicateIndex()
        self.choices = CrmChoices((), ())
        self.loaded = False
        self.index_ready = False
        self._select_after_load: uuid.UUID | None = None
        # Reading starts first: the worker reads and scores while the widgets are built (the
        # rows arrive by a queued signal, so only after this constructor has returned).
        self.refresh(with_choices=True)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title_label("Inquiries"))
        self.count = styled_label("", "subtitle")
        head.addWidget(self.count, 1)
        self.new_button = QPushButton("New inquiry (Ctrl+N)")
        self.new_button.setObjectName("primary")
        head.addWidget(self.new_button)
        layout.addLayout(head)
        layout.addLayout(self._filters())
        splitter = QSplitter()
        self.tabs = QTabWidget()
        self.model = InquiryModel(self.today, self)
        # The branch filter is a slot of its own on the model; the text filters stay as typed.
        self.branch.filter_rows(self.model, attrgetter("branch_key"), as_hex=True,
                                after=self._on_branch_filtered)
        self.proxy = InquiryProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = table_view()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(110)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        for column, width in ((0, 56), (1, 170), (2, 120), (3, 130)):
            self.table.setColumnWidth(column, width)
        self.table.setAccessibleName("Inquiries")
        # The board (five lists of cards) is built when its tab is first opened.
        self.board_tab = QWidget()
        self._board_layout = QVBoxLayout(self.board_tab)
        self._board_layout.setContentsMargins(0, 0, 0, 0)
        self._board: PipelineBoard | None = None
        self.tabs.addTab(self.table, "List")
        self.tabs.addTab(self.board_tab, "Pipeline board")
        # The charts (pyqtgraph) load when the tab is first opened, not with the section.
        self.insights_tab = QWidget()
        self._insights_layout = QVBoxLayout(self.insights_tab)
        self._insights_layout.setContentsMargins(0, 0, 0, 0)
        self.insights: Any = None
        self.tabs.addTab(self.insights_tab, "Insights")
        self._board_stale = True
        self.tabs.currentChanged.connect(lambda _i: self._on_tab_changed())
        splitter.addWidget(self.tabs)
        self.side = QStackedWidget()
        self.capture = CaptureForm(ctx)
        self.panel = InquiryPanel()
        self.panel.allow_messages(ctx.user.may(messaging_access.SEND))
        self.side.addWidget(self.capture)
        self.side.addWidget(self.panel)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 420])
        layout.addWidget(splitter, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)

        self.new_button.clicked.connect(self.new_inquiry)
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.new_inquiry)
        QShortcut(QKeySequence("Ctrl+F"), self).activated.connect(self.search.setFocus)
        self.capture.sig_saved.connect(self._on_captured)
        self.capture.sig_open_contact.connect(self._on_open_contact)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.panel.sig_schedule.connect(self._on_schedule)
        self.panel.sig_lost.connect(lambda inquiry_id: self.request_move(inquiry_id, "lost"))
        self.panel.sig_enroll.connect(self.open_enroll)
        self.panel.sig_merge.connect(self._on_merge)
        self.panel.sig_new.connect(self.new_inquiry)
        self.panel.sig_message.connect(self.open_message)
        self.panel.sig_shown.connect(self._load_activity)

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, phone, email, tag, subject (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.stage = _combo("All stages", [(t, s) for s, t in STAGE_TITLES.items()])
        self.source = _combo("All sources", [(s.value.replace("_", " "), s.value)
                                             for s in InquirySource])
        self.counselor = _combo("All counselors", [])
        self.branch = BranchPicker(self._ctx)
        self.priority = _combo("All priorities", [(p.value, p.value) for p in Priority])
        self.tag = QLineEdit()
        self.tag.setPlaceholderText("tag")
        self.tag.setMaximumWidth(110)
        self.due = QCheckBox("Follow-up due")
        row.addWidget(self.search, 2)
        for w in (self.branch, self.stage, self.source, self.counselor, self.priority, self.tag,
                  self.due):
            row.addWidget(w)
        for edit in (self.search, self.tag):
            edit.textChanged.connect(self.apply_filter)
        for combo in (self.stage, self.source, self.counselor, self.priority):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.due.toggled.connect(self.apply_filter)
        return row

    # --- loading -----------------------------------------------------------------------------

    def refresh(self, with_choices: bool = False) -> None:
        replica, user_id, today = self._ctx.replica, self._ctx.user.user_id, self.today

        def load() -> tuple[Any, ...]:
            rows = list_inquiries(replica, user_id, today)
            choices = crm_choices(replica, user_id) if with_choices else None
            # The duplicate index is built in the same turn of the worker: the list is usable
            # for duplicate checks the moment it shows (a second task, started once the rows
            # were painted, left it without one for a third of a second, more on a busy desk).
            return rows, choices, duplicate_index(replica, rows)

        self._ctx.tasks.run_db(load, self._on_loaded, self._on_failed)

    def _on_loaded(self, result: tuple[Any, ...]) -> None:
        rows, choices, index = result
        self.rows = rows
        if choices is not None:
            self.choices = choices
            self.capture.set_choices(choices)
            self.counselor.blockSignals(True)
            for counselor_id, name in choices.counselors:
                self.counselor.addItem(name, counselor_id)
            self.counselor.blockSignals(False)
        self.model.set_rows(rows)
        self.apply_filter()
        self._on_index(index)
        self.loaded = True
        if self._select_after_load is not None:
            self.open_inquiry(self._select_after_load)
            self._select_after_load = None
        self.sig_loaded.emit()

    def _on_index(self, index: DuplicateIndex) -> None:
        self.index = index
        self.index_ready = True
        self.capture.set_index(index)
        row = self.panel.row
        if row is not None and self.side.currentWidget() is self.panel:
            self.panel.show_row(self.row_by_id(row.id) or row, index)
        self.sig_index_ready.emit()

    def current_filter(self) -> InquiryFilter:
        return InquiryFilter(
            text=self.search.text(), status=self.stage.currentData() or "",
            source=self.source.currentData() or "", counselor_id=self.counselor.currentData(),
            priority=self.priority.currentData() or "", tag=self.tag.text().strip().lower(),
            due_only=self.due.isChecked())

    def apply_filter(self) -> None:
        keep = self.current_filter().keep(self.today)
        self.model.set_filter(keep)
        self._after_filter()

    def _on_branch_filtered(self) -> None:
        self._after_filter()
        if self.insights is not None:
            self.insights.load()

    def _after_filter(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count.setText(f"{number(shown)} of {number(total)}" if shown != total
                           else count(total, "inquiry", "inquiries"))
        self._board_stale = True
        self._update_board()

    def _on_tab_changed(self) -> None:
        self._update_board()
        if self.tabs.currentWidget() is self.insights_tab and self.insights is None:
            from desktop_app.crm.insights_view import PipelineInsights

            self.insights = PipelineInsights(self._ctx, self.today)
            self._insights_layout.addWidget(self.insights)
            self.insights.load()

    @property
    def board(self) -> PipelineBoard:
        """The pipeline board, made on first use."""
        if self._board is None:
            self._board = PipelineBoard()
            self._board.sig_open.connect(self.open_inquiry)
            self._board.sig_move_requested.connect(self.request_move)
            self._board_layout.addWidget(self._board)
            self._board_stale = True
        return self._board

    def _update_board(self) -> None:
        # Cards are widgets' items, costlier than table rows: build them only when the board
        # is on screen, so typing in the search box stays fast with 10,000 inquiries.
        if self._board_stale and self.tabs.currentWidget() is self.board_tab:
            self.board.set_rows(self.model.rows, self.today)
            self._board_stale = False

    # --- opening -----------------------------------------------------------------------------

    def new_inquiry(self) -> None:
        self.side.setCurrentWidget(self.capture)
        self.capture.name.setFocus()

    def row_by_id(self, inquiry_id: uuid.UUID) -> InquiryRow | None:
        key = inquiry_id.hex
        return next((r for r in self.rows if r.key == key), None)

    def open_inquiry(self, inquiry_id: uuid.UUID) -> None:
        row = self.row_by_id(inquiry_id)
        if row is None:
            return
        self.panel.show_row(row, self.index)
        self.side.setCurrentWidget(self.panel)
        for r, shown in enumerate(self.model.rows):
            if shown.key == row.key:
                self.table.setCurrentIndex(self.proxy.mapFromSource(self.model.index(r, 0)))
                break
        if self._board is not None:
            self._board.select(inquiry_id)

    def _load_activity(self, inquiry_id: uuid.UUID) -> None:
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: inquiry_activity(replica, inquiry_id),
                               lambda items: self.panel.show_activity(inquiry_id, items))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            row = self.model.row_at(self.proxy.mapToSource(current).row())
            self.panel.show_row(row, self.index)
            self.side.setCurrentWidget(self.panel)

    def _on_open_contact(self, contact: Contact) -> None:
        if contact.kind == ContactKind.INQUIRY:
            self.search.clear()
            self.open_inquiry(contact.id)
        else:
            # The main window opens the student's page in Students (what is typed stays here).
            self.message.setText(f"{contact.name} is already a student "
                                 f"({contact.phone or contact.email}).")
            self.sig_navigate.emit("students", contact.id)

    # --- acting ------------------------------------------------------------------------------

    def _write(self, fn: Callable[[], object], select: uuid.UUID | None = None) -> None:
        save_in_background(self._ctx.tasks, self.message, fn,
                           saved=lambda: self._show_saved(select), failed=self._on_failed)

    def _on_captured(self, inquiry_id: uuid.UUID) -> None:
        self._show_saved(inquiry_id)

    def _show_saved(self, inquiry_id: uuid.UUID | None) -> None:
        self._select_after_load = inquiry_id
        self.sig_saved.emit()
        self.refresh()

    def request_move(self, inquiry_id: uuid.UUID, stage: str, confirmed: bool = False) -> None:
        """Move a card; lost asks for a reason, enrolled opens Enroll."""
        row = self.row_by_id(inquiry_id)
        if row is None or row.status == stage:
            return
        if stage == InquiryStatus.ENROLLED:
            self.open_enroll(row)
            return
        reason = None
        if stage == InquiryStatus.LOST:
            reason = self.ask_lost_reason(row)
            if not reason:
                return
        replica, actor = self._ctx.replica, self._ctx.actor

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NeedsConfirmation) and ask(self, "Reopen a lost inquiry?",
                                                          str(exc), "Reopen"):
                self.request_move(inquiry_id, stage, confirmed=True)
            elif not isinstance(exc, NeedsConfirmation):
                self._on_failed(exc)

        self.message.setText("")
        self._ctx.tasks.run_db(
            lambda: move_stage(replica, actor, inquiry_id, stage, lost_reason=reason,
                               confirmed=confirmed),
            lambda _r: self._after_move(inquiry_id), failed)

    def _after_move(self, inquiry_id: uuid.UUID) -> None:
        self._select_after_load = inquiry_id
        self.sig_saved.emit()
        self.refresh()

    def ask_lost_reason(self, row: InquiryRow) -> str | None:
        """The reason an inquiry was lost (a dialog; tests replace this method)."""
        text, ok = QInputDialog.getText(self, "Mark lost", f"Why was {row.name} lost?")
        return text.strip() if ok and text.strip() else None

    def open_enroll(self, row: InquiryRow) -> EnrollDialog:
        dialog = EnrollDialog(self._ctx, row, self.choices, self)
        dialog.sig_enrolled.connect(lambda _sid: self._after_move(row.id))
        dialog.sig_enrolled.connect(lambda sid: self.open_fees(sid, row.name))
        dialog.open()
        return dialog

    def open_message(self, row: InquiryRow) -> OneOffMessageDialog:
        """A one-off message to the inquiry; once queued, its activity shows it."""
        replica, actor = self._ctx.replica, self._ctx.actor
        dialog = OneOffMessageDialog(
            self._ctx, row.name, row.phone, row.email,
            lambda channel, text, subject: send_to_inquiry(replica, actor, row.id, channel,
                                                           text, subject), parent=self)
        dialog.sig_sent.connect(lambda _id: self._load_activity(row.id))
        dialog.sig_sent.connect(lambda _id: self.message.setText(
            f"Message to {row.name} queued; the server sends it at the next sync."))
        dialog.open()
        return dialog

    def open_fees(self, student_id: uuid.UUID, name: str) -> FeesAfterEnrollDialog:
        """The new student's fee plan and first payment, straight after Enroll (issue 18)."""
        dialog = FeesAfterEnrollDialog(self._ctx, student_id, name, self)
        dialog.panel.sig_saved.connect(self.sig_saved)
        self.fees_dialog = dialog
        dialog.start()
        return dialog

    def _on_schedule(self, inquiry_id: uuid.UUID, when: datetime, kind: str) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        self._write(lambda: schedule_follow_up(replica, actor, inquiry_id, when, kind),
                    inquiry_id)

    def _on_merge(self, keep_id: uuid.UUID, duplicate_id: uuid.UUID) -> None:
        dup = self.row_by_id(duplicate_id)
        name = dup.name if dup else "the duplicate"
        if not ask(self, "Merge duplicates?", f"Fold {name} into this inquiry? Its follow-ups "
                   "and details move here and it leaves the list.", "Merge"):
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        self._write(lambda: merge_inquiries(replica, actor, keep_id, duplicate_id), keep_id)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, CrmAccessDenied):
            self.message.setText(str(exc).capitalize() + ".")
        else:
            self.message.setText(not_saved(exc))
