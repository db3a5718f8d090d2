"""Reports are checked on the known-answer institute of tests/analytics."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from institute_core.replica import Replica
from tests.analytics.institute import Institute, build_institute


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


def pdf_pages(path: Path) -> list[list[str]]:
    """The text of each page, one stripped line per entry (pypdf)."""
    reader = PdfReader(str(path))
    return [[line.strip() for line in (page.extract_text() or "").splitlines()]
            for page in reader.pages]


def pdf_text(path: Path) -> str:
    return "\n".join("\n".join(page) for page in pdf_pages(path))
