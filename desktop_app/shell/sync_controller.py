"""Background sync for the signed-in window: on a timer and on demand, never blocking the GUI.

The sync function is injected (tests pass a slow fake); it runs on the network pool of the task
manager with a `JobState`, and the status bar learns everything through `sig_status_changed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.sync_bridge import SyncOutcome
from desktop_app.tasks import JobState, TaskManager
from institute_core.replica import Replica
from institute_core.services.conflicts import open_conflicts
from institute_core.sync.errors import NeedsLogin, ServerUnreachable

SyncFunction = Callable[[JobState], SyncOutcome]

DEFAULT_INTERVAL_MS = 3 * 60 * 1000
LAST_SUCCESS_KEY = "desk_last_successful_sync"


@dataclass(frozen=True)
class SyncStatus:
    """Everything the status bar shows."""

    configured: bool
    online: bool | None  # None: not known yet
    running: bool
    pending: int
    conflicts: int
    last_success: datetime | None
    message: str = ""


class SyncController(QObject):
    """Owns the sync timer and the one running sync."""

    sig_status_changed = Signal(object)  # SyncStatus
    sig_needs_login = Signal(str)
    sig_progress = Signal(int, int, str)

    def __init__(self, replica: Replica, tasks: TaskManager, sync_function: SyncFunction | None,
                 *, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._replica = replica
        self._tasks = tasks
        self._sync_function = sync_function
        self._state: JobState | None = None
        last = replica.get_state(LAST_SUCCESS_KEY)
        self.status = SyncStatus(configured=sync_function is not None, online=None,
                                 running=False, pending=0, conflicts=0,
                                 last_success=datetime.fromisoformat(last) if last else None)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sync_now)
        # Edits arrive in bursts (a whole roster); count once after the burst.
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(300)
        self._recount.timeout.connect(self._do_recount)

    def start(self) -> None:
        """Start the timer and show the counts now."""
        if self._sync_function is not None:
            self._timer.start()
        self._do_recount()

    def stop(self) -> None:
        self._timer.stop()
        self._recount.stop()
        if self._state is not None:
            self._state.cancel()

    @property
    def running(self) -> bool:
        return self._state is not None

    def sync_now(self) -> bool:
        """Start a sync unless one is running or no server is configured; True if started."""
        if self._sync_function is None:
            self._set(message="Standalone: no sync server is configured")
            return False
        if self._state is not None:
            return False
        state = JobState()
        state.sig_progress.connect(self.sig_progress)
        self._state = state
        self._set(running=True, message="Syncing…")
        function = self._sync_function
        self._tasks.run_net(lambda: function(state), self._on_synced, self._on_sync_failed)
        return True

    def cancel(self) -> None:
        if self._state is not None:
            self._state.cancel()

    def changes_made(self) -> None:
        """A screen wrote something: refresh the waiting count soon."""
        self._recount.start()

    def _on_synced(self, outcome: SyncOutcome) -> None:
        self._state = None
        now = datetime.now().astimezone()
        self._replica.set_state(LAST_SUCCESS_KEY, now.isoformat())
        self._set(running=False, online=True, last_success=now,
                  message="Sync cancelled" if outcome.cancelled else outcome.summary)
        self._do_recount()

    def _on_sync_failed(self, exc: BaseException) -> None:
        self._state = None
        if isinstance(exc, NeedsLogin):
            self._set(running=False, online=True, message="Sign in again to sync")
            self.sig_needs_login.emit(str(exc))
        elif isinstance(exc, ServerUnreachable | OSError):
            self._set(running=False, online=False, message="Offline: will retry")
        else:
            self._set(running=False, online=False, message=f"Sync failed: {exc}")
        self._do_recount()

    def _do_recount(self) -> None:
        replica = self._replica

        def _do_count() -> tuple[int, int]:
            return replica.pending_changes(), open_conflicts(replica)

        self._tasks.run_db(_do_count, self._on_counted)

    def _on_counted(self, counts: tuple[int, int]) -> None:
        self._set(pending=counts[0], conflicts=counts[1])

    def _set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        self.sig_status_changed.emit(self.status)
