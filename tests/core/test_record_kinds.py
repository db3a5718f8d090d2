"""Every synced table has a word a person uses for one of its records."""

from __future__ import annotations

import pytest

from institute_core.audit.names import RECORD_KINDS, record_kind
from institute_core.schema import SYNCED_TABLES


@pytest.mark.parametrize("table", SYNCED_TABLES)
def test_every_synced_table_has_a_word_without_underscores(table: str) -> None:
    assert table in RECORD_KINDS, f"add {table} to audit.names.RECORD_KINDS"
    assert "_" not in record_kind(table)
