"""The worked examples of docs/crm.md, checked row by row against the scoring code."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from institute_core.crm.scoring import RULES, LeadFacts, score_lead

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
