"""Feedback at the desk: record what a student says (sentiment worked out offline), and take
each item from pending through reviewed to resolved with an action note."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.saving import save_in_background
from desktop_app.widgets import styled_label, table_view
from institute_core.display import date_text
from institute_core.engagement.feedback import (
    FeedbackDraft,
    FeedbackRow,
    list_feedback,
    record_feedback,
    resolve_feedback,
    review_feedback,
)
from institute_core.engagement.sentiment import describe_sentiment
from institute_core.enums import FeedbackType
from institute_core.services.students import StudentRow, list_students
from institute_core.validation import not_saved

SENTIMENT_COLOURS = {"positive": "#dff3e4", "neutral": "#f1f3f5", "negative": "#f9dcdc"}

FEEDBACK_COLUMNS: list[Column[FeedbackRow]] = [
    Column("Given", lambda r: date_text(r.given_at)),
    Column("Student", lambda r: r.student),
    Column("Faculty", lambda r: r.faculty),
    Column("Rating", lambda r: "" if r.rating is None else str(r.rating), align_right=True),
    Column("Type", lambda r: r.feedback_type),
    Column("Sentiment", lambda r: describe_sentiment(r.sentiment, r.sentiment_score),
        lambda r: SENTIMENT_COLOURS.get(r.sentiment)),
    Column("Status", lambda r: r.status),
    Column("Comments", lambda r: r.comments, tooltip=lambda r: r.action_note or r.comments),
]


class FeedbackView(QWidget):
    """Feedback list with review/resolve, and a form to record new feedback."""

    sig_saved = Signal()
    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.current: FeedbackRow | None = None
        layout = QVBoxLayout(self)
        splitter = QSplitter()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.pending_only = QCheckBox("Only pending")
        filters = QHBoxLayout()
        filters.addWidget(self.pending_only, 1)
        self.branch = BranchPicker(ctx)
        filters.addWidget(self.branch)
        left_layout.addLayout(filters)
        self.model: RowsModel[FeedbackRow] = RowsModel(FEEDBACK_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Feedback")
        # Anonymous feedback still counts in its student's branch (the name alone is hidden).
        self.branch.filter_rows(self.model, attrgetter("branch_id"))
        left_layout.addWidget(self.table, 1)
        act = QHBoxLayout()
        self.action_note = QLineEdit()
        self.action_note.setPlaceholderText("Action taken (needed to resolve)")
        self.review_button = QPushButton("Mark reviewed")
        self.resolve_button = QPushButton("Resolve")
        act.addWidget(self.action_note, 1)
        act.addWidget(self.review_button)
        act.addWidget(self.resolve_button)
        left_layout.addLayout(act)
        splitter.addWidget(left)
        splitter.addWidget(self._form())
        splitter.setSizes([820, 380])
        layout.addWidget(splitter, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        self.pending_only.toggled.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._on_pick)
        self.review_button.clicked.connect(self.review)
        self.resolve_button.clicked.connect(self.resolve)
        self.refresh()

    def _form(self) -> QWidget:
        panel = QWidget()
        outer = QVBoxLayout(panel)
        outer.addWidget(styled_label("Record feedback", "counts"))
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        self.student = QComboBox()
        self.student.setEditable(True)  # type to find a student among thousands
        self.rating = QSpinBox()
        self.rating.setRange(1, 5)
        self.rating.setValue(4)
        self.kind = QComboBox()
        for kind in FeedbackType:
            self.kind.addItem(kind.value, kind.value)
        self.comments = QPlainTextEdit()
        self.comments.setMaximumHeight(90)
        self.anonymous = QCheckBox("Do not show who gave it")
        self.save_button = QPushButton("Save feedback")
        self.save_button.setObjectName("primary")
        form.addRow("Student", self.student)
        form.addRow("Rating", self.rating)
        form.addRow("About", self.kind)
        form.addRow("Comments", self.comments)
        form.addRow("", self.anonymous)
        form.addRow("", self.save_button)
        self.save_button.clicked.connect(self.save)
        return panel

    def refresh(self) -> None:
        replica, user_id = self._ctx.replica, self._ctx.user.user_id

        def load() -> tuple[Any, ...]:
            return list_feedback(replica, user_id), list_students(replica)

        self._ctx.tasks.run_db(load, self._on_loaded, self._on_failed)

    def _on_loaded(self, result: tuple[tuple[FeedbackRow, ...], tuple[StudentRow, ...]]) -> None:
        rows, students = result
        self.model.set_rows(rows)
        self._apply_filter()
        if self.student.count() == 0:
            for s in students:
                self.student.addItem(f"{s.name} ({s.enrollment_no})", s.id)
        self.sig_loaded.emit()

    def _apply_filter(self) -> None:
        self.model.set_filter((lambda r: r.status == "pending") if self.pending_only.isChecked()
                              else None)

    def _on_pick(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current = self.model.row_at(current.row()) if current.isValid() else None

    def _write(self, fn: Callable[[], object], then: Callable[[], None] | None = None) -> None:
        save_in_background(self._ctx.tasks, self.message, fn, saved=self._saved,
                           failed=self._on_failed, then=then)

    def _saved(self) -> None:
        self.sig_saved.emit()
        self.refresh()

    def review(self) -> None:
        if self.current is not None:
            replica, actor, fid = self._ctx.replica, self._ctx.actor, self.current.id
            self._write(lambda: review_feedback(replica, actor, fid))

    def resolve(self) -> None:
        if self.current is not None:
            replica, actor, fid = self._ctx.replica, self._ctx.actor, self.current.id
            note = self.action_note.text()
            self._write(lambda: resolve_feedback(replica, actor, fid, note),
                        self.action_note.clear)

    def save(self) -> None:
        student_id = self.student.currentData()
        if student_id is None:
            self.message.setText("Choose the student the feedback is from.")
            return
        draft = FeedbackDraft(student_id, self.rating.value(), self.kind.currentData(),
                              self.comments.toPlainText(), anonymous=self.anonymous.isChecked())
        replica, actor = self._ctx.replica, self._ctx.actor
        self._write(lambda: record_feedback(replica, actor, draft), self.comments.clear)

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(not_saved(exc))
