"""Log files rotate in the log folder; an unexpected error is logged, explained, survived."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.logs import LOG_FILENAME, ErrorReporter, error_message, setup_logging
from institute_core.replica import Replica
from institute_core.schema import Subject
from tests.sync.builders import add_subject


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield tmp_path / "logs"
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_log_files_rotate_and_keep_a_bounded_history(log_dir: Path) -> None:
    path = setup_logging(log_dir, max_bytes=4000)
    assert path == log_dir / LOG_FILENAME
    for i in range(400):
        logging.getLogger("desktop_app.test").info("line %d %s", i, "x" * 40)
    files = sorted(p.name for p in log_dir.iterdir())
    assert LOG_FILENAME + ".1" in files and len(files) == 6  # current + 5 older
    assert all(p.stat().st_size <= 4100 for p in log_dir.iterdir())
    assert "line 399" in path.read_text()


def test_unexpected_error_is_logged_explained_and_saves_nothing_half_done(
        qtbot: QtBot, replica: Replica, log_dir: Path) -> None:
    path = setup_logging(log_dir)
    shown: list[str] = []
    reporter = ErrorReporter(path, show=shown.append)
    add_subject(replica, None, "PY101")
    try:
        with replica.write(replica.actor(None)) as s:
            s.add(Subject(name="Half done", code="HALF", duration_hours=10))
            s.flush()
            raise RuntimeError("the printer caught fire")
    except RuntimeError as exc:
        reporter.excepthook(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: len(shown) == 1)
    assert "RuntimeError: the printer caught fire" in shown[0] and str(path) in shown[0]
    assert "Traceback" in path.read_text() and "the printer caught fire" in path.read_text()
    with replica.read() as s:
        assert [x.code for x in s.query(Subject)] == ["PY101"]

    worker = threading.Thread(target=lambda: 1 / 0, name="db-worker")
    reporter.install()
    try:
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(shown) == 2)
    finally:
        import sys

        sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__
    assert "ZeroDivisionError" in shown[1]


def test_the_error_dialog_names_the_log_and_closes(qtbot: QtBot, tmp_path: Path) -> None:
    reporter = ErrorReporter(tmp_path / LOG_FILENAME)
    seen: list[str] = []

    def close_dialog() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.grab().save(str(tmp_path / "error_dialog.png"))
        box.accept()

    QTimer.singleShot(200, close_dialog)
    reporter.sig_error.emit(error_message(KeyError("student 42"), tmp_path / LOG_FILENAME))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "KeyError: 'student 42'" in seen[0] and LOG_FILENAME in seen[0]
