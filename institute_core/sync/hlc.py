"""Hybrid logical clock: wall time + counter + device, totally ordered and sortable as text.

Replicas stamp each edit with it; the server compares stamps when two edits to one field
compete. The physical part is the device clock corrected by the offset the server reported at
the last sync, so a laptop with a wrong clock converges on the server's time; stamps from far in
the future are capped (`MAX_FUTURE_MS`) so such a laptop cannot win every conflict forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# How far ahead of the reference time a stamp may be before it is treated as a broken clock.
MAX_FUTURE_MS = 60_000


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    device: str

    def encode(self) -> str:
        return f"{self.wall_ms:015d}-{self.counter:06d}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        try:
            wall, counter, device = text.split("-", 2)
            return cls(int(wall), int(counter), device)
        except ValueError as exc:
            raise ValueError(f"not a hybrid timestamp: {text!r}") from exc

    def __str__(self) -> str:
        return self.encode()


class HybridClock:
    """Issues strictly increasing timestamps for one device; thread-safe."""

    def __init__(self, device: str, *, offset_ms: int = 0, last: Timestamp | None = None,
                 physical: Callable[[], int] = wall_clock_ms) -> None:
        self.device = device
        self.offset_ms = offset_ms
        self._physical = physical
        self._last = last or Timestamp(0, 0, device)
        self._lock = threading.Lock()

    def reference_ms(self) -> int:
        """The device's best estimate of the server's time."""
        return self._physical() + self.offset_ms

    def now(self) -> Timestamp:
        with self._lock:
            pt = self.reference_ms()
            if pt > self._last.wall_ms:
                self._last = Timestamp(pt, 0, self.device)
            else:
                self._last = Timestamp(self._last.wall_ms, self._last.counter + 1, self.device)
            return self._last

    def observe(self, remote: Timestamp) -> None:
        """Move past a stamp seen from elsewhere, unless it is implausibly far in the future."""
        with self._lock:
            if remote.wall_ms > self.reference_ms() + MAX_FUTURE_MS:
                return
            if remote.wall_ms > self._last.wall_ms or (
                remote.wall_ms == self._last.wall_ms and remote.counter > self._last.counter
            ):
                self._last = Timestamp(remote.wall_ms, remote.counter, self.device)

    def calibrate(self, server_ms: int, *, sent_ms: int | None = None,
                  received_ms: int | None = None) -> int:
        """Take the server's time as reference; returns the new offset in milliseconds.

        When this device's last stamp lies beyond the corrected time (it ran ahead before it
        knew better), the clock steps back to the corrected time instead of staying ahead.
        """
        local = self._physical()
        if sent_ms is not None and received_ms is not None:
            local = (sent_ms + received_ms) // 2
        with self._lock:
            self.offset_ms = server_ms - local
            corrected = self._physical() + self.offset_ms
            if self._last.wall_ms > corrected + MAX_FUTURE_MS:
                self._last = Timestamp(corrected, 0, self.device)
            return self.offset_ms

    @property
    def last(self) -> Timestamp:
        return self._last


def cap_to_reference(stamp: Timestamp, reference_ms: int) -> Timestamp:
    """The server's view of a stamp: one from beyond the allowed future is moved back to now."""
    if stamp.wall_ms > reference_ms + MAX_FUTURE_MS:
        return Timestamp(reference_ms, stamp.counter, stamp.device)
    return stamp
