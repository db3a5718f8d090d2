"""After a failed sync the desk tries again by itself, sooner than its timer: the pause doubles
with each failure in a row, never exceeds the timer's interval, and starts over after a success.
A lost sign-in is not retried (only a person can fix it). The sync function is injected, as the
controller is built for; the real server's failures are tested in tests/sync/test_failing_desk.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.shell.sync_controller import SyncController
from desktop_app.sync_bridge import SyncOutcome
from desktop_app.tasks import JobState, TaskManager
from institute_core.replica import Replica
from institute_core.sync import failing
from institute_core.sync.backoff import capped_delay
from institute_core.sync.errors import NeedsLogin, ServerFailed, ServerUnreachable, SyncFailing
from institute_core.sync.failing import Failing

INTERVAL_MS = 60_000
BASE_MS = 5_000


def _scripted(outcomes: list[BaseException | None]) -> Callable[[JobState], SyncOutcome]:
    def sync(_state: JobState) -> SyncOutcome:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return SyncOutcome("sent 0; received 0", 0, False)

    return sync


def _failing() -> SyncFailing:
    return SyncFailing(ServerFailed("the server failed (500)", status=500, ref="0123456789"),
                       Failing(0, 0, "the server could not apply a change", "0123456789"))


def _run(qtbot, sync: SyncController) -> None:  # type: ignore[no-untyped-def]
    assert sync.sync_now()
    qtbot.waitUntil(lambda: not sync.running, timeout=5000)


def test_retries_double_up_to_the_interval_and_start_over_after_a_success(
        qtbot, replica: Replica, tasks: TaskManager) -> None:  # type: ignore[no-untyped-def]
    failures: list[BaseException | None] = [_failing(), ServerUnreachable("gone"), _failing(),
                                            _failing(), _failing(), None, _failing()]
    sync = SyncController(replica, tasks, _scripted(failures), interval_ms=INTERVAL_MS,
                          retry_base_ms=BASE_MS)
    pauses = []
    for _ in range(5):
        _run(qtbot, sync)
        pauses.append(sync.status.retry_in_ms)
        assert sync._retry.isActive() and sync._retry.interval() == pauses[-1]
    assert pauses == [5_000, 10_000, 20_000, 40_000, 60_000]
    assert sync.status.failing.startswith("Sync failing since")
    _run(qtbot, sync)  # a success
    assert not sync._retry.isActive() and sync.status.retry_in_ms is None
    assert sync.status.failing == ""
    _run(qtbot, sync)
    assert sync.status.retry_in_ms == BASE_MS  # started over
    sync.stop()
    assert not sync._retry.isActive()


def test_a_lost_sign_in_is_not_retried(qtbot, replica: Replica,  # type: ignore[no-untyped-def]
                                       tasks: TaskManager) -> None:
    sync = SyncController(replica, tasks, _scripted([NeedsLogin("sign in")]),
                          interval_ms=INTERVAL_MS, retry_base_ms=BASE_MS)
    _run(qtbot, sync)
    assert not sync._retry.isActive() and sync.status.message == "Sign in again to sync"
    sync.stop()


def test_capped_delay_doubles_and_stops_at_the_cap() -> None:
    assert [capped_delay(n, 1.5, 10.0) for n in range(5)] == [1.5, 3.0, 6.0, 10.0, 10.0]
    assert capped_delay(10_000, 1.0, 7.0) == 7.0  # no overflow for a desk failing for weeks


def test_a_restarted_desk_still_says_that_the_server_fails_it(
        qtbot, replica: Replica, tasks: TaskManager) -> None:  # type: ignore[no-untyped-def]
    noted = failing.note(replica, "push", "0123456789", 500)
    sync = SyncController(replica, tasks, _scripted([None]), interval_ms=INTERVAL_MS)
    sync.start()
    qtbot.waitUntil(lambda: sync.status.failing == noted.line(), timeout=5000)
    _run(qtbot, sync)  # this fake sync does not clear the replica's note, the runner does
    assert sync.status.failing == ""
    sync.stop()
