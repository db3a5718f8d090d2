"""Retrying network calls with exponential backoff and full jitter, cancellable while waiting."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class CancelToken:
    """Asks a running sync to stop at the next safe point (between batches or pages).

    Thread-safe: the UI thread calls `cancel()`, the sync worker checks `cancelled` and waits on
    it instead of sleeping so that a cancel also cuts a backoff pause short.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Pause up to `seconds`; True when cancelled meanwhile."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed network call is tried again."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 15.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2**attempt)]."""
        return self.rng.uniform(0, capped_delay(attempt, self.base_delay, self.max_delay))


def capped_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: `base` doubled for each attempt after the first, at most `cap`."""
    return min(cap, base * (2 ** min(attempt, 62)))


class Retryable(Exception):
    """A failure worth trying again; `final` is what the caller gets when retries run out."""

    def __init__(self, final: Exception) -> None:
        super().__init__(str(final))
        self.final = final


def call_with_backoff(call: Callable[[], T], policy: RetryPolicy,
                      cancel: CancelToken | None = None) -> T:
    """Run `call`, retrying on `Retryable` with growing random pauses; other errors pass through.

    After the last attempt (or when cancelled during a pause) the last failure's `final`
    exception is raised.
    """
    if policy.attempts < 1:
        raise ValueError("a retry policy needs at least one attempt")
    last: Retryable | None = None
    for attempt in range(policy.attempts):
        try:
            return call()
        except Retryable as failure:
            last = failure
            if attempt == policy.attempts - 1:
                break
            if cancel is not None:
                if cancel.wait(policy.delay(attempt)):
                    break
            else:
                threading.Event().wait(policy.delay(attempt))
    assert last is not None
    raise last.final
