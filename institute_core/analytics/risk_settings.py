"""The at-risk rules' thresholds: each declared once, with its type, default, bounds and words.

An admin tunes them in the settings dialog (which builds its fields from `THRESHOLDS`); they are
kept in the replica's `risk_thresholds` sync_state document. An unknown key or a value out of
bounds in that document is ignored (the default applies), so an old or hand-edited document
never stops the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from institute_core.replica import Replica
from institute_core.setup.access import HasRole, require_admin

STATE_KEY = "risk_thresholds"


@dataclass(frozen=True)
class Threshold:
    """How one threshold is shown and checked."""

    name: str  # the RiskThresholds field
    label: str
    unit: str
    minimum: int
    maximum: int
    help: str


@dataclass(frozen=True)
class RiskThresholds:
    """When each at-risk rule fires, and when a flag is urgent rather than one to watch."""

    attendance_below: int = 75
    attendance_urgent_below: int = 50
    attendance_window: int = 10
    attendance_minimum: int = 3
    idle_days: int = 14
    idle_urgent_days: int = 28
    competency_sessions: int = 3
    competency_drop_tenths: int = 20
    competency_urgent_level_tenths: int = 20
    behind_days: int = 21
    behind_urgent_days: int = 56

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | None) -> RiskThresholds:
        """From the stored document: known keys with whole numbers within bounds."""
        if not isinstance(value, Mapping):
            return cls()
        chosen: dict[str, int] = {}
        for t in THRESHOLDS:
            raw = value.get(t.name)
            if isinstance(raw, int) and not isinstance(raw, bool) \
                    and t.minimum <= raw <= t.maximum:
                chosen[t.name] = raw
        return replace(cls(), **chosen)

    def to_mapping(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}

    def problems(self) -> list[str]:
        """What is wrong with these values, in words (empty when they can be used)."""
        found = [f"{t.label}: must be {t.minimum} to {t.maximum} {t.unit}, got "
                 f"{getattr(self, t.name)}" for t in THRESHOLDS
                 if not t.minimum <= getattr(self, t.name) <= t.maximum]
        if self.attendance_urgent_below > self.attendance_below:
            found.append("Urgent attendance: must not be above the attendance threshold")
        if self.idle_urgent_days < self.idle_days:
            found.append("Urgent idle days: must not be fewer than the idle days")
        if self.behind_urgent_days < self.behind_days:
            found.append("Urgent days behind: must not be fewer than the days behind")
        if self.attendance_minimum > self.attendance_window:
            found.append("Fewest sessions counted: must not be more than the sessions looked at")
        return found


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("attendance_below", "Low attendance below", "%", 1, 100,
              "Flag a student whose attendance over the last sessions is below this."),
    Threshold("attendance_urgent_below", "Urgent when attendance below", "%", 0, 100,
              "Such a flag is urgent when attendance is below this."),
    Threshold("attendance_window", "Sessions looked at", "sessions", 1, 100,
              "Attendance is measured over this many latest sessions (excused ones left out)."),
    Threshold("attendance_minimum", "Fewest sessions counted", "sessions", 1, 100,
              "No attendance flag before this many sessions, so one early absence does not "
              "flag a newcomer."),
    Threshold("idle_days", "No session attended for", "days", 1, 365,
              "Flag an enrolled student who has attended nothing for this many days."),
    Threshold("idle_urgent_days", "Urgent after", "days", 1, 365,
              "Such a flag is urgent after this many days."),
    Threshold("competency_sessions", "Rated sessions looked at", "sessions", 2, 20,
              "Understanding must fall from each of these latest rated sessions to the next."),
    Threshold("competency_drop_tenths", "Understanding fell by at least", "tenths of a level",
              1, 40, "…and fall by at least this much in all (10 = one level of 1-5)."),
    Threshold("competency_urgent_level_tenths", "Urgent at or below level", "tenths of a level",
              10, 50, "Such a flag is urgent when the latest level is at or below this "
              "(20 = level 2)."),
    Threshold("behind_days", "Behind schedule by", "days", 0, 365,
              "Flag an enrollment predicted to finish this many days after its expected date."),
    Threshold("behind_urgent_days", "Urgent when behind by", "days", 0, 730,
              "Such a flag is urgent when this many days behind, or when the expected date "
              "has passed with topics left."),
)



class ThresholdsRefused(ValueError):
    """Thresholds that cannot be saved; the message lists what is wrong, in words."""


def read_thresholds(replica: Replica) -> RiskThresholds:
    return RiskThresholds.from_mapping(replica.get_state(STATE_KEY))


def save_thresholds(replica: Replica, viewer: HasRole, wanted: RiskThresholds) -> None:
    """Store the thresholds every at-risk list of this desk uses (admins only)."""
    require_admin(viewer, "change the at-risk thresholds", "reports.view")
    problems = wanted.problems()
    if problems:
        raise ThresholdsRefused("; ".join(problems))
    replica.set_state(STATE_KEY, wanted.to_mapping())
