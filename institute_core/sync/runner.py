"""One sync of a replica: push the outbox, pull what changed, check counts, repair drift.

Built to run on a worker thread: it holds no global state, talks to the replica only through
its own short transactions, reports progress through a callback and stops cleanly between
batches and pages when its `CancelToken` is cancelled (every committed step stays; nothing is
half-applied).
"""

from __future__ import annotations

import platform
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from institute_core.collector import no_collection_pauses
from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Replica
from institute_core.replica.indexes import defer_indexes, restore_indexes
from institute_core.sync import failing, wire
from institute_core.sync.apply import CURSOR_KEY, PageResult, apply_page, retry_parked
from institute_core.sync.backoff import CancelToken
from institute_core.sync.check import empty_tables, local_counts, mismatches, remove_unsent
from institute_core.sync.client import PullAnswer, SyncClient
from institute_core.sync.errors import RequestRefused, ServerFailed, SyncError, SyncFailing
from institute_core.sync.feed import PageFeed
from institute_core.sync.outbox import (
    Confirmation,
    Rejection,
    acked_seq,
    confirm,
    prune_sent,
    push_body,
    read_batch,
    read_sent,
)
from institute_core.sync.restore import (
    EPOCH_KEY,
    RestoreSign,
    cap_waiting_bases,
    forget_versions,
    note_epoch,
    restore_sign,
)

_T = TypeVar("_T")

CLOCK_OFFSET_KEY = "clock_offset_ms"
FULL_PULL_KEY = "full_pull_needed"
LAST_SYNC_KEY = "last_sync"
# The rows asked for first in a pull (see SyncRunner._pull); later pages take page_limit.
FIRST_PAGE_LIMIT = 250
# Pages of a pull (not a download) fetched but not yet applied, at most (sync/feed.py).
PULL_PAGES_AHEAD = 2


@dataclass(frozen=True)
class SyncProgress:
    """Where a running sync is: `phase` is push, pull or repair; `total` None when unknown."""

    phase: str
    done: int
    total: int | None


ProgressCallback = Callable[[SyncProgress], None]


@dataclass
class SyncReport:
    """What one sync did, for the user and the log."""

    sent: int = 0
    received: int = 0
    conflicts: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    parked: int = 0
    collisions: int = 0
    # table -> local rows removed because the server no longer sends them
    repaired: dict[str, int] = field(default_factory=dict)
    # tables still differing after the repair: name -> (server count, local count)
    mismatched: dict[str, tuple[int, int]] = field(default_factory=dict)
    clock_offset_ms: int = 0
    cancelled: bool = False
    duration_s: float = 0.0
    # Why this sync started over from the server (restored from a backup, or a download the
    # server asked for), and how many acknowledged changes it sent again.
    started_over: str | None = None
    resent: int = 0

    def summary(self) -> str:
        """One line for a status bar or a log."""
        parts = [f"sent {self.sent}", f"received {self.received}",
                 f"conflicts {self.conflicts}", f"rejected {len(self.rejected)}"]
        if self.repaired:
            parts.append("repaired " + ", ".join(f"{t} (-{n})" for t, n in self.repaired.items()))
        if self.parked:
            parts.append(f"waiting for a parent {self.parked}")
        if self.started_over:
            parts.append(f"{self.started_over}: re-sent {self.resent}, downloaded again")
        if self.cancelled:
            parts.append("cancelled")
        return "; ".join(parts) + f" in {self.duration_s:.1f} s"


@dataclass(frozen=True)
class SyncOptions:
    """Batch and page sizes, and whether to run the count check after pulling."""

    # The most the server takes in one push: fewer round trips and commits per change.
    batch_size: int = wire.MAX_PUSH_CHANGES
    page_limit: int = 2000
    # A download into empty tables applies about this many rows (several pages, each fetched
    # as usual) in one transaction: on a large replica most of a commit is writing the index
    # pages the rows dirtied, and consecutive pages dirty largely the same ones. The cursor
    # still commits with its rows, so an interrupted download resumes after the last commit.
    download_rows_per_commit: int = 20_000
    check_counts: bool = True
    # Acknowledged changes are kept this long to give a server restored from an older backup
    # what it lost (sync/restore.py); a backup older than this loses them.
    keep_sent_days: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= wire.MAX_PUSH_CHANGES:
            raise ValueError(f"batch_size must be between 1 and {wire.MAX_PUSH_CHANGES}")
        if not 1 <= self.page_limit <= wire.MAX_PULL_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {wire.MAX_PULL_LIMIT}")
        if self.download_rows_per_commit < 1:
            raise ValueError("download_rows_per_commit must be at least 1")
        if self.keep_sent_days < 1:
            raise ValueError("keep_sent_days must be at least 1")


