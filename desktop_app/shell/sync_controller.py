"""Background sync for the signed-in window: on a timer and on demand, never blocking the GUI.

The sync function is injected (tests pass a slow fake); it runs on the network pool of the task
manager with a `JobState`, and the status bar learns everything through `sig_status_changed`.
A sync that fails is tried again sooner than the timer would, with a pause that doubles after
each failure up to the timer's interval and starts over after a success.
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
from institute_core.sync import failing
from institute_core.sync.backoff import capped_delay
from institute_core.sync.errors import NeedsLogin, ServerUnreachable, SyncFailing

SyncFunction = Callable[[JobState], SyncOutcome]

DEFAULT_INTERVAL_MS = 3 * 60 * 1000
# The first retry after a failed sync; each further failure doubles it, up to the interval.
RETRY_BASE_MS = 15 * 1000
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
    # "Sync failing since 14:05 – … (ref …)" while the server fails this desk's syncs, and
    # "Sync failing since 14:05 (ref …)" for a narrow window.
    failing: str = ""
    failing_short: str = ""
    retry_in_ms: int | None = None  # when the next try after a failure starts


class SyncController(QObject):
    """Owns the sync timer and the one running sync."""

    sig_status_changed = Signal(object)  # SyncStatus
    sig_needs_login = Signal(str)
    sig_progress = Signal(int, int, str)
    sig_synced = Signal()  # a sync finished (new rows may have arrived)

    def __init__(self, replica: Replica, tasks: TaskManager, sync_function: SyncFunction | None,
                 *, interval_ms: int = DEFAULT_INTERVAL_MS, retry_base_ms: int = RETRY_BASE_MS,
                 parent: QObject | None = None) -> None:
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
        self._interval_ms = interval_ms
        self._retry_base_ms = retry_base_ms
        self._failures = 0
        self._syncs_ended = 0
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.sync_now)
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
        self._retry.stop()
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
        self._syncs_ended += 1
        now = datetime.now().astimezone()
        self._replica.set_state(LAST_SUCCESS_KEY, now.isoformat())
        if not outcome.cancelled:
            self._failures = 0
            self._retry.stop()
        self._set(running=False, online=True, last_success=now,
                  message="Sync cancelled" if outcome.cancelled else outcome.summary,
                  failing="" if not outcome.cancelled else self.status.failing,
                  failing_short="" if not outcome.cancelled else self.status.failing_short,
                  retry_in_ms=None)
        self._do_recount()
        self.sig_synced.emit()

    def _on_sync_failed(self, exc: BaseException) -> None:
        self._state = None
        self._syncs_ended += 1
        if isinstance(exc, NeedsLogin):
            # Only a person can fix this: retrying would ask the server the same in vain.
            self._set(running=False, online=True, message="Sign in again to sync")
            self.sig_needs_login.emit(str(exc))
            self._do_recount()
            return
        retry_in_ms = self._schedule_retry()
        if isinstance(exc, SyncFailing):
            self._set(running=False, online=True, message="", failing=exc.failing.line(),
                      failing_short=exc.failing.short_line(),
                      retry_in_ms=retry_in_ms)
        elif isinstance(exc, ServerUnreachable | OSError):
            self._set(running=False, online=False, message="Offline: will retry",
                      retry_in_ms=retry_in_ms)
        else:
            self._set(running=False, online=False, message=f"Sync failed: {exc}",
                      retry_in_ms=retry_in_ms)
        self._do_recount()

    def _schedule_retry(self) -> int:
        """Try again after a pause that doubles with each failure in a row (never longer than
        the timer's interval); returns the pause in milliseconds."""
        delay = int(capped_delay(self._failures, self._retry_base_ms, self._interval_ms))
        self._failures += 1
        self._retry.start(delay)
        return delay

    def _do_recount(self) -> None:
        replica = self._replica


        def _do_count() -> tuple[int, int, failing.Failing | None]:
            return replica.pending_changes(), open_conflicts(replica), failing.load(replica)

        self._tasks.run_db(_do_count, self._on_counted)

    def _on_counted(self, counts: tuple[int, int, failing.Failing | None]) -> None:
        pending, conflicts, noted = counts
        self._set(pending=pending, conflicts=conflicts)
        if noted is not None and not self.running and not self._syncs_ended:
            # Before any sync of this session (the desk was restarted) the failure the last
            # one noted is still true; once a sync ran, its outcome says.
            self._set(failing=noted.line(), failing_short=noted.short_line())

    def _set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]
        self.sig_status_changed.emit(self.status)
