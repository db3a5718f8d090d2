"""Devices as an administrator needs to see them: whose, last seen, and whether they upload.

A device whose pushes the server fails on uploads nothing until someone acts, while its user
keeps working; the server keeps when that began, the latest reference and why (`DeviceStatus`
of GET /v1/admin/devices). `institute-sync-server devices` and the admin's Devices tab show
the same facts through `DeviceHealth`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from institute_core.sync import wire
from institute_core.sync.failing import clock_text


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class DeviceHealth:
    """One registered device, as plain values."""

    device_id: uuid.UUID
    owner: str
    name: str
    last_seen: datetime | None
    last_push: datetime | None
    failing_since: datetime | None
    failed_at: datetime | None
    ref: str | None
    reason: str | None
    user_id: uuid.UUID | None = None  # the account it signs in with
    # The branches that account works in, as the asking desk knows them (its branch filter).
    branch_ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def of(cls, status: wire.DeviceStatus) -> DeviceHealth:
        return cls(status.device_id, status.email, status.name, _when(status.last_seen_at),
                   _when(status.last_push_at), _when(status.push_failing_since),
                   _when(status.push_failed_at), status.push_failure_ref,
                   status.push_failure_reason, status.user_id)

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    @property
    def label(self) -> str:
        """The name the desk registered with, else the start of its id."""
        return self.name or f"device {str(self.device_id)[:8]}"

    def push_state(self, now: datetime | None = None) -> str:
        """'push failing since 14:05 (ref abc123)', 'last push 5 Dec 09:12' or 'no push yet'."""
        if self.failing_since is not None:
            ref = f" (ref {self.ref})" if self.ref else ""
            return f"push failing since {clock_text(self.failing_since, now)}{ref}"
        if self.last_push is not None:
            return f"last push {clock_text(self.last_push, now)}"
        return "no push yet"

    def seen_text(self, now: datetime | None = None) -> str:
        return clock_text(self.last_seen, now) if self.last_seen is not None else "never"


def by_urgency(statuses: Iterable[wire.DeviceStatus]) -> list[DeviceHealth]:
    """Failing devices first (the longest failing at the top), then the latest seen."""
    devices = [DeviceHealth.of(s) for s in statuses]

    def key(device: DeviceHealth) -> tuple[int, float]:
        if device.failing_since is not None:
            return 0, device.failing_since.timestamp()
        return 1, -(device.last_seen.timestamp() if device.last_seen else 0.0)

    return sorted(devices, key=key)
