"""The server's notion of now (one place, so tests and offsets agree)."""

from __future__ import annotations

from datetime import UTC, datetime

from institute_core.sync.hlc import wall_clock_ms


def now() -> datetime:
    return datetime.now(UTC)


def now_ms() -> int:
    return wall_clock_ms()
