"""Sign-in attempt counters in PostgreSQL (`auth_login_failures`), shared by every process.

An attempt is counted *before* its password is checked, by one statement that inserts or bumps
the counter and returns it: concurrent attempts each get their own number, so no more than the
limit are ever checked within a window, and no two of them race to insert the first row. What
turns out not to have been a failure is taken back afterwards (`forget`, `refund`).
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import Engine, case, delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.schema import table_of
from sync_server.clock import now
from sync_server.errors import ApiError

_failures = table_of("auth_login_failures")


class Throttled(ApiError):
    """429: too many attempts for one key; `retry_after` seconds until its window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "too_many_attempts",
                         f"Too many failed sign-ins for this email; try again in "
                         f"{math.ceil(retry_after / 60)} minute(s).",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


def count_attempt(engine: Engine, key: str, limit: int, window_seconds: int) -> None:
    """Count one attempt for `key`; Throttled when it is past `limit` within the window.

    A window starts at the first attempt and lasts `window_seconds`; an attempt after it ends
    starts a new one at 1.
    """
    stamp = now()
    expired = _failures.c.first_failed_at < stamp - timedelta(seconds=window_seconds)
    first_attempt = pg_insert(_failures).values(email=key, failures=1, first_failed_at=stamp,
                                                last_failed_at=stamp)
    statement = first_attempt.on_conflict_do_update(
        index_elements=["email"],
        set_={"failures": case((expired, 1), else_=_failures.c.failures + 1),
              "first_failed_at": case((expired, stamp), else_=_failures.c.first_failed_at),
              "last_failed_at": stamp},
    ).returning(_failures.c.failures, _failures.c.first_failed_at)
    with engine.begin() as conn:
        failures, first = conn.execute(statement).one()
    if failures > limit:
        until = first + timedelta(seconds=window_seconds)
        raise Throttled(max(1, math.ceil((until - now()).total_seconds())))


def forget(engine: Engine, key: str) -> None:
    """Clear `key`'s count (a correct password for an email)."""
    with engine.begin() as conn:
        conn.execute(delete(_failures).where(_failures.c.email == key))


def refund(engine: Engine, key: str) -> None:
    """Take back one attempt that was not a failure (a client address's count)."""
    with engine.begin() as conn:
        conn.execute(update(_failures).where(_failures.c.email == key)
                     .values(failures=func.greatest(_failures.c.failures - 1, 0)))
