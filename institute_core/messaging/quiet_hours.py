"""Quiet hours: no SMS or WhatsApp between 21:00 and 09:00 institute time (a setting).

A message due inside quiet hours waits until they end; email is never held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from institute_core.enums import Channel

DEFAULT_START, DEFAULT_END = time(21, 0), time(9, 0)
HELD_CHANNELS = frozenset({Channel.SMS.value, Channel.WHATSAPP.value})


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time (across midnight when end < start); equal: none."""

    start: time = DEFAULT_START
    end: time = DEFAULT_END
    zone: str = "Asia/Kolkata"

    @classmethod
    def parse(cls, text: str, zone: str = "Asia/Kolkata") -> QuietHours:
        """"21:00-09:00" (the server setting's form); "" or "off" for none."""
        if text.strip().lower() in ("", "off", "none"):
            return cls(time(0), time(0), zone)
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as exc:
            raise ValueError(f"quiet hours {text!r}: write them as HH:MM-HH:MM, "
                             f"e.g. 21:00-09:00, or off") from exc
        ZoneInfo(zone)  # an unknown zone fails here, at start-up, not at 21:00
        return cls(start, end, zone)

    def _quiet_at(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def holds(self, channel: str, moment: datetime) -> bool:
        """Whether a message on `channel` must wait at `moment` (an aware datetime)."""
        local = moment.astimezone(ZoneInfo(self.zone))
        return channel in HELD_CHANNELS and self._quiet_at(local.time())

    def ends_after(self, moment: datetime) -> datetime:
        """When the quiet hours holding `moment` end (`moment` itself when it is not quiet)."""
        zone = ZoneInfo(self.zone)
        local = moment.astimezone(zone)
        if not self._quiet_at(local.time()):
            return moment
        end = datetime.combine(local.date(), self.end, zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, zone)
        return end.astimezone(moment.tzinfo)
