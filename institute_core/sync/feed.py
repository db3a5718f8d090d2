"""Pull pages fetched ahead of the ones being applied, on a thread of their own, in order.

A page's cursor is in the answer before it (in its headers: the body is parsed later, by the
reader), so pages come one after another; what can overlap is the server's (and the network's)
time for the next pages with the desk's parsing and applying of this one. With one group
fetched ahead, the fetch of page n+2 could only start once the desk had finished page n and
taken n+1: whenever applying a page took longer than fetching one, the server sat idle for the
difference on every page. `ahead` groups may wait instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from institute_core.sync.backoff import CancelToken
from institute_core.sync.client import PullAnswer

Fetch = Callable[[str, int], PullAnswer]
_POLL_S = 0.05


class PageFeed:
    """Groups of consecutive pull pages from `cursor`, fetched on a thread as `next()` takes
    them: the first group is one page of `first_limit` rows (nothing overlaps waiting for it),
    later ones pages of `limit` rows until they hold `group_rows` rows (one page when 0).

    At most `ahead` groups are fetched but not yet taken. The feed stops after the last page
    or one asking for a fresh download; a failed fetch is raised by `next()`. Always `close()`
    it (it waits for a request in flight, as the runner waits for any thread it starts).
    """

    def __init__(self, fetch: Fetch, cursor: str, *, first_limit: int, limit: int,
                 group_rows: int, ahead: int, cancel: CancelToken) -> None:
        if ahead < 1:
            raise ValueError("ahead must be at least 1")
        self._fetch = fetch
        self._limit = limit
        self._group_rows = group_rows
        self._cancel = cancel
        self._ready: queue.Queue[list[PullAnswer] | BaseException] = queue.Queue()
        self._room = threading.Semaphore(ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(cursor, first_limit),
                                        name="sync-fetch", daemon=True)
        self._thread.start()

    def next(self) -> list[PullAnswer]:
        """The next group, in order; raises what fetching it raised."""
        item = self._ready.get()
        self._room.release()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop fetching; returns once the thread has ended."""
        self._stop.set()
        self._thread.join()

    def _run(self, cursor: str, limit: int) -> None:
        rows = 0
        try:
            while self._wait_for_room():
                pages = self._group(cursor, limit, rows)
                self._ready.put(pages)
                last = pages[-1]
                if not last.continues:
                    return
                cursor, limit, rows = last.next_cursor, self._limit, self._group_rows
        except BaseException as exc:  # handed to the reader, raised there
            self._ready.put(exc)

    def _wait_for_room(self) -> bool:
        while not self._stop.is_set():
            if self._room.acquire(timeout=_POLL_S):
                return True
        return False

    def _group(self, cursor: str, limit: int, rows: int) -> list[PullAnswer]:
        """Consecutive pages from `cursor` until they hold `rows` rows, the last page, or one
        asking for a fresh download (which then ends the group)."""
        pages = [self._fetch(cursor, limit)]
        held = pages[0].row_count
        while (held < rows and pages[-1].continues
               and not self._cancel.cancelled and not self._stop.is_set()):
            pages.append(self._fetch(pages[-1].next_cursor, limit))
            held += pages[-1].row_count
        return pages
