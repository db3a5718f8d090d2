"""A desk whose syncs the server keeps failing: since when, on what, and the server's reference.

A refusal (a 4xx, a rejected change) is about one edit and is reported with it; a server
failure (a 5xx) stops every later edit of this desk from uploading, so it must be seen at
once and stay seen until a sync gets through. The runner notes each failure in the replica's
sync state (`note`) and clears it after a sync that finished (`clear`); the status bar and
`institute-desk sync` say it in one line (`Failing.line`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # errors.py imports this module: keep it free of the database layer
    from institute_core.replica import Replica

FAILING_KEY = "sync_failing"

# What the server could not do, by the part of the sync it failed in.
_WHAT = {"push": "the server could not apply a change",
         "pull": "the server could not send the changes"}


def clock_text(when: datetime, now: datetime | None = None) -> str:
    """'14:05' today, '05 Dec, 14:05' on another day, in the institute's time zone."""
    # Imported here: errors.py imports this module everywhere, and display (Babel) takes
    # 50 ms to import, which only a line being shown needs.
    from institute_core.display import local, short_moment, time_text

    at = local(when)
    return time_text(at) if at.date() == local(now or datetime.now(UTC)).date() \
        else short_moment(at)


@dataclass(frozen=True)
class Failing:
    """The server has failed this desk's syncs since `since_ms` (epoch ms, this clock)."""

    since_ms: int
    last_ms: int
    what: str
    ref: str | None

    def line(self) -> str:
        """'Sync failing since 14:05 – the server could not apply a change (ref abc123)'."""
        return f"Sync failing since {self._since} – {self.what}{self._ref}"

    def short_line(self) -> str:
        """'Sync failing since 14:05 (ref abc123)', where the whole line does not fit."""
        return f"Sync failing since {self._since}{self._ref}"

    @property
    def _since(self) -> str:
        return clock_text(datetime.fromtimestamp(self.since_ms / 1000, UTC))

    @property
    def _ref(self) -> str:
        return f" (ref {self.ref})" if self.ref else ""


def load(replica: Replica) -> Failing | None:
    """The failure noted by the last sync, None when it finished."""
    stored: Any = replica.get_state(FAILING_KEY)
    if not isinstance(stored, dict) or "since_ms" not in stored:
        return None
    since = int(stored["since_ms"])
    return Failing(since, int(stored.get("last_ms") or since),
                   str(stored.get("what") or _WHAT["push"]), stored.get("ref"))


def note(replica: Replica, phase: str, ref: str | None, status: int | None) -> Failing:
    """Record a server failure in `phase` (push or pull); the first since the last finished
    sync stays as 'since'. Without a reference the server did not say it failed on our data
    (a proxy, a database it cannot reach): then the line gives the status instead."""
    now_ms = int(time.time() * 1000)
    previous = load(replica)
    what = _WHAT.get(phase, "the server failed") if ref else \
        f"the server answers with an error ({status or 'no status'})"
    failing = Failing(previous.since_ms if previous else now_ms, now_ms, what, ref)
    replica.set_state(FAILING_KEY, {"since_ms": failing.since_ms, "last_ms": failing.last_ms,
                                    "what": failing.what, "ref": failing.ref})
    return failing


def clear(replica: Replica) -> None:
    """A sync finished: nothing is failing any more."""
    if replica.get_state(FAILING_KEY) is not None:
        replica.set_state(FAILING_KEY, None)
