"""The worked examples of docs/crm.md, checked row by row against the scoring code."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from institute_core.crm.scoring import RULES, LeadFacts, Scorer, score_lead

DOC = Path(__file__).resolve().parents[2] / "docs" / "crm.md"
TODAY = date(2026, 11, 23)


def _examples() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- worked-examples -->")[1].split("<!-- /worked-examples -->")[0]
    lines = [line for line in table.strip().splitlines()[2:] if line.startswith("|")]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


EXAMPLES = _examples()


def test_the_docs_hold_enough_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("row", EXAMPLES, ids=lambda r: f"{r[0]}-{r[1]}-{r[8]}")
def test_worked_example(row: list[str]) -> None:
    status, source, priority, age, contacts, last, missed, subjects, score, reasons = row
    taught, named = (int(x) for x in subjects.split("/"))
    facts = LeadFacts(
        status=status, source=source, priority=priority,
        created_on=TODAY - timedelta(days=int(age)),
        last_contact_on=None if last == "–" else TODAY - timedelta(days=int(last)),
        completed_contacts=int(contacts), missed_follow_ups=int(missed),
        subjects_named=named, subjects_taught=taught)
    result = score_lead(facts, TODAY)
    assert (result.value, result.explain()) == (int(score), reasons)


def test_score_stays_within_0_and_100_and_reasons_add_up() -> None:
    for row in EXAMPLES:
        status, source, priority, age, contacts, last, missed, subjects, *_ = row
        taught, named = (int(x) for x in subjects.split("/"))
        result = score_lead(LeadFacts(
            status, source, priority, TODAY - timedelta(days=int(age)),
            None if last == "–" else TODAY - timedelta(days=int(last)), int(contacts),
            int(missed), named, taught), TODAY)
        assert 0 <= result.value <= 100
        if status in ("new", "contacted", "follow_up_scheduled"):
            total = RULES.base + sum(r.points for r in result.reasons)
            assert result.value == max(0, min(100, total))


def test_a_lead_left_alone_loses_points_as_days_pass() -> None:
    facts = LeadFacts("new", "website", "medium", TODAY, None, 0, 0, 0, 0)
    fresh = score_lead(facts, TODAY).value
    two_weeks = score_lead(facts, TODAY + timedelta(days=14))
    assert two_weeks.value == fresh - 20  # lost +10 recency, gained −10 stale
    assert "−10 no contact for 14 days" in two_weeks.explain()


def _facts_of(row: list[str]) -> LeadFacts:
    status, source, priority, age, contacts, last, missed, subjects, *_ = row
    taught, named = (int(x) for x in subjects.split("/"))
    return LeadFacts(status, source, priority, TODAY - timedelta(days=int(age)),
                     None if last == "–" else TODAY - timedelta(days=int(last)), int(contacts),
                     int(missed), named, taught)


def test_the_list_scorer_gives_every_worked_example_its_score() -> None:
    scorer = Scorer(TODAY)
    for row in EXAMPLES:
        facts = _facts_of(row)
        assert scorer.value(*facts) == int(row[8]) == score_lead(facts, TODAY).value


@given(status=st.sampled_from(["new", "contacted", "follow_up_scheduled", "enrolled", "lost"]),
       source=st.sampled_from(["referral", "walk_in", "website", "campaign", "social_media", ""]),
       priority=st.sampled_from(["high", "medium", "low", ""]),
       age=st.integers(0, 400), last=st.one_of(st.none(), st.integers(0, 400)),
       done=st.integers(0, 8), missed=st.integers(0, 8), named=st.integers(0, 4),
       taught=st.integers(0, 4))
def test_the_list_scorer_agrees_with_the_explained_score(
        status: str, source: str, priority: str, age: int, last: int | None, done: int,
        missed: int, named: int, taught: int) -> None:
    """The list sorts by `Scorer.value` and the panel explains `score_lead`: they must agree."""
    facts = LeadFacts(status, source, priority, TODAY - timedelta(days=age),
                      None if last is None else TODAY - timedelta(days=last), done, missed,
                      named, min(taught, named))
    scorer = Scorer(TODAY)
    assert scorer.value(*facts) == score_lead(facts, TODAY).value
    assert scorer.value(*facts) == score_lead(facts, TODAY).value  # memoized the same
