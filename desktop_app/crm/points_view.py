"""Rewards and penalties at the desk: a student's balance and history, recording points, and
appeals from recorded to resolved."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from operator import attrgetter

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
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
from institute_core.engagement.rewards import (
    PointsLine,
    PointsTotals,
    StudentPoints,
    appeal,
    points_totals,
    record_points,
    resolve_appeal,
    student_points,
)
from institute_core.enums import RewardCategory, RewardType
from institute_core.services.students import StudentRow, list_students
from institute_core.validation import not_saved

POINTS_COLUMNS: list[Column[PointsLine]] = [
    Column("Date", lambda p: date_text(p.on)),
    Column("Points", lambda p: f"{p.points:+d}", lambda p: "#dff3e4" if p.points > 0
           else "#f9dcdc", align_right=True),
    Column("Category", lambda p: p.category),
    Column("Status", lambda p: p.status if p.counts else f"{p.status} (void)"),
    Column("Reason", lambda p: p.reason),
]


class PointsView(QWidget):
    """One student's points: pick the student, see the balance, record, appeal, resolve."""

    sig_saved = Signal()
    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.current: PointsLine | None = None
        self.shown_totals: PointsTotals | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.student = QComboBox()
        self.student.setEditable(True)
        self.student.setMinimumWidth(320)
        self.balance = styled_label("", "counts")
        # The pick narrows the students to choose from and the totals below to one branch.
        self.branch = BranchPicker(ctx)
        top.addWidget(styled_label("Student", "subtitle"))
        top.addWidget(self.student)
        top.addWidget(self.balance, 1)
        top.addWidget(self.branch)
        layout.addLayout(top)
        self.totals = styled_label("", "hint")
        layout.addWidget(self.totals)
        self._students: tuple[StudentRow, ...] | None = None  # None: not read yet
        splitter = QSplitter()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.model: RowsModel[PointsLine] = RowsModel(POINTS_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Points history")
        left_layout.addWidget(self.table, 1)
        act = QHBoxLayout()
        self.appeal_text = QLineEdit()
        self.appeal_text.setPlaceholderText("Why it is disputed / how the appeal was decided")
        self.appeal_button = QPushButton("Record appeal")
        self.accept_button = QPushButton("Accept appeal")
        self.reject_button = QPushButton("Reject appeal")
        for w in (self.appeal_text, self.appeal_button, self.accept_button, self.reject_button):
            act.addWidget(w, 1 if w is self.appeal_text else 0)
        left_layout.addLayout(act)
        splitter.addWidget(left)
        splitter.addWidget(self._form())
        splitter.setSizes([820, 380])
        layout.addWidget(splitter, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)
        self.student.currentIndexChanged.connect(lambda _i: self.load_student())
        self.table.selectionModel().currentRowChanged.connect(self._on_pick)
        self.appeal_button.clicked.connect(self.record_appeal)
        self.accept_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        self.branch.selection_changed.connect(self._on_branch_selection)
        replica = ctx.replica
        ctx.tasks.run_db(lambda: list_students(replica), self._on_students, self._on_failed)
        if self.branch.choice.loaded:  # else the choice, once read, asks for them
            self.load_totals()

    def _form(self) -> QWidget:
        panel = QWidget()
        outer = QVBoxLayout(panel)
        outer.addWidget(styled_label("Give points", "counts"))
        form = QFormLayout()
        self.kind = QComboBox()
        for kind in RewardType:
            self.kind.addItem(kind.value, kind.value)
        self.category = QComboBox()
        for category in RewardCategory:
            self.category.addItem(category.value, category.value)
        self.points = QSpinBox()
        self.points.setRange(1, 1000)
        self.points.setValue(5)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("What it is for (required)")
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        form.addRow("Kind", self.kind)
        form.addRow("Category", self.category)
        form.addRow("Points", self.points)
        form.addRow("Reason", self.reason)
        form.addRow("", self.save_button)
        outer.addLayout(form)
        outer.addStretch(1)
        self.save_button.clicked.connect(self.save)
        return panel

    def _on_students(self, students: tuple[StudentRow, ...]) -> None:
        self._students = students
        self._fill_students()

    def _fill_students(self) -> None:
        """The students of the picked branch in the chooser, keeping the one chosen if it is
        still there."""
        if self._students is None:
            return
        keep = self.branch.choice.keeps(attrgetter("branch_id"))
        before = self.student_id()
        self.student.blockSignals(True)
        self.student.clear()
        for s in self._students:
            if keep is None or keep(s):
                self.student.addItem(f"{s.name} ({s.enrollment_no})", s.id)
        index = next((i for i in range(self.student.count())
                      if self.student.itemData(i) == before), 0)
        self.student.setCurrentIndex(index if self.student.count() else -1)
        self.student.blockSignals(False)
        if self.student.count():
            self.load_student()
        else:
            self.model.set_rows([])
            self.balance.setText("No students in this branch.")

    def _on_branch_selection(self, _selection: object) -> None:
        self._fill_students()
        self.load_totals()

    def load_totals(self) -> None:
        """The points of the picked branch's students, added up in the database."""
        replica, branches = self._ctx.replica, self.branch.selection
        self._ctx.tasks.run_db(lambda: points_totals(replica, branches), self._on_totals,
                               self._on_failed)

    def _on_totals(self, totals: PointsTotals) -> None:
        self.shown_totals = totals
        where = self.branch.choice.label if self.branch.choice.several else "All students"
        self.totals.setText(
            f"{where}: {totals.students} student{'s' if totals.students != 1 else ''} with "
            f"points – rewards +{totals.rewards}, penalties −{totals.penalties}, net "
            f"{totals.net:+d} (points voided on appeal are left out)")

    def student_id(self) -> uuid.UUID | None:
        value = self.student.currentData()
        return value if isinstance(value, uuid.UUID) else None

    def load_student(self) -> None:
        student_id = self.student_id()
        if student_id is None:
            return
        replica = self._ctx.replica
        self._ctx.tasks.run_db(lambda: student_points(replica, student_id), self._on_points,
                               self._on_failed)

    def _on_points(self, points: StudentPoints) -> None:
        self.model.set_rows(points.history)
        self.balance.setText(f"Balance: {points.balance:+d} points")
        self.current = None
        self.sig_loaded.emit()

    def _on_pick(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current = self.model.row_at(current.row()) if current.isValid() else None

    def _write(self, fn: Callable[[], object], then: Callable[[], None] | None = None) -> None:
        save_in_background(self._ctx.tasks, self.message, fn, saved=self._saved,
                           failed=self._on_failed, then=then)

    def _saved(self) -> None:
        self.sig_saved.emit()
        self.load_student()
        self.load_totals()

    def save(self) -> None:
        student_id = self.student_id()
        if student_id is None:
            self.message.setText("Choose the student first.")
            return
        replica, actor = self._ctx.replica, self._ctx.actor
        kind, category = self.kind.currentData(), self.category.currentData()
        points, reason = self.points.value(), self.reason.text()
        self._write(lambda: record_points(replica, actor, student_id, kind, category, reason,
                                          points, date.today()), self.reason.clear)

    def record_appeal(self) -> None:
        if self.current is None:
            return
        replica, actor, entry, text = (self._ctx.replica, self._ctx.actor, self.current.id,
                                       self.appeal_text.text())
        self._write(lambda: appeal(replica, actor, entry, text), self.appeal_text.clear)

    def decide(self, accepted: bool) -> None:
        if self.current is None:
            return
        replica, actor, entry, text = (self._ctx.replica, self._ctx.actor, self.current.id,
                                       self.appeal_text.text())
        self._write(lambda: resolve_appeal(replica, actor, entry, accepted=accepted, note=text),
                    self.appeal_text.clear)

    def _on_failed(self, exc: BaseException) -> None:
        self.message.setText(not_saved(exc))
