"""The administrators' Messages section: templates (edited with their variables checked, the
SMS size counted as one types, and a preview filled with a real student's data) and triggers
(switched on and tuned), each the institute's or a branch's own (the branch picker shows a
branch's own with the institute's). Refusals name the field and write nothing; reads and
writes run on the database worker."""

from __future__ import annotations

import uuid
from operator import attrgetter
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QItemSelection, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.branches.picker import BranchPicker
from desktop_app.context import AppContext
from desktop_app.models import Column, RowsModel
from desktop_app.widgets import index_of, styled_label, table_view, title_label
from institute_core.display import money
from institute_core.enums import Channel, DeliveryStatus, MessageEvent
from institute_core.messaging import admin
from institute_core.messaging.admin import Preview
from institute_core.messaging.report import MonthChannel, monthly_report
from institute_core.messaging.segments import sms_length
from institute_core.messaging.templates import VARIABLES
from institute_core.schema import MessageTemplate, MessageTrigger
from institute_core.validation import person_message

R = TypeVar("R")
EVENT_WORDS = {MessageEvent.ABSENT: "Absent", MessageEvent.FEE_DUE: "Fee due",
               MessageEvent.FOLLOW_UP_DUE: "Follow-up due (to the counselor)",
               MessageEvent.SESSION_CANCELLED: "Session cancelled",
               MessageEvent.SESSION_RESCHEDULED: "Session rescheduled",
               MessageEvent.AT_RISK: "Student at risk"}
TEMPLATE_COLUMNS: list[Column[MessageTemplate]] = [
    Column("Event", lambda t: EVENT_WORDS.get(MessageEvent(t.event), t.event)),
    Column("Language", lambda t: t.language),
    Column("Channel", lambda t: t.channel),
    Column("Text", lambda t: t.body, tooltip=lambda t: t.body),
]
TRIGGER_COLUMNS: list[Column[MessageTrigger]] = [
    Column("Trigger", lambda t: t.name),
    Column("Event", lambda t: EVENT_WORDS.get(MessageEvent(t.event), t.event)),
    Column("On", lambda t: "on" if t.enabled else "off",
           lambda t: "#e3f3d8" if t.enabled else "#eeeeee"),
    Column("After absences", lambda t: str(t.after_absences), align_right=True),
    Column("Grace (min)", lambda t: str(t.grace_minutes), align_right=True),
    Column("Days before due", lambda t: "" if t.event != MessageEvent.FEE_DUE
           else "overdue" if t.days_before is None else str(t.days_before), align_right=True),
]


def _branch_column(picker: BranchPicker) -> Column[Any]:
    """Whose template or trigger a row is: the institute's, or a branch's own."""
    def name(row: Any) -> str:
        if row.branch_id is None:
            return "Institute"
        return next((o.name for o in picker.choice.options if o.id == row.branch_id), "?")
    return Column("Branch", name)


class BranchBox(QComboBox):
    """"Whole institute" or one of the user's branches: whose template or trigger it is."""

    def __init__(self, picker: BranchPicker) -> None:
        super().__init__()
        self._picker = picker
        self.setAccessibleName("Template or trigger of")
        picker.choice.changed.connect(self._fill)
        self._fill()

    def _fill(self) -> None:
        kept = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem("Whole institute", None)
        for option in self._picker.choice.options:
            self.addItem(option.name, option.id)
        self.blockSignals(False)
        self.pick(kept if kept is not None else self._picker.choice.chosen)

    def pick(self, branch_id: uuid.UUID | None) -> None:
        self.setCurrentIndex(max(0, index_of(self, branch_id)))


def _event_combo() -> QComboBox:
    combo = QComboBox()
    for event, words in EVENT_WORDS.items():
        combo.addItem(words, event.value)
    return combo


