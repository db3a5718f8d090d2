"""Text nobody would type on purpose still prints, whole where it can be, and quickly.

A 100,000-letter word in a remark took four minutes to lay out: the Indic-word pattern
backtracked over every start of the word, and reportlab re-split the whole paragraph at every
page. The timeouts guard against that class of cost coming back (the figures are far lower).
"""

from __future__ import annotations

import re
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
    # The run of Devanagari letters gets its face; the comma after it stays in the Latin one.
    assert marked.count("<font") == 1 and ">नमस्ते</font>," in marked


@pytest.mark.parametrize("text", ["क्लास-Python B.Sc(विज्ञान)", "Officeकार्यालय “Sharma/शर्मा”",
                                  "यह प्रमाणित है कि Priya ने Python कोर्स पूरा किया।"])
def test_a_word_mixing_scripts_is_drawn_and_shaped_in_each_scripts_face(text: str) -> None:
    """reportlab shapes a whole word with its first fragment's font: the Latin half of
    `क्लास-Python` came out of the Devanagari face (boxes) and `विज्ञान` after `B.Sc(` was shaped
    as Latin. Each run of one font is now shaped on its own."""
    pytest.importorskip("uharfbuzz")
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from institute_core.reports.fonts import FONT, face_name, register_fonts

    if "Devanagari" not in register_fonts():
        pytest.skip("no Devanagari face")
    paragraph = Paragraph(markup(text), ParagraphStyle("t", fontName=FONT, fontSize=12,
                                                       leading=16, shaping=1))
    paragraph.wrap(2000, 100)
    pieces = [(w.fontName, str(w.text)) for line in paragraph.blPara.lines for w in line.words]
    for font, piece in pieces:
        if re.search("[A-Za-z]", piece):
            assert font == FONT, (font, piece)
        if re.search("[\u0900-\u097f]", piece):
            assert font == face_name("Devanagari"), (font, piece)
    for _font, piece in pieces:
        if "व" in piece and "विज्ञान" in text:
            # Shaped as Devanagari: the vowel sign of वि is drawn before its consonant.
            assert not piece.startswith("व"), piece
