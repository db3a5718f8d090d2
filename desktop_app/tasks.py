"""The one background-task helper of the app (after Anki's taskman and Picard's run_task).

- Database work runs on ONE worker thread (`run_db`), so writes keep the order they were asked
  in and never contend with each other; network work runs on a small pool (`run_net`).
- Results come back on the GUI thread through a queued signal, to `on_success` or
  `on_failure` callbacks; a worker never touches a widget.
- Long jobs get a `JobState`: progress reported from the worker, cancellation asked from the GUI
  and checked by the job between steps. Threads are never killed and the GUI never spins
  `processEvents()`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]


class JobState(QObject):
    """Progress and cancellation of one long job, shared by the worker and the GUI."""

    sig_progress = Signal(int, int, str)  # done, total (0 = unknown), message

    def __init__(self) -> None:
        super().__init__()
        self._cancelled = threading.Event()
        self._hooks: list[Callable[[], None]] = []

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Also call `hook` when cancelled (e.g. a sync client's own cancel token)."""
        self._hooks.append(hook)
        if self.cancelled:
            hook()

    def report(self, done: int, total: int = 0, message: str = "") -> None:
        """Called from the worker; delivered to GUI-thread slots by a queued connection."""
        self.sig_progress.emit(done, total, message)

    def cancel(self) -> None:
        self._cancelled.set()
        for hook in self._hooks:
            hook()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, the GUI thread runs the callbacks.

    The callbacks are called from slots of this QObject: a queued connection to a QObject's
    slot is what guarantees they run on the GUI thread (a bare callable may run on the worker).
    """

    sig_done = Signal(object)
    sig_failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None],
                 on_failed: Callable[[BaseException], None]) -> None:
        super().__init__()
        self._on_done_cb = on_done
        self._on_failed_cb = on_failed
        self.sig_done.connect(self._on_done)
        self.sig_failed.connect(self._on_failed)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        self._on_done_cb(result)

    @Slot(object)
    def _on_failed(self, exc: Any) -> None:
        self._on_failed_cb(exc)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # every failure goes back to the GUI thread
            log.debug("background task failed", exc_info=True)
            self._relay.sig_failed.emit(exc)
        else:
            self._relay.sig_done.emit(result)


def _receiver_deleted(callback: Callable[..., object]) -> bool:
    """True when `callback` is a method of a QObject that Qt has deleted since the task began.

    A window closed and deleted while its work ran (sign-out during a sync, the status bar's
    recount) gets the result like Qt drops a queued signal to a deleted receiver: not at all,
    instead of a "Signal source has been deleted" error from the callback.
    """
    owner = getattr(callback, "__self__", None)
    return isinstance(owner, QObject) and not shiboken6.isValid(owner)


class TaskManager(QObject):
    """Runs functions off the GUI thread and calls back on it."""

    sig_busy_changed = Signal(bool)
    # Every manager alive, so that tests can check none is left with a running thread.
    instances: ClassVar[weakref.WeakSet[TaskManager]] = weakref.WeakSet()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        TaskManager.instances.add(self)
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)
        self._net = QThreadPool(self)
        self._net.setMaxThreadCount(2)
        self._pending: set[_Relay] = set()

    def run_db(self, fn: Callable[[], Any], on_success: SuccessCallback | None = None,
               on_failure: FailureCallback | None = None) -> None:
        """Queue database work on the single database thread (order is kept)."""
        self._start(self._db, fn, on_success, on_failure)

    def run_net(self, fn: Callable[[], Any], on_success: SuccessCallback | None = None,
                on_failure: FailureCallback | None = None) -> None:
        """Run network work (sync, online sign-in) on the network pool."""
        self._start(self._net, fn, on_success, on_failure)

    def _start(self, pool: QThreadPool, fn: Callable[[], Any],
               on_success: SuccessCallback | None, on_failure: FailureCallback | None) -> None:
        holder: list[_Relay] = []

        def finished(result: Any) -> None:
            self._forget(holder[0])
            if on_success is not None and not _receiver_deleted(on_success):
                on_success(result)

        def failed(exc: BaseException) -> None:
            self._forget(holder[0])
            if on_failure is None:
                log.error("background task failed: %s", exc, exc_info=exc)
            elif _receiver_deleted(on_failure):
                log.debug("background task failed after its receiver was deleted", exc_info=exc)
            else:
                on_failure(exc)

        relay = _Relay(finished, failed)
        holder.append(relay)
        was_idle = not self._pending
        self._pending.add(relay)
        if was_idle:
            self.sig_busy_changed.emit(True)
        pool.start(_Task(fn, relay))

    def _forget(self, relay: _Relay) -> None:
        self._pending.discard(relay)
        relay.deleteLater()
        if not self._pending:
            self.sig_busy_changed.emit(False)

    def active_threads(self) -> int:
        """Threads of this manager running a task now."""
        return self._db.activeThreadCount() + self._net.activeThreadCount()

    @property
    def idle(self) -> bool:
        """True when no task is queued or running and every callback has run."""
        return not self._pending

    def wait_db(self, timeout_ms: int = 5000) -> bool:
        """Block until queued database work is done: only for shutdown, so nothing is lost."""
        return self._db.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Let running work finish (threads are never killed) and stop taking new work."""
        self._db.waitForDone(timeout_ms)
        self._net.waitForDone(timeout_ms)