class _ListAndEditor(QWidget, Generic[R]):
    """A list of rows on the left (read by `_read` on the database worker), an editor on the
    right; saving shows a refusal in `message` or reloads the list."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, columns: list[Column[R]], picker: BranchPicker,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.row_layout = QHBoxLayout(self)
        self.model: RowsModel[R] = RowsModel([*columns, _branch_column(picker)], self)
        # The picked branch's own rows and the institute's (which speak for it where it has
        # none of its own).
        picker.filter_rows(self.model, attrgetter("branch_id"), everywhere=True)
        self.branch_box = BranchBox(picker)
        self.view = table_view()
        self.view.setModel(self.model)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.row_layout.addWidget(self.view, 3)
        self.message = styled_label("", "error")

    def _read(self) -> list[R]:
        raise NotImplementedError

    def load(self) -> None:
        self._ctx.tasks.run_db(self._read, self.model.set_rows, self._on_failed)

    def _on_failed(self, error: BaseException) -> None:
        self.message.setText(person_message(error))

    def _on_selection(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            self._show(self.model.row_at(rows[0].row()))

    def _show(self, row: R) -> None:
        raise NotImplementedError

    def _on_saved(self, _row_id: uuid.UUID) -> None:
        self.message.setText("")
        self.sig_saved.emit()
        self.load()


class TemplatesTab(_ListAndEditor[MessageTemplate]):
    """Templates on the left, the editor on the right."""

    def __init__(self, ctx: AppContext, picker: BranchPicker,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, TEMPLATE_COLUMNS, picker, parent)
        layout = self.row_layout
        editor = QVBoxLayout()
        form = QFormLayout()
        self.event_box = _event_combo()
        self.language = QLineEdit("en")
        self.language.setMaxLength(35)
        self.channel = QComboBox()
        for channel in Channel:
            self.channel.addItem({"sms": "SMS", "whatsapp": "WhatsApp",
                                  "email": "Email"}[channel.value], channel.value)
        self.subject = QLineEdit()
        self.body = QPlainTextEdit()
        self.provider = QLineEdit()
        self.provider.setPlaceholderText("DLT template id (SMS) or approved name (WhatsApp)")
        form.addRow("Event", self.event_box)
        form.addRow("Language", self.language)
        form.addRow("Channel", self.channel)
        form.addRow("Subject", self.subject)
        form.addRow("Text", self.body)
        form.addRow("At the provider", self.provider)
        form.addRow("For", self.branch_box)
        editor.addLayout(form)
        self.variables = styled_label("", "hint")
        self.length = styled_label("", "hint")
        self.preview = styled_label("", "preview")
        for label in (self.variables, self.length, QLabel("Preview:"), self.preview,
                      self.message):
            editor.addWidget(label)
        self.save_button = QPushButton("Save template")
        self.save_button.clicked.connect(self.save)
        editor.addWidget(self.save_button)
        editor.addStretch(1)
        layout.addLayout(editor, 2)
        # The preview reads the replica: once typing pauses, not at every key.
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(300)
        self._preview_timer.timeout.connect(self._do_preview)
        for signal in (self.event_box.currentIndexChanged, self.channel.currentIndexChanged):
            signal.connect(self._on_changed)
        self.body.textChanged.connect(self._on_changed)
        self._on_changed()

    def _read(self) -> list[MessageTemplate]:
        return admin.templates(self._ctx.replica)

    def _show(self, t: MessageTemplate) -> None:
        self.event_box.setCurrentIndex(index_of(self.event_box, t.event))
        self.language.setText(t.language)
        self.channel.setCurrentIndex(index_of(self.channel, t.channel))
        self.subject.setText(t.subject or "")
        self.body.setPlainText(t.body)
        self.provider.setText(t.provider_template or "")
        self.branch_box.pick(t.branch_id)

    def _on_changed(self) -> None:
        event = MessageEvent(self.event_box.currentData())
        self.variables.setText("Variables: " + ", ".join(
            "{" + name + "}" for name in VARIABLES[event]))
        self.subject.setEnabled(self.channel.currentData() == Channel.EMAIL)
        self.message.setText("")  # a refusal was about the text before this change
        text = self.body.toPlainText()
        # The size of the text as typed (the preview below counts it filled in).
        self.length.setText("" if self.channel.currentData() == Channel.EMAIL
                            else f"As typed: {sms_length(text).describe()}")
        self._preview_timer.start()

    def _do_preview(self) -> None:
        replica = self._ctx.replica
        event, body, channel = (self.event_box.currentData(), self.body.toPlainText(),
                                self.channel.currentData())
        self._ctx.tasks.run_db(
            lambda: admin.preview_with_real_data(replica, event, body, channel),
            self._on_preview, lambda e: self.preview.setText(person_message(e)))

    def _on_preview(self, found: Preview) -> None:
        size = f"\n({found.length.describe()})" if found.length is not None else ""
        self.preview.setText(f"{found.text}{size}\n— with the data of {found.who}")

    def save(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        fields = dict(event=self.event_box.currentData(), language=self.language.text(),
                      channel=self.channel.currentData(), body=self.body.toPlainText(),
                      subject=self.subject.text() or None,
                      provider_template=self.provider.text().strip() or None,
                      branch_id=self.branch_box.currentData())
        self._ctx.tasks.run_db(lambda: admin.save_template(replica, actor, **fields),
                               self._on_saved, self._on_failed)


class TriggersTab(_ListAndEditor[MessageTrigger]):
    """Triggers on the left, the selected (or a new) one's settings on the right."""

    def __init__(self, ctx: AppContext, picker: BranchPicker,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, TRIGGER_COLUMNS, picker, parent)
        self._editing: uuid.UUID | None = None
        layout = self.row_layout
        editor = QVBoxLayout()
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setMaxLength(100)
        self.event_box = _event_combo()
        self.enabled = QCheckBox("Switched on")
        self.after_absences = QSpinBox()
        self.after_absences.setRange(1, 30)
        self.grace = QSpinBox()
        self.grace.setRange(0, 1440)
        self.grace.setValue(15)
        self.grace.setSuffix(" min")
        self.overdue = QCheckBox("Overdue (no days before)")
        self.days_before = QSpinBox()
        self.days_before.setRange(0, 60)
        self.days_before.setValue(3)
        form.addRow("Name", self.name)
        form.addRow("Event", self.event_box)
        form.addRow("", self.enabled)
        form.addRow("Absences in a row", self.after_absences)
        form.addRow("Grace before sending", self.grace)
        form.addRow("Days before due", self.days_before)
        form.addRow("", self.overdue)
        form.addRow("For", self.branch_box)
        editor.addLayout(form)
        editor.addWidget(self.message)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New trigger")
        self.save_button = QPushButton("Save trigger")
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        editor.addLayout(buttons)
        editor.addStretch(1)
        layout.addLayout(editor, 2)
        self.new_button.clicked.connect(self._on_new)
        self.save_button.clicked.connect(self.save)
        self.event_box.currentIndexChanged.connect(self._on_event)
        self.overdue.toggled.connect(lambda on: self.days_before.setEnabled(not on))
        self._on_event()

    def _read(self) -> list[MessageTrigger]:
        return admin.triggers(self._ctx.replica)

    def _on_event(self) -> None:
        event = self.event_box.currentData()
        self.after_absences.setEnabled(event == MessageEvent.ABSENT)
        fee = event == MessageEvent.FEE_DUE
        self.overdue.setEnabled(fee)
        self.days_before.setEnabled(fee and not self.overdue.isChecked())

    def _on_new(self) -> None:
        self._editing = None
        self.view.clearSelection()
        self.name.clear()
        self.enabled.setChecked(False)
        self.name.setFocus()

    def _show(self, t: MessageTrigger) -> None:
        self._editing = t.id
        self.name.setText(t.name)
        self.event_box.setCurrentIndex(index_of(self.event_box, t.event))
        self.enabled.setChecked(t.enabled)
        self.after_absences.setValue(t.after_absences)
        self.grace.setValue(t.grace_minutes)
        self.overdue.setChecked(t.days_before is None)
        if t.days_before is not None:
            self.days_before.setValue(t.days_before)
        self.branch_box.pick(t.branch_id)
        self._on_event()

    def save(self) -> None:
        replica, actor = self._ctx.replica, self._ctx.actor
        event = self.event_box.currentData()
        days = None if event != MessageEvent.FEE_DUE or self.overdue.isChecked() \
            else self.days_before.value()
        fields = dict(name=self.name.text(), event=event, enabled=self.enabled.isChecked(),
                      after_absences=self.after_absences.value(),
                      grace_minutes=self.grace.value(), days_before=days,
                      trigger_id=self._editing, branch_id=self.branch_box.currentData())
        self._ctx.tasks.run_db(lambda: admin.save_trigger(replica, actor, **fields),  # type: ignore[arg-type]
                               self._on_saved, self._on_failed)

    def _on_saved(self, row_id: uuid.UUID) -> None:
        self._editing = row_id
        super()._on_saved(row_id)


