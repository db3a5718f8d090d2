"""Lead score: a rules-based 0–100 with the reasons that made it, e.g. "+20 referral".

Every weight lives in `RULES` below; docs/crm.md explains them and holds a table of worked
examples that tests/crm/test_scoring.py checks against this module. The score is computed when
the list is read, never stored: its time-based parts (recency, age) change every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

from institute_core.enums import InquiryStatus
from institute_core.memo import Memo


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


class LeadFacts(NamedTuple):
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
    """The score, and its reasons worked out when first asked for (a list of 10,000 leads
    sorts by value; only the few rows on screen ever show their reasons)."""

    value: int
    facts: LeadFacts
    today: date
    rules: ScoreRules = RULES

    @cached_property
    def reasons(self) -> tuple[Reason, ...]:
        found: list[Reason] = []
        _evaluate(self.facts, self.today, self.rules, found)
        found.sort(key=lambda r: -abs(r.points))
        return tuple(found)

    def explain(self) -> str:
        return ", ".join(str(r) for r in self.reasons)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# Each rule's points, one function per input: `_evaluate` adds them up for one lead with its
# reasons, and `Scorer` memoizes them to score a list of thousands.

def source_points(rules: ScoreRules, source: str | None) -> int:
    return rules.source.get(source or "", 0)


def priority_points(rules: ScoreRules, priority: str | None) -> int:
    return rules.priority.get(priority or "", 0)


def contact_points(rules: ScoreRules, completed: int) -> int:
    return min(rules.contacts_cap, rules.per_contact * completed)


def recency_points(rules: ScoreRules, quiet_days: int) -> int:
    if quiet_days <= rules.recent_days:
        return rules.recent
    for days, points in rules.stale:
        if quiet_days >= days:
            return points
    return 0


def missed_points(rules: ScoreRules, missed: int) -> int:
    return max(rules.missed_cap, rules.per_missed * missed)


def fit_points(rules: ScoreRules, named: int, taught: int) -> int:
    if not named:
        return 0
    return (rules.all_subjects_taught if taught == named
            else rules.some_subjects_taught if taught else rules.no_subject_taught)


def age_points(rules: ScoreRules, age_days: int) -> int:
    return rules.old_lead if age_days > rules.old_lead_days else 0


def _anchor(created_on: date, last_contact_on: date | None) -> date:
    """The day recency counts from: the last contact, or the day the lead came in."""
    return last_contact_on if last_contact_on is not None and last_contact_on > created_on \
        else created_on


def _evaluate(facts: LeadFacts, today: date, rules: ScoreRules,
              explain: list[Reason] | None) -> int:
    """The score before clamping; with `explain`, each rule that applied is appended to it.
    One function for both, so the value and its reasons cannot disagree."""
    if facts.status == InquiryStatus.ENROLLED:
        if explain is not None:
            explain.append(Reason(0, "enrolled"))
        return 100
    if facts.status == InquiryStatus.LOST:
        if explain is not None:
            explain.append(Reason(0, "lost"))
        return 0
    source = source_points(rules, facts.source)
    priority = priority_points(rules, facts.priority)
    contacts = contact_points(rules, facts.completed_contacts)
    quiet = (today - _anchor(facts.created_on, facts.last_contact_on)).days
    recency = recency_points(rules, quiet)
    missed = missed_points(rules, facts.missed_follow_ups)
    fit = fit_points(rules, facts.subjects_named, facts.subjects_taught)
    age = (today - facts.created_on).days
    old = age_points(rules, age)
    if explain is not None:
        named = facts.subjects_taught == facts.subjects_named
        for points, what in (
                (source, (facts.source or "").replace("_", " ")),
                (priority, f"{facts.priority} priority"),
                (contacts, _plural(facts.completed_contacts, "contact")),
                (recency, f"contact in the last {rules.recent_days} days" if quiet <=
                 rules.recent_days else f"no contact for {quiet} days"),
                (missed, _plural(facts.missed_follow_ups, "missed follow-up")),
                (fit, "subjects taught here" if named else "some subjects taught here"
                 if facts.subjects_taught else "no subject taught here"),
                (old, f"lead {age} days old")):
            if points:
                explain.append(Reason(points, what))
    return rules.base + source + priority + contacts + recency + missed + fit + old


_ENROLLED, _LOST = InquiryStatus.ENROLLED.value, InquiryStatus.LOST.value


class Scorer:
    """`score_value` for many leads on one day. Inputs repeat across a list of thousands (a few
    sources, priorities, counts, some hundred days), so each rule's points are worked out once
    per distinct input by the functions above and a lead's score is a few dict look-ups."""

    def __init__(self, today: date, rules: ScoreRules = RULES) -> None:
        self.today = today
        self._head = Memo[Any, int](lambda key: rules.base + source_points(rules, key[0])
                                    + priority_points(rules, key[1]))
        self._contacts = Memo[Any, int](lambda n: contact_points(rules, n))
        self._missed = Memo[Any, int](lambda n: missed_points(rules, n))
        self._fit = Memo[Any, int](lambda key: fit_points(rules, *key))
        self._recency = Memo[Any, int](lambda day: recency_points(rules, (today - day).days))
        self._age = Memo[Any, int](lambda day: age_points(rules, (today - day).days))

    def value(self, status: str, source: str | None, priority: str | None, created_on: date,
              last_contact_on: date | None, completed: int, missed: int, named: int,
              taught: int) -> int:
        """The same value as `score_value` of the same facts (tests/crm/test_scoring.py)."""
        if status == _ENROLLED:
            return 100
        if status == _LOST:
            return 0
        anchor = last_contact_on if last_contact_on is not None and \
            last_contact_on > created_on else created_on
        total = (self._head[source, priority] + self._contacts[completed]
                 + self._missed[missed] + self._fit[named, taught] + self._recency[anchor]
                 + self._age[created_on])
        return 0 if total < 0 else 100 if total > 100 else total


def score_value(facts: LeadFacts, today: date, rules: ScoreRules = RULES) -> int:
    """The lead's score on `today` (0–100), without its reasons."""
    return max(0, min(100, _evaluate(facts, today, rules, None)))


def score_lead(facts: LeadFacts, today: date, rules: ScoreRules = RULES) -> LeadScore:
    """The lead's score on `today` (0–100); its reasons, largest effects first, on demand."""
    return LeadScore(score_value(facts, today, rules), facts, today, rules)
