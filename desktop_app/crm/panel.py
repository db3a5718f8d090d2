"""The side panel of one inquiry: details, the score and why, and what to do next."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, time

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.crm.capture import describe_match
from desktop_app.crm.models import STAGE_TITLES, when_text
from desktop_app.widgets import date_field, styled_label, title_label
from institute_core.crm.activity import Activity
from institute_core.crm.duplicates import ContactKind, DuplicateIndex, DuplicateMatch
from institute_core.crm.listing import InquiryRow
from institute_core.enums import FollowUpType, InquiryStatus

OPEN = (InquiryStatus.NEW, InquiryStatus.CONTACTED, InquiryStatus.FOLLOW_UP_SCHEDULED)


class InquiryPanel(QWidget):
    """Shows one inquiry; its buttons ask the section to act (the section does the saving)."""

    sig_schedule = Signal(object, object, str)  # inquiry id, when (aware datetime), type
    sig_lost = Signal(object)  # inquiry id
    sig_enroll = Signal(object)  # InquiryRow
    sig_merge = Signal(object, object)  # keep id, duplicate id
    sig_new = Signal()
    sig_message = Signal(object)  # InquiryRow: a one-off message to it is wanted
    sig_shown = Signal(object)  # inquiry id: its activity is wanted (loaded by the section)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row: InquiryRow | None = None
        self.duplicates: list[DuplicateMatch] = []
        layout = QVBoxLayout(self)
        self.title = title_label("")
        self.details = styled_label("", "subtitle")
        self.score = styled_label("", "counts")
        self.reasons = QListWidget()
        self.reasons.setMaximumHeight(130)
        self.reasons.setAccessibleName("Why this score")
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.score)
        layout.addWidget(self.reasons)
        plan = QHBoxLayout()
        self.follow_date = date_field(QDate.currentDate().addDays(1))
        self.follow_date.setCalendarPopup(True)
        self.follow_date.setDisplayFormat("ddd d MMM yyyy")
        self.follow_type = QComboBox()
        for kind in FollowUpType:
            self.follow_type.addItem(kind.value.capitalize() if kind.value != "sms" else "SMS",
                                     kind.value)
        self.schedule_button = QPushButton("Schedule follow-up")
        plan.addWidget(self.follow_date)
        plan.addWidget(self.follow_type)
        plan.addWidget(self.schedule_button)
        layout.addLayout(plan)
        actions = QHBoxLayout()
        self.enroll_button = QPushButton("Enroll…")
        self.enroll_button.setObjectName("primary")
        self.lost_button = QPushButton("Mark lost…")
        self.new_button = QPushButton("New inquiry")
        self.message_button = QPushButton("Send message…")
        self.message_button.setVisible(False)  # shown to those who may send (allow_messages)
        actions.addWidget(self.enroll_button)
        actions.addWidget(self.lost_button)
        actions.addWidget(self.message_button)
        actions.addStretch(1)
        actions.addWidget(self.new_button)
        layout.addLayout(actions)
        self.dup_title = styled_label("Possible duplicates", "counts")
        self.dup_list = QListWidget()
        self.dup_list.setMaximumHeight(90)
        self.dup_list.setWordWrap(True)
        self.merge_button = QPushButton("Merge into this inquiry")
        layout.addWidget(self.dup_title)
        layout.addWidget(self.dup_list)
        layout.addWidget(self.merge_button)
        layout.addWidget(styled_label("Activity, oldest first", "counts"))
        self.activity = QListWidget()
        self.activity.setAccessibleName("Activity of this inquiry")
        self.activity.setWordWrap(True)
        self.activity.setMinimumHeight(120)
        layout.addWidget(self.activity, 1)
        self.schedule_button.clicked.connect(self._on_schedule)
        self.enroll_button.clicked.connect(lambda: self.row and self.sig_enroll.emit(self.row))
        self.lost_button.clicked.connect(lambda: self.row and self.sig_lost.emit(self.row.id))
        self.new_button.clicked.connect(self.sig_new)
        self.message_button.clicked.connect(lambda: self.row and self.sig_message.emit(self.row))
        self.merge_button.clicked.connect(self._on_merge)

    def allow_messages(self, allowed: bool) -> None:
        """Show "Send message…" to a user who may send messages (`messages.send`)."""
        self.message_button.setVisible(allowed)

    def show_row(self, row: InquiryRow, index: DuplicateIndex) -> None:
        self.row = row
        self.title.setText(row.name)
        bits = [row.phone, row.email, STAGE_TITLES.get(row.status, row.status),
                row.source.replace("_", " "), f"{row.priority} priority" if row.priority else "",
                f"counselor {row.counselor}" if row.counselor else "",
                f"next follow-up {when_text(row.next_follow_up)}" if row.next_follow_up else "",
                f"subjects: {', '.join(row.subjects)}" if row.subjects else "",
                f"tags: {', '.join(row.tags)}" if row.tags else "",
                f"lost: {row.lost_reason}" if row.lost_reason else "", row.notes]
        self.details.setText(" · ".join(b for b in bits if b))
        self.score.setText(f"Lead score {row.score.value} / 100")
        self.reasons.clear()
        for reason in row.score.reasons:
            self.reasons.addItem(str(reason))
        is_open = row.status in OPEN
        self.schedule_button.setEnabled(is_open)
        self.lost_button.setEnabled(is_open)
        self.enroll_button.setEnabled(row.status != InquiryStatus.ENROLLED)
        self.message_button.setEnabled(bool(row.phone or row.email))
        self.duplicates = [m for m in index.check(row.name, row.phone, row.email, exclude=row.id)
                           if m.contact.kind == ContactKind.INQUIRY]
        self.dup_list.clear()
        for match in self.duplicates:
            self.dup_list.addItem(describe_match(match))
        if self.duplicates:
            self.dup_list.setCurrentRow(0)
        for w in (self.dup_title, self.dup_list, self.merge_button):
            w.setVisible(bool(self.duplicates))
        self.activity.clear()
        self.activity.addItem("Loading…")
        self.sig_shown.emit(row.id)

    def show_activity(self, inquiry_id: uuid.UUID, items: Sequence[Activity]) -> None:
        """The inquiry's history, oldest first (ignored when another inquiry is shown now)."""
        if self.row is None or self.row.id != inquiry_id:
            return
        self.activity.clear()
        for item in items:
            self.activity.addItem(item.line())
        if not items:
            self.activity.addItem("Nothing recorded yet.")
        self.activity.scrollToBottom()

    def _on_schedule(self) -> None:
        if self.row is None:
            return
        d = self.follow_date.date()
        when = datetime.combine(datetime(d.year(), d.month(), d.day()).date(),
                                time(11, 0)).astimezone()
        self.sig_schedule.emit(self.row.id, when, self.follow_type.currentData())

    def _on_merge(self) -> None:
        at = self.dup_list.currentRow()
        if self.row is not None and 0 <= at < len(self.duplicates):
            self.sig_merge.emit(self.row.id, self.duplicates[at].contact.id)