COST_COLUMNS: list[Column[MonthChannel]] = [
    Column("Month", lambda m: f"{m.month:%b %Y}"),
    Column("Channel", lambda m: m.channel),
    Column("Sent", lambda m: str(m.sent), align_right=True),
    Column("Failed", lambda m: str(m.by_status.get(DeliveryStatus.FAILED, 0)),
           align_right=True),
    Column("Blocked", lambda m: str(m.by_status.get(DeliveryStatus.BLOCKED, 0)),
           align_right=True),
    Column("Queued", lambda m: str(m.by_status.get(DeliveryStatus.QUEUED, 0)),
           align_right=True),
    Column("SMS parts", lambda m: str(m.segments), align_right=True),
    Column("Cost", lambda m: money(m.cost), align_right=True),
]


class CostsTab(QWidget):
    """Messages and their cost per month and channel, as the server recorded them (the
    deliveries an admin desk pulls; `institute-sync-server dispatch --report` prints the same)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        layout = QVBoxLayout(self)
        self.model: RowsModel[MonthChannel] = RowsModel(COST_COLUMNS, self)
        self.view = table_view()
        self.view.setModel(self.model)
        layout.addWidget(self.view, 1)
        self.message = styled_label("", "message")
        layout.addWidget(self.message)

    def load(self) -> None:
        replica = self._ctx.replica

        def _do_report() -> list[MonthChannel]:
            with replica.read() as session:
                return monthly_report(session)
        self._ctx.tasks.run_db(_do_report, self._on_loaded,
                               lambda e: self.message.setText(person_message(e)))

    def _on_loaded(self, months: list[MonthChannel]) -> None:
        self.model.set_rows(months)
        self.message.setText("" if months else "No message has reached the server yet.")


class MessagesAdminView(QWidget):
    """Templates, triggers and costs, one tab each."""

    sig_saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(title_label("Messages"), 1)
        self.branch = BranchPicker(ctx)
        head.addWidget(self.branch)
        layout.addLayout(head)
        self.tabs = QTabWidget()
        self.templates = TemplatesTab(ctx, self.branch)
        self.triggers = TriggersTab(ctx, self.branch)
        self.tabs.addTab(self.templates, "Templates")
        self.tabs.addTab(self.triggers, "Triggers")
        self.costs = CostsTab(ctx)
        self.tabs.addTab(self.costs, "Costs")
        self.costs.load()
        layout.addWidget(self.tabs, 1)
        for tab in (self.templates, self.triggers):
            tab.sig_saved.connect(self.sig_saved)
            tab.load()
