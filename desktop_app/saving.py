"""One write asked for from a screen: off the GUI thread, with what was typed kept until saved."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel

from desktop_app.tasks import FailureCallback, TaskManager


def save_in_background(tasks: TaskManager, message: QLabel, work: Callable[[], object], *,
                       saved: Callable[[], None], failed: FailureCallback,
                       then: Callable[[], None] | None = None) -> None:
    """Run `work` on the database thread; the last message goes at once.

    `then` (clearing what was typed) runs only once the write is saved, before `saved`
    (telling others, reloading): a refused write leaves the person's text where it was.
    """
    message.setText("")

    def done(_result: object) -> None:
        if then is not None:
            then()
        saved()

    tasks.run_db(work, done, failed)
