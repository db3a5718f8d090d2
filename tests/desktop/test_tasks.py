"""The task manager's callbacks: a result for a receiver Qt has deleted is dropped."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from desktop_app.tasks import TaskManager


class _Receiver(QObject):
    sig_changed = Signal(int)

    def __init__(self, calls: list[int]) -> None:
        super().__init__()
        self._calls = calls

    def on_done(self, value: int) -> None:
        self._calls.append(value)
        self.sig_changed.emit(value)  # raises once the C++ object is gone


def test_a_result_for_a_deleted_receiver_is_dropped(qtbot: QtBot, tasks: TaskManager) -> None:
    calls: list[int] = []
    release = threading.Event()
    gone = _Receiver(calls)
    kept = _Receiver(calls)
    tasks.run_db(lambda: release.wait(5) and 1, gone.on_done)
    tasks.run_db(lambda: 2, kept.on_done)
    shiboken6.delete(gone)  # as a window deleted (sign-out) while its work still runs
    release.set()
    qtbot.waitUntil(lambda: tasks.idle, timeout=5000)
    assert calls == [2]
