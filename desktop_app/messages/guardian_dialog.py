"""Adding or changing a guardian on the student page, and the channels their contacts opted
out of (with who recorded it and when).

The guardian is saved through `messaging.contacts.save_guardian` (phones normalised as the
CRM does); a refusal names the field and the form keeps what was typed. Opt-outs are a message
manager's (`messages.manage`) and are recorded per contact and channel with `set_consent`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import close_and_act, index_of, styled_label, title_label
from institute_core.display import short_moment
from institute_core.enums import Channel, GuardianRelation
from institute_core.messaging.access import MANAGE
from institute_core.messaging.contacts import (
    GuardianInput,
    GuardianLine,
    save_guardian,
    set_consent,
)
from institute_core.replica import Actor, Replica
from institute_core.validation import InvalidInput, person_message

CHANNEL_WORDS = {Channel.SMS.value: "SMS", Channel.WHATSAPP.value: "WhatsApp",
                 Channel.EMAIL.value: "Email"}
LANGUAGES = (("en", "English"), ("hi", "Hindi"))


def consent_text(line: GuardianLine) -> str:
    """Each recorded choice in words: "SMS: opted out by Asha Rao, 06 Dec 10:15"."""
    parts = []
    for c in line.consents:
        what = "opted out" if c.opted_out else "opted back in"
        by = f" by {c.by}" if c.by else (" by a STOP reply" if c.source == "stop_reply" else "")
        parts.append(f"{CHANNEL_WORDS.get(c.channel, c.channel)}: {what}{by}, "
                     f"{short_moment(c.at)}")
    return "; ".join(parts)


@dataclass(frozen=True)
class ConsentChange:
    channel: str
    opted_out: bool


def _do_save(replica: Replica, actor: Actor, student_id: uuid.UUID, data: GuardianInput,
             guardian_id: uuid.UUID | None, changes: tuple[ConsentChange, ...]) -> uuid.UUID:
    saved = save_guardian(replica, actor, student_id, data, guardian_id)
    for change in changes:
        contact = data.email if change.channel == Channel.EMAIL else data.phone
        if not (contact or "").strip():
            field = "email" if change.channel == Channel.EMAIL else "phone"
            raise InvalidInput("guardians", field, f"is needed to record an opt-out of "
                               f"{CHANNEL_WORDS[change.channel]}")
        set_consent(replica, actor, contact or "", change.channel, opted_out=change.opted_out)
    return saved


class GuardianDialog(QDialog):
    """Emits `sig_saved(guardian id)` and closes once saved."""

    sig_saved = Signal(object)

    def __init__(self, ctx: AppContext, student_id: uuid.UUID, parent: QWidget | None = None,
                 guardian: GuardianLine | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._student_id, self._guardian = ctx, student_id, guardian
        heading = "Change a guardian" if guardian is not None else "Add a guardian"
        self.setWindowTitle(heading)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(heading))
        form = QFormLayout()
        self.name = QLineEdit()
        self.relation = QComboBox()
        for relation in GuardianRelation:
            self.relation.addItem(relation.value.title(), relation.value)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("e.g. 98765 43210")
        self.email = QLineEdit()
        self.channel = QComboBox()
        for channel, words in CHANNEL_WORDS.items():
            self.channel.addItem(words, channel)
        self.language = QComboBox()
        self.language.setEditable(True)  # any template language code ("ta", "mr" ...)
        for code, words in LANGUAGES:
            self.language.addItem(f"{words} ({code})", code)
        self.primary = QCheckBox("Alerts go to this guardian (primary)")
        for label, widget in (("Name", self.name), ("Relation", self.relation),
                              ("Phone", self.phone), ("Email", self.email),
                              ("Preferred channel", self.channel), ("Language", self.language),
                              ("", self.primary)):
            form.addRow(label, widget)
        self.opt_out: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        may = ctx.user.may(MANAGE)
        for channel, words in CHANNEL_WORDS.items():
            box = QCheckBox(words)
            box.setEnabled(may)
            if not may:
                box.setToolTip("Opt-outs are recorded by who manages messages")
            self.opt_out[channel] = box
            row.addWidget(box)
        row.addStretch(1)
        form.addRow("Opted out of", row)
        self.recorded = styled_label("", "hint")
        self.recorded.setWordWrap(True)
        form.addRow("", self.recorded)
        layout.addLayout(form)
        self.message = styled_label("", "message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons, self.save_button = close_and_act(self, "Save")
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save)
        if guardian is not None:
            self._fill(guardian)

    def _fill(self, g: GuardianLine) -> None:
        self.name.setText(g.name)
        self.relation.setCurrentIndex(max(0, index_of(self.relation, g.relation)))
        self.phone.setText(g.phone)
        self.email.setText(g.email)
        self.channel.setCurrentIndex(max(0, index_of(self.channel, g.preferred_channel)))
        found = index_of(self.language, g.language)
        if found >= 0:
            self.language.setCurrentIndex(found)
        else:
            self.language.setEditText(g.language)
        self.primary.setChecked(g.is_primary)
        for channel, box in self.opt_out.items():
            box.setChecked(channel in g.opted_out)
        self.recorded.setText(consent_text(g))

    def _language(self) -> str:
        text = self.language.currentText().strip()
        data = self.language.currentData()
        # A picked item shows "Hindi (hi)"; a typed one is the code itself.
        return str(data) if data is not None and self.language.itemText(
            self.language.currentIndex()) == text else text

    def entered(self) -> GuardianInput:
        return GuardianInput(
            name=self.name.text(), relation=str(self.relation.currentData()),
            phone=self.phone.text(), email=self.email.text(),
            preferred_channel=str(self.channel.currentData()), language=self._language(),
            is_primary=self.primary.isChecked())

    def _changes(self) -> tuple[ConsentChange, ...]:
        before = set(self._guardian.opted_out) if self._guardian is not None else set()
        return tuple(ConsentChange(channel, box.isChecked())
                     for channel, box in self.opt_out.items()
                     if box.isChecked() != (channel in before))

    def save(self) -> None:
        """Save on the database thread; a refusal is shown by field and nothing is lost."""
        replica, actor, student_id = self._ctx.replica, self._ctx.actor, self._student_id
        data, changes = self.entered(), self._changes()
        guardian_id = self._guardian.id if self._guardian is not None else None
        self.save_button.setEnabled(False)
        self._ctx.tasks.run_db(
            lambda: _do_save(replica, actor, student_id, data, guardian_id, changes),
            self._on_saved, self._on_refused)

    def _on_saved(self, guardian_id: uuid.UUID) -> None:
        self.sig_saved.emit(guardian_id)
        self.accept()

    def _on_refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.setText(person_message(error))
        self.adjustSize()  # room for a reason that wraps onto two lines