class _Cancelled(Exception):
    pass


class _Restored(Exception):
    def __init__(self, sign: RestoreSign) -> None:
        super().__init__(sign.reason)
        self.sign = sign


def _joined(pages: list[wire.PullResponse]
            ) -> tuple[list[wire.PulledRow], list[wire.ConflictRecord]]:
    """The rows and conflict records of consecutive pages, in the server's order."""
    if len(pages) == 1:
        return pages[0].rows, pages[0].conflicts
    return ([row for page in pages for row in page.rows],
            [record for page in pages for record in page.conflicts])


def physical_ms(replica: Replica) -> int:
    """This device's own clock (without the server correction), as the clock reads it."""
    return replica.clock.reference_ms() - replica.clock.offset_ms


class SyncRunner:
    """Syncs one replica through one signed-in client; one sync at a time per runner."""

    def __init__(self, replica: Replica, client: SyncClient, *,
                 options: SyncOptions | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> None:
        self.replica = replica
        self.client = client
        self.options = options or SyncOptions()
        self.progress = progress
        self.cancel = cancel or CancelToken()
        self._running = threading.Lock()
        self._calibrated = False

    # --- the whole sync --------------------------------------------------------------------

    def sync(self) -> SyncReport:
        """Push, pull, check; raises SyncError subclasses when it cannot finish.

        Whatever was confirmed or applied before a failure stays done; the rest is retried by
        the next sync.
        """
        if not self._running.acquire(blocking=False):
            raise SyncError("a sync of this replica is already running")
        report = SyncReport()
        started = time.monotonic()
        self._calibrated = False
        phase = "push"
        try:
            stale = self._push(report)
            phase = "pull"
            if self.replica.get_state(FULL_PULL_KEY, False):
                self._repair(report, full=True)
            else:
                # The ids a pull brings back matter only for the rows the push left stale
                # (a refused or overwritten edit of this desk): usually there are none.
                seen: dict[str, set[uuid.UUID]] | None = {} if stale else None
                last = self._pull(report, seen=seen)
                missed = {(t, i) for t, i in stale
                          if seen is not None and i not in seen.get(t, set())}
                if (last is not None and last.reset_required) or missed:
                    # A refused or lost edit left this copy differing from a server row the
                    # pull did not bring back: download the scope again to be exact.
                    self._repair(report, full=True)
                elif last is not None and self.options.check_counts and last.counts is not None:
                    self._check(report, last.counts)
        except _Restored as restored:
            self._recover(report, restored.sign)
        except _Cancelled:
            report.cancelled = True
        except ServerFailed as exc:
            # Every later edit of this desk waits behind a push the server fails on: keep
            # "failing since" and the server's reference for the status bar and the CLI.
            raise SyncFailing(exc, failing.note(self.replica, phase, exc.ref, exc.status)) from exc
        finally:
            report.duration_s = time.monotonic() - started
            report.clock_offset_ms = self.replica.clock.offset_ms
            self._running.release()
        if not report.cancelled:
            failing.clear(self.replica)
        self.replica.set_state(LAST_SYNC_KEY, {
            "at_ms": int(time.time() * 1000), "sent": report.sent,
            "received": report.received, "conflicts": report.conflicts,
            "rejected": len(report.rejected), "cancelled": report.cancelled})
        return report

    # --- push ------------------------------------------------------------------------------

    def _push(self, report: SyncReport) -> set[tuple[str, uuid.UUID]]:
        """Send the outbox batch by batch; returns rows whose copy may now differ.

        The desk's share of a push runs on a helper thread while the server works on a batch:
        confirming the batch before (deleting it from the outbox, storing refusals and
        conflicts) and reading the batch after, which is kept when the server accepted the
        whole batch (the usual case) and read again otherwise. Confirmations stay in order,
        and a batch is only ever deleted after the server's answer for it.
        """
        total = self.replica.pending_changes()
        stale: set[tuple[str, uuid.UUID]] = set()
        sent = 0
        confirming: Future[Confirmation] | None = None
        size = self.options.batch_size
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-confirm") as helper:
            try:
                batch = read_batch(self.replica, size)
                while batch:
                    self._checkpoint()
                    body = push_body(self.replica.device_id, batch)
                    upcoming = helper.submit(read_batch, self.replica, size,
                                             after=batch[-1].local_seq)
                    response = self._timed(partial(self._send_push, body))
                    self._detect_restore(response.epoch, response.last_seq)
                    if confirming is not None:
                        done, confirming = confirming.result(), None
                        self._count_confirmed(report, stale, done)
                    if response.last_seq < batch[0].seq:
                        raise SyncError(
                            f"the server did not accept the upload: it expects change "
                            f"{response.last_seq + 1} of this device but the oldest waiting "
                            f"is {batch[0].seq}")
                    # The batch still waits in the outbox: edits made meanwhile raise the total.
                    total = max(total, sent + self.replica.pending_changes())
                    confirming = helper.submit(confirm, self.replica, batch, response)
                    accepted = [p.local_seq for p in batch if p.seq <= response.last_seq]
                    sent += len(accepted)
                    self._report("push", sent, total)
                    following = upcoming.result()
                    if accepted[-1] != batch[-1].local_seq:
                        following = read_batch(self.replica, size, after=accepted[-1])
                    batch = following
            finally:
                if confirming is not None:
                    self._count_confirmed(report, stale, confirming.result())
        prune_sent(self.replica, self.options.keep_sent_days)
        return stale

    @staticmethod
    def _count_confirmed(report: SyncReport, stale: set[tuple[str, uuid.UUID]],
                         done: Confirmation) -> None:
        stale |= done.stale
        report.sent += done.done
        report.conflicts += done.conflicts
        report.rejected.extend(done.rejected)
        for outcome, n in done.outcomes.items():
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + n

    def _send_push(self, request: wire.PushRequest | bytes) -> wire.PushResponse:
        try:
            return self.client.push(request, self.cancel)
        except RequestRefused as exc:
            if exc.error != "device_not_registered":
                raise
        # The server forgot this device (a restored database): register again, then retry.
        self.register_device()
        return self.client.push(request, self.cancel)

    def register_device(self, name: str = "") -> wire.DeviceInfo:
        """Tell the server about this device (again); calibrates the clock on the way.

        Without a `name` the computer's own is sent: it is how an administrator tells the desks
        apart in the device list, and a re-registration must not blank it."""
        registration = wire.DeviceRegistration(device_id=self.replica.device_id,
                                               name=(name or platform.node())[:200],
                                               schema_version=wire.SCHEMA_VERSION,
                                               series_code=self.replica.get_state(
                                                   SERIES_STATE_KEY))
        info = self._timed(lambda: self.client.register_device(registration))
        if info.series_code and info.series_code != self.replica.get_state(SERIES_STATE_KEY):
            # The series this device numbers its receipts in, for when it is offline.
            self.replica.set_state(SERIES_STATE_KEY, info.series_code)
        return info

    # --- pull ------------------------------------------------------------------------------

    def _pull(self, report: SyncReport, *, cursor: str | None = None,
              seen: dict[str, set[uuid.UUID]] | None = None,
              phase: str = "pull", fresh: frozenset[str] = frozenset()
              ) -> wire.PullResponse | None:
        """Pull pages until the last one; returns it (None if there was nothing to pull).

        `fresh`: the tables that held nothing when this (full) download began (apply_page);
        when there are any, about `download_rows_per_commit` rows of consecutive pages are
        applied in one transaction with the last page's cursor, otherwise page by page.

        The next pages are fetched on a helper thread while these are applied: their cursor
        is known from the answer, and the server's and the network's time then overlap the
        desk's. Pages are still applied in order, each group with its cursor.
        """
        if cursor is None:
            cursor = str(self.replica.get_state(CURSOR_KEY, "") or "")
        last: wire.PullResponse | None = None
        self._checkpoint()
        # A short first page: nothing overlaps waiting for it. A download's groups are large
        # (memory), so one is fetched ahead; a pull's pages are small, and two keep the server
        # busy while a page takes the desk longer to apply than the next took to fetch.
        feed = PageFeed(self._fetch_page, cursor,
                        first_limit=min(FIRST_PAGE_LIMIT, self.options.page_limit),
                        limit=self.options.page_limit,
                        group_rows=self.options.download_rows_per_commit if fresh else 0,
                        ahead=1 if fresh else PULL_PAGES_AHEAD, cancel=self.cancel)
        try:
            while True:
                # Parsed here, not on the fetch thread (client.PullAnswer), and with the
                # collector paused as for applying (below).
                with no_collection_pauses():
                    pages = [answer.page() for answer in feed.next()]
                if last is None:
                    # A server that answers with an epoch names this device's last_seq,
                    # or None when it does not know the device.
                    first = pages[0]
                    self._detect_restore(first.epoch, first.last_seq,
                                         device_known=first.epoch is None
                                         or first.last_seq is not None)
                self._checkpoint()  # a cancel drops the pages fetched meanwhile, unapplied
                page = pages[-1]
                if page.reset_required:
                    # The cursor is beyond the server's clock (a restore by hand) or below
                    # its compacted tombstones: start over from the server either way;
                    # re-sending finds nothing to send when the server lost nothing.
                    raise _Restored(RestoreSign(
                        "the server asked for a fresh download", page.epoch, page.last_seq))
                rows, conflicts = _joined(pages)
                # Pulled rows (models, dicts, stored tuples) form no cycles and go by
                # reference counting; the collections their allocations triggered walked
                # every row in flight. The few cycles a page makes are collected between pages.
                with no_collection_pauses():
                    result = apply_page(self.replica, rows, conflicts,
                                        cursor=page.next_cursor, fresh=fresh,
                                        keep_seen=seen is not None)
                self._account(report, result, seen)
                report.received += len(rows)
                self._report(phase, report.received, None)
                last = page
                if not page.has_more:
                    break
        finally:
            feed.close()
        report.parked = self._retry_parked(report)
        return last

    def _fetch_page(self, cursor: str, limit: int) -> PullAnswer:
        return self._timed(partial(self.client.pull_page, cursor, limit,
                                   self.replica.device_id, self.cancel))

    def _retry_parked(self, report: SyncReport) -> int:
        result = retry_parked(self.replica)
        report.collisions += result.collisions
        return result.parked

    @staticmethod
    def _account(report: SyncReport, result: PageResult,
                 seen: dict[str, set[uuid.UUID]] | None) -> None:
        report.conflicts += result.conflicts
        report.collisions += result.collisions
        if seen is not None:
            for name, ids in result.seen.items():
                seen.setdefault(name, set()).update(ids)

    # --- a restored server -----------------------------------------------------------------

    def _detect_restore(self, epoch: str | None, last_seq: int | None, *,
                        device_known: bool = True) -> None:
        sign = restore_sign(self.replica, epoch=epoch, last_seq=last_seq,
                            device_known=device_known)
        if sign is not None:
            raise _Restored(sign)
        note_epoch(self.replica, epoch)

    def _recover(self, report: SyncReport, sign: RestoreSign) -> None:
        """Give a restored server back the acknowledged changes it lost, push the outbox,
        then download the whole scope as a fresh replica would (the outbox stays).

        Each step can be interrupted: until the new epoch is stored (after re-sending) the
        next sync sees the same sign and re-sends from the server's last_seq again, which
        change ids and seqs make exact; after it, the full download is flagged.
        """
        report.started_over = sign.reason
        try:
            # Registering (again) tells this device's last_seq, also to a server that had
            # forgotten the device, and the version the restore left the server at.
            info = self.register_device()
            epoch = info.epoch or sign.epoch
            # 0 when unknown (a restore by hand): every re-sent edit then merges as concurrent.
            seen_at_most = info.restored_version or 0
            self._resend(report, info.last_seq, seen_at_most)
            with self.replica.apply_remote() as connection:
                cap_waiting_bases(connection, seen_at_most)
                forget_versions(connection)
                self.replica.set_state(FULL_PULL_KEY, True, connection)
                if epoch is not None:
                    self.replica.set_state(EPOCH_KEY, epoch, connection)
            self._push(report)
            self._repair(report, full=True)
        except _Cancelled:
            report.cancelled = True
        except _Restored as again:
            raise SyncError(f"{again.sign.reason} again during this sync; sync again") from again

    def _resend(self, report: SyncReport, server_seq: int, seen_at_most: int) -> None:
        """Send the kept acknowledged changes after `server_seq` again, oldest first, based
        on at most `seen_at_most` (see restore.cap_waiting_bases)."""
        batch = read_sent(self.replica, self.options.batch_size, after=server_seq,
                          seen_at_most=seen_at_most)
        while batch:
            self._checkpoint()
            response = self._timed(partial(self._send_push,
                                           push_body(self.replica.device_id, batch)))
            server_seq = response.last_seq
            if server_seq < batch[-1].seq:
                break
            self._count_confirmed(report, set(), confirm(self.replica, batch, response,
                                                         resent=True))
            report.resent += len(batch)
            self._report("resend", report.resent, None)
            batch = read_sent(self.replica, self.options.batch_size, after=server_seq,
                              seen_at_most=seen_at_most)
        acked = acked_seq(self.replica)
        if server_seq < acked:
            # Not silently: nothing of this desk can be uploaded before the gap is filled.
            raise SyncError(
                f"the server was restored from a backup older than the changes this desk "
                f"keeps ({self.options.keep_sent_days} days): it needs change "
                f"{server_seq + 1} of this device, which is no longer kept; changes "
                f"{server_seq + 1}-{acked} cannot be sent again")

    # --- check and repair ------------------------------------------------------------------

    def _check(self, report: SyncReport, counts: dict[str, int]) -> None:
        differ = mismatches(counts, local_counts(self.replica))
        if not differ:
            return
        # Edits may have landed on the server between our pages: one more pull first.
        again = self._pull(report)
        if again is not None and again.counts is not None:
            counts = again.counts
        differ = mismatches(counts, local_counts(self.replica))
        if differ:
            self._repair(report, full=False, mismatched=differ)

    def _repair(self, report: SyncReport, *, full: bool,
                mismatched: dict[str, tuple[int, int]] | None = None) -> None:
        """Pull the whole scope from the start and drop local rows the server did not send."""
        seen: dict[str, set[uuid.UUID]] = {}
        empty_before = empty_tables(self.replica)
        # The plain indexes of the empty tables are built once their rows are in, whether
        # the download ends, fails or is cancelled (replica/indexes.py; a desk killed
        # meanwhile builds them when the replica is opened next).
        defer_indexes(self.replica.path, empty_before)
        try:
            # A first download is the same walk as a repair, but users should see it so.
            last = self._pull(report, cursor="", seen=seen,
                              phase="download" if full else "repair", fresh=empty_before)
        finally:
            restore_indexes(self.replica.path)
        if last is None:
            return
        if last.reset_required:
            raise SyncError("the server keeps asking for a fresh download; try again later")
        removed = remove_unsent(self.replica, seen, empty_before)
        for name, n in removed.items():
            report.repaired[name] = report.repaired.get(name, 0) + n
        for name in mismatched or {}:
            report.repaired.setdefault(name, 0)
        report.parked = self._retry_parked(report)
        self.replica.set_state(FULL_PULL_KEY, False)
        if last.counts is not None:
            report.mismatched = mismatches(last.counts, local_counts(self.replica))

    # --- helpers ---------------------------------------------------------------------------

    def _timed(self, call: Callable[[], _T]) -> _T:
        """Run a request; the first answer of each sync calibrates the hybrid clock."""
        sent = physical_ms(self.replica)
        answer = call()
        received = physical_ms(self.replica)
        if self._calibrated:
            return answer
        # Read only until calibrated: a pull answer's clock is in its body (parsed to read it).
        server_ms = getattr(answer, "server_time_ms", None)
        if isinstance(server_ms, int):
            offset = self.replica.clock.calibrate(server_ms, sent_ms=sent, received_ms=received)
            self.replica.set_state(CLOCK_OFFSET_KEY, offset)
            self._calibrated = True
        return answer

    def _checkpoint(self) -> None:
        if self.cancel.cancelled:
            raise _Cancelled

    def _report(self, phase: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(SyncProgress(phase, done, total))
