"""A write from a screen keeps what the person typed until it is saved (desktop_app/saving.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from desktop_app.saving import save_in_background
from desktop_app.tasks import TaskManager
from institute_core.validation import InvalidInput, not_saved


def _form(qtbot: QtBot) -> tuple[QLabel, QLineEdit, list[str]]:
    message, typed = QLabel("Not saved – the last try"), QLineEdit("Paid by cheque 0042")
    qtbot.addWidget(message)
    qtbot.addWidget(typed)
    return message, typed, []


def test_a_refused_write_keeps_the_text_and_says_why(qtbot: QtBot, tasks: TaskManager) -> None:
    message, typed, events = _form(qtbot)

    def refuse() -> None:
        raise InvalidInput("reward_points", "reason", "is required: say what it is for")

    save_in_background(tasks, message, refuse, saved=lambda: events.append("saved"),
                       failed=lambda exc: message.setText(not_saved(exc)), then=typed.clear)
    assert message.text() == ""  # the last message goes as soon as the person saves again
    qtbot.waitUntil(lambda: message.text() != "")
    assert message.text() == "Not saved – Reason: is required: say what it is for"
    assert typed.text() == "Paid by cheque 0042" and events == []


def test_a_saved_write_clears_the_text_before_the_screen_reloads(qtbot: QtBot,
                                                                   tasks: TaskManager) -> None:
    message, typed, events = _form(qtbot)
    save_in_background(tasks, message, lambda: None,
                       saved=lambda: events.append(f"saved with {typed.text()!r}"),
                       failed=lambda exc: events.append(f"failed {exc}"), then=typed.clear)
    qtbot.waitUntil(lambda: bool(events))
    assert events == ["saved with ''"] and message.text() == ""
