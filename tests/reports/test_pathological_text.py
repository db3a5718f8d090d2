"""Text nobody would type on purpose still prints, whole where it can be, and quickly.

A 100,000-letter word in a remark took four minutes to lay out: the Indic-word pattern
backtracked over every start of the word, and reportlab re-split the whole paragraph at every
page. The timeouts guard against that class of cost coming back (the figures are far lower).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from institute_core.replica import Replica
from institute_core.reports.branding import ReportBranding
from institute_core.reports.fonts import markup, needs_shaping
from institute_core.reports.layout import CONTENT_WIDTH, ReportDocument, data_table
from institute_core.reports.service import generate
from tests.analytics.institute import Institute
from tests.reports.conftest import pdf_pages, pdf_text
from tests.reports.test_customising import EMPTY, _request

LONG = 100_000


@pytest.mark.timeout(60)
def test_a_remark_of_one_enormous_word_prints_every_letter(replica: Replica,
                                                           institute: Institute,
                                                           tmp_path: Path) -> None:
    asha = institute.students["ENR-1"]
    word = "y" * LONG
    out = tmp_path / "progress.pdf"
    result = generate(replica, _request("progress", institute, EMPTY,
                                        sections=("attendance", "remarks"),
                                        remarks={asha: f"Start {word} end."}),
                      out, generated_by=institute.admin)
    text = pdf_text(out)
    assert result.pages == len(pdf_pages(out)) > 10
    remark = text[text.index("Start"):text.index("end.")]
    assert remark.count("y") == LONG


@pytest.mark.timeout(60)
def test_a_table_cell_prints_the_start_of_an_enormous_text_and_says_how_much_is_left_out(
        tmp_path: Path) -> None:
    out = tmp_path / "table.pdf"
    doc = ReportDocument(out, branding=ReportBranding(name="Test"), title="Cells",
                         period_label="-", generated_at=datetime(2026, 12, 5))
    doc.render([data_table(["Name", "Note"], [["Asha", "z" * LONG], ["Ravi", "short"]],
                           [CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.7])])
    text = pdf_text(out)
    assert "(+99,400 characters)" in text
    assert "Ravi" in text and "short" in text


@pytest.mark.timeout(10)
def test_indic_words_are_found_in_linear_time_and_still_get_their_face() -> None:
    latin = "x" * LONG
    assert not needs_shaping(latin)
    assert markup(latin) == latin
    mixed = f"{latin} नमस्ते, {latin}"
    assert needs_shaping(mixed)
    marked = markup(mixed)
    assert marked.count("<font") == 1 and ">नमस्ते,</font>" in marked
