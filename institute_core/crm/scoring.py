"""Lead score: a rules-based 0–100 with the reasons that made it, e.g. "+20 referral".

Every weight lives in `RULES` below; docs/crm.md explains them and holds a table of worked
examples that tests/crm/test_scoring.py checks against this module. The score is computed when
the list is read, never stored: its time-based parts (recency, age) change every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from institute_core.enums import InquiryStatus


@dataclass(frozen=True)
class ScoreRules:
    """The weights of the lead score (points), in one place."""

    base: int = 40
    source: dict[str, int] = field(default_factory=lambda: {
        "referral": 20, "walk_in": 15, "website": 5, "campaign": 5, "social_media": 0})
    priority: dict[str, int] = field(default_factory=lambda: {"high": 5, "medium": 0, "low": -5})
    per_contact: int = 5           # each completed follow-up (engagement) ...
    contacts_cap: int = 15         # ... up to this much
    recent_days: int = 3           # touched within this many days ...
    recent: int = 10               # ... earns this
    # (days without contact, points): the first threshold reached applies.
    stale: tuple[tuple[int, int], ...] = ((30, -20), (14, -10))
    per_missed: int = -5           # each missed follow-up (no response) ...
    missed_cap: int = -15          # ... down to this much
    all_subjects_taught: int = 10  # fit: every subject asked about is taught here
    some_subjects_taught: int = 5
    no_subject_taught: int = -10
    old_lead_days: int = 90        # a lead older than this ...
    old_lead: int = -10            # ... loses this


RULES = ScoreRules()


@dataclass(frozen=True)
class LeadFacts:
    """What the score is computed from (all read from the inquiry and its follow-ups)."""

    status: str
    source: str | None
    priority: str | None
    created_on: date
    last_contact_on: date | None  # latest completed follow-up
    completed_contacts: int
    missed_follow_ups: int
    subjects_named: int
    subjects_taught: int


@dataclass(frozen=True)
class Reason:
    points: int
    what: str

    def __str__(self) -> str:
        if self.points == 0:
            return self.what
        sign = "+" if self.points > 0 else "−"
        return f"{sign}{abs(self.points)} {self.what}"


@dataclass(frozen=True)
class LeadScore:
    value: int
    reasons: tuple[Reason, ...]

    def explain(self) -> str:
        return ", ".join(str(r) for r in self.reasons)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def score_lead(facts: LeadFacts, today: date, rules: ScoreRules = RULES) -> LeadScore:
    """The lead's score on `today` and its reasons (largest effects first)."""
    if facts.status == InquiryStatus.ENROLLED:
        return LeadScore(100, (Reason(0, "enrolled"),))
    if facts.status == InquiryStatus.LOST:
        return LeadScore(0, (Reason(0, "lost"),))
    reasons: list[Reason] = []
    source_points = rules.source.get(facts.source or "", 0)
    if source_points:
        reasons.append(Reason(source_points, (facts.source or "").replace("_", " ")))
    priority_points = rules.priority.get(facts.priority or "", 0)
    if priority_points:
        reasons.append(Reason(priority_points, f"{facts.priority} priority"))
    if facts.completed_contacts:
        reasons.append(Reason(min(rules.contacts_cap, rules.per_contact * facts.completed_contacts),
                              _plural(facts.completed_contacts, "contact")))
    touched = max(facts.created_on, facts.last_contact_on or facts.created_on)
    quiet = (today - touched).days
    if quiet <= rules.recent_days:
        reasons.append(Reason(rules.recent, f"contact in the last {rules.recent_days} days"))
    else:
        for days, points in rules.stale:
            if quiet >= days:
                reasons.append(Reason(points, f"no contact for {quiet} days"))
                break
    if facts.missed_follow_ups:
        reasons.append(Reason(max(rules.missed_cap, rules.per_missed * facts.missed_follow_ups),
                              _plural(facts.missed_follow_ups, "missed follow-up")))
    if facts.subjects_named:
        if facts.subjects_taught == facts.subjects_named:
            reasons.append(Reason(rules.all_subjects_taught, "subjects taught here"))
        elif facts.subjects_taught:
            reasons.append(Reason(rules.some_subjects_taught, "some subjects taught here"))
        else:
            reasons.append(Reason(rules.no_subject_taught, "no subject taught here"))
    age = (today - facts.created_on).days
    if age > rules.old_lead_days:
        reasons.append(Reason(rules.old_lead, f"lead {age} days old"))
    reasons.sort(key=lambda r: -abs(r.points))
    value = max(0, min(100, rules.base + sum(r.points for r in reasons)))
    return LeadScore(value, tuple(reasons))
