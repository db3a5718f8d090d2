"""A person's one-off message, typed: to an inquiry (the CRM panel) or to a student's guardian
(the student page's "Guardians and messages" tab).

The caller gives the function that queues it (`to_inquiry.send_to_inquiry` or
`send_to_guardian`), run on the database thread: queued as a synced row for the server to send,
offline too. A refusal (an empty or over-long text, no contact for the channel, an opt-out)
names the field and keeps what was typed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context import AppContext
from desktop_app.widgets import close_and_act, styled_label, title_label
from institute_core.enums import Channel
from institute_core.messaging.segments import sms_length
from institute_core.validation import person_message

CHANNEL_TITLES = {Channel.SMS: "SMS", Channel.WHATSAPP: "WhatsApp", Channel.EMAIL: "Email"}
# Queues (channel, text, email subject) and returns the message id; runs on the database thread.
Send = Callable[[str, str, str | None], uuid.UUID]


class OneOffMessageDialog(QDialog):
    """Emits `sig_sent(message id)` and closes once the message is queued."""

    sig_sent = Signal(object)

    def __init__(self, ctx: AppContext, to: str, phone: str, email: str, send: Send,
                 channel: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._send = ctx, send
        self.setWindowTitle(f"Message to {to}")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 34)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(f"Message to {to}"))
        layout.addWidget(styled_label(" · ".join(b for b in (phone, email) if b), "subtitle"))
        form = QFormLayout()
        self.channel = QComboBox()
        for kind in Channel:
            self.channel.addItem(CHANNEL_TITLES[kind], kind.value)
        preferred = channel or (Channel.EMAIL.value if email and not phone else None)
        if preferred is not None and self.channel.findData(preferred) >= 0:
            self.channel.setCurrentIndex(self.channel.findData(preferred))
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("Subject of the email")
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Message text")
        self.text.setMinimumHeight(self.fontMetrics().height() * 6)
        form.addRow("Send by", self.channel)
        form.addRow("Subject", self.subject)
        form.addRow("Text", self.text)
        layout.addLayout(form)
        self.length = styled_label("", "hint")
        layout.addWidget(self.length)
        layout.addWidget(styled_label("Queued here and sent by the server at its next sync.",
                                      "hint"))
        self.message = styled_label("", "message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons, self.send_button = close_and_act(self, "Queue message")
        layout.addLayout(buttons)
        self.send_button.clicked.connect(self.send)
        self.channel.currentIndexChanged.connect(self._on_changed)
        self.text.textChanged.connect(self._on_changed)
        self._on_changed()

    @property
    def chosen_channel(self) -> str:
        return str(self.channel.currentData())

    def _on_changed(self) -> None:
        email = self.chosen_channel == Channel.EMAIL
        self.subject.setEnabled(email)
        self.message.setText("")  # a refusal was about what has just been changed
        # SMS and WhatsApp are billed by parts: the count is shown as the counselor types.
        self.length.setText("" if email else sms_length(self.text.toPlainText()).describe())

    def send(self) -> None:
        """Queue the message on the database thread."""
        send, channel = self._send, self.chosen_channel
        text = self.text.toPlainText()
        subject = self.subject.text().strip() or None if channel == Channel.EMAIL else None
        self.send_button.setEnabled(False)
        self.message.setText("")
        self._ctx.tasks.run_db(lambda: send(channel, text, subject), self._on_sent,
                               self._on_refused)

    def _on_sent(self, message_id: uuid.UUID) -> None:
        self.sig_sent.emit(message_id)
        self.accept()

    def _on_refused(self, error: BaseException) -> None:
        self.send_button.setEnabled(True)
        self.message.setText(person_message(error))
        self.adjustSize()
