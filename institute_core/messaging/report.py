"""Message counts and costs per month and channel: what the institute sent and what it cost.

Read from `message_deliveries` (the server's record, synced to admin desks), so the same
function serves the admin desk and `institute-sync-server dispatch --report`. A message counts
in the month it was sent, or, never sent, the month it reached the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from institute_core.enums import DeliveryStatus
from institute_core.schema import MessageDelivery


@dataclass
class MonthChannel:
    """One month of one channel."""

    month: date  # its first day
    channel: str
    by_status: dict[str, int] = field(default_factory=dict)
    segments: int = 0
    cost: Decimal = Decimal(0)

    @property
    def sent(self) -> int:
        """Handed to the provider (delivered ones included)."""
        return self.by_status.get(DeliveryStatus.SENT, 0) + \
            self.by_status.get(DeliveryStatus.DELIVERED, 0)


def summarize(rows: Iterable[Any]) -> list[MonthChannel]:
    """Rows with channel, status, sent_at, created_at, segments, cost -> months, newest first."""
    months: dict[tuple[date, str], MonthChannel] = {}
    for row in rows:
        moment: datetime = row.sent_at or row.created_at
        key = (moment.date().replace(day=1), row.channel)
        entry = months.setdefault(key, MonthChannel(*key))
        entry.by_status[row.status] = entry.by_status.get(row.status, 0) + 1
        entry.segments += row.segments or 0
        entry.cost += Decimal(row.cost or 0)
    return sorted(months.values(), key=lambda m: (-m.month.toordinal(), m.channel))


def monthly_report(session: Session) -> list[MonthChannel]:
    d = MessageDelivery
    return summarize(session.execute(select(
        d.channel, d.status, d.sent_at, d.created_at, d.segments, d.cost)
        .where(d.deleted_at.is_(None))))


def report_text(months: list[MonthChannel]) -> str:
    lines = [f"{'month':<8} {'channel':<9} {'sent':>6} {'failed':>6} {'blocked':>7} "
             f"{'queued':>6} {'parts':>6} {'cost (Rs)':>10}"]
    for m in months:
        lines.append(f"{m.month:%Y-%m}  {m.channel:<9} {m.sent:>6} "
                     f"{m.by_status.get(DeliveryStatus.FAILED, 0):>6} "
                     f"{m.by_status.get(DeliveryStatus.BLOCKED, 0):>7} "
                     f"{m.by_status.get(DeliveryStatus.QUEUED, 0):>6} {m.segments:>6} "
                     f"{m.cost:>10.2f}")
    return "\n".join(lines)
