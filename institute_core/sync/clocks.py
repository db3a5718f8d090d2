"""Device clocks for administrators: which desks run far from the server's time.

The server records at every request how far a device's own clock is from the server's
(`clock_offset_ms`, server minus device). Hybrid clocks keep such a desk harmless for merging
(its stamps are corrected on each sync and capped when far ahead), but the people using it see
wrong times, so administrators are shown the desks whose clock is off by more than
`LARGE_OFFSET_MS`. Plain functions for the UI to run on a worker thread.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from institute_core.replica import Replica
from institute_core.sync.account import client_for
from institute_core.sync.client import SyncClient
from institute_core.sync.credentials import CredentialStore
from institute_core.sync.runner import CLOCK_OFFSET_KEY

LARGE_OFFSET_MS = 5 * 60 * 1000


def describe_offset(offset_ms: int) -> str:
    """'runs 2 d 3 h ahead of the server' for an offset of server minus device time.

    Rounded to whole minutes from a minute on (the measurement includes network latency).
    """
    seconds = round(abs(offset_ms) / 1000)
    if seconds == 0:
        return "matches the server"
    if seconds < 60:
        amount = f"{seconds} s"
    else:
        days, rest = divmod(round(seconds / 60), 24 * 60)
        hours, minutes = divmod(rest, 60)
        amount = " ".join(f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"),
                                                         (minutes, "min")) if n)
    direction = "ahead of" if offset_ms < 0 else "behind"
    return f"runs {amount} {direction} the server"


@dataclass(frozen=True)
class DeviceClock:
    """One device's clock as the server last measured it."""

    device_id: uuid.UUID
    email: str
    name: str
    offset_ms: int
    last_seen_at: str | None
    large: bool

    @property
    def description(self) -> str:
        return describe_offset(self.offset_ms)


def device_clocks(client: SyncClient, *, threshold_ms: int = LARGE_OFFSET_MS
                  ) -> list[DeviceClock]:
    """Every device whose offset is known, the furthest off first (administrators only:
    anyone else gets `RequestRefused` with status 403)."""
    clocks = [DeviceClock(d.device_id, d.email, d.name, d.clock_offset_ms, d.last_seen_at,
                          abs(d.clock_offset_ms) > threshold_ms)
              for d in client.devices() if d.clock_offset_ms is not None]
    return sorted(clocks, key=lambda c: -abs(c.offset_ms))


def skewed_devices(replica: Replica, credentials: CredentialStore, *,
                   threshold_ms: int = LARGE_OFFSET_MS) -> list[DeviceClock]:
    """The devices (of every user) whose clock is off by more than `threshold_ms`."""
    client = client_for(replica, credentials)
    return [c for c in device_clocks(client, threshold_ms=threshold_ms) if c.large]


def own_offset_ms(replica: Replica) -> int:
    """Server minus this device's clock, as measured at the last sync (0 before the first)."""
    return int(replica.get_state(CLOCK_OFFSET_KEY, 0) or 0)
