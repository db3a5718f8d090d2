"""What institutes customise (sections, remarks) and periods with nothing in them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from institute_core.analytics.period import Period
from institute_core.replica import Replica
from institute_core.reports.service import SECTIONS, ReportRequest, generate
from institute_core.schema import FlexibleBatch
from tests.analytics.institute import TODAY, Institute
from tests.reports.conftest import pdf_pages, pdf_text

EMPTY = Period(date(2001, 1, 1), date(2001, 1, 31))


def _request(kind: str, institute: Institute, period: Period, **extra: object) -> ReportRequest:
    who: dict[str, object] = {
        "progress": {"student_id": institute.students["ENR-1"]},
        "attendance": {"student_id": institute.students["ENR-1"]},
        "faculty": {"faculty_id": institute.dev},
        "crm": {},
        "branches": {},
        "batch": {"batch_id": institute.batch},
        "coverage": {"batch_id": institute.batch},
    }[kind]
    return ReportRequest(kind, period, today=EMPTY.end if period == EMPTY else TODAY,
                         **who, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(SECTIONS))
def test_every_report_prints_an_empty_period(kind: str, replica: Replica,
                                             institute: Institute, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.pdf"
    result = generate(replica, _request(kind, institute, EMPTY), out,
                      generated_by=institute.admin)
    pages = pdf_pages(out)
    assert result.pages == len(pages) >= 1
    text = pdf_text(out)
    assert EMPTY.label() in text
    lines = text.splitlines()
    # Nothing happened in January 2001: every rate over it is "n/a", never 0 % or a crash.
    for label in ("Attendance rate", "Conversion rate", "Utilization", "Average rating (1-5)"):
        if label in lines:  # the last one: a heading may carry the same word
            last = len(lines) - 1 - lines[::-1].index(label)
            assert lines[last + 1] == "n/a", label
    assert "nan" not in text.lower().split()
    if kind in ("attendance", "coverage"):
        assert "No session in this period." in lines
    if kind == "crm":
        assert lines.count("No inquiry in this period.") == 2


def test_an_empty_batch_prints(replica: Replica, institute: Institute, tmp_path: Path) -> None:
    with replica.write(replica.actor(institute.admin)) as s:
        batch = FlexibleBatch(name="Nobody yet", subject_id=institute.subject,
                              faculty_id=institute.dev, batch_type="temporary",
                              start_date=date(2026, 3, 1), schedule={"weekly": []})
        s.add(batch)
        s.flush()
        batch_id = batch.id
    for kind in ("batch", "coverage", "attendance"):
        out = tmp_path / f"{kind}.pdf"
        generate(replica, ReportRequest(kind, EMPTY, batch_id=batch_id, today=TODAY), out,
                 generated_by=institute.admin)
        assert "Nobody yet" in pdf_text(out)


def test_only_the_chosen_sections_print(replica: Replica, institute: Institute,
                                        tmp_path: Path) -> None:
    asha = institute.students["ENR-1"]
    full = tmp_path / "full.pdf"
    short = tmp_path / "short.pdf"
    generate(replica, _request("progress", institute, EMPTY), full, generated_by=institute.admin)
    generate(replica, _request("progress", institute, EMPTY,
                               sections=("attendance", "remarks"),
                               remarks={asha: "Keep going."}), short,
             generated_by=institute.admin)
    full_lines, short_lines = pdf_text(full).splitlines(), pdf_text(short).splitlines()
    assert "Assessments" in full_lines and "Assessments" not in short_lines
    assert "Topics" in " ".join(full_lines) and "Topic-wise progress" not in short_lines
    assert "Keep going." in short_lines


def test_each_student_of_a_batch_gets_their_own_remarks(replica: Replica, institute: Institute,
                                                       tmp_path: Path) -> None:
    ravi, zoe = institute.students["ENR-2"], institute.students["ENR-3"]
    out = tmp_path / "batch.pdf"
    generate(replica, _request("batch", institute, EMPTY,
                               remarks={ravi: "Ravi: revise lists.", zoe: "Zoë: well done."}),
             out, generated_by=institute.admin)
    lines = pdf_text(out).splitlines()
    # Each student's part runs from their title line to the next student's.
    ravi_at, zoe_at = lines.index("Ravi Kumar (ENR-2)"), lines.index("Zoë Ångström (ENR-3)")
    assert ravi_at < zoe_at
    assert "Ravi: revise lists." in lines[ravi_at:zoe_at]
    assert "Zoë: well done." in lines[zoe_at:]
    assert "Ravi: revise lists." not in lines[zoe_at:]
