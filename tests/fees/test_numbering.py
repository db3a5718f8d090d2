"""Receipt numbers: the Indian financial year, the desk's series, a sequence that goes on."""

from __future__ import annotations

from datetime import date

import pytest

from institute_core.numbering import (
    DocumentNumber,
    NoSeries,
    financial_year,
    in_series,
    next_number,
    parse,
    series_code,
)
from institute_core.replica import Replica
from tests.services.fixtures import Institute


def test_the_financial_year_runs_april_to_march() -> None:
    assert financial_year(date(2026, 4, 1)) == "2026-27"
    assert financial_year(date(2027, 3, 31)) == "2026-27"
    assert financial_year(date(2099, 12, 5)) == "2099-00"
    assert str(DocumentNumber("2026-27", "D07", 123)) == "2026-27/D07/000123"
    assert [series_code(n) for n in (1, 7, 100)] == ["D01", "D07", "D100"]


def test_a_number_belongs_to_exactly_one_series() -> None:
    assert parse("2026-27/D07/000123") == DocumentNumber("2026-27", "D07", 123)
    assert in_series("2026-27/D07/000123", "D07")
    for forged in ("2026-27/D08/000123", "2026-27/D07/12", "2026-27/d07/000123",
                   "D07/000123", "", None, 123):
        assert not in_series(forged, "D07"), forged
    assert not in_series("2026-27/D07/000123", None)


def test_the_sequence_continues_per_series_and_year_and_is_never_reused(
        replica: Replica, institute: Institute) -> None:
    actor = replica.actor(institute.admin_id)
    with replica.write(actor) as session:
        first = next_number(session, "payments", "receipt_no", "D07", date(2027, 3, 31))
        second = next_number(session, "payments", "receipt_no", "D07", date(2027, 3, 31))
        new_year = next_number(session, "payments", "receipt_no", "D07", date(2027, 4, 1))
        other = next_number(session, "refunds", "credit_note_no", "D07", date(2027, 3, 31))
    assert (first, second) == ("2026-27/D07/000001", "2026-27/D07/000002")
    assert new_year == "2027-28/D07/000001" and other == "2026-27/D07/000001"
    # No row was written with them, yet the counter remembers: the next is 3, not 1 again.
    with replica.write(actor) as session:
        assert next_number(session, "payments", "receipt_no", "D07",
                           date(2027, 1, 1)) == "2026-27/D07/000003"


def test_a_desk_without_a_series_is_told_to_connect_first(replica: Replica,
                                                          institute: Institute) -> None:
    with replica.write(replica.actor(institute.admin_id)) as session, \
            pytest.raises(NoSeries, match="connect it to the server"):
        next_number(session, "payments", "receipt_no", None, date(2027, 1, 1))


def test_a_certificate_number_carries_its_branch_code_and_stays_unique_by_series(
        replica: Replica, institute: Institute) -> None:
    """Two branches served by one desk share the series' sequence: the numbers differ even
    without their codes, and a code typed with spaces or slashes cannot break a number."""
    day = date(2027, 1, 5)
    with replica.write(replica.actor(institute.admin_id)) as session:
        made = [next_number(session, "certificates", "certificate_number", "D07", day,
                            branch=code) for code in ("main", "Pune / West", None, "MAIN")]
    assert made == ["MAIN/2026-27/D07/000001", "PUNE-WEST/2026-27/D07/000002",
                    "2026-27/D07/000003", "MAIN/2026-27/D07/000004"]
    assert [parse(n).branch for n in made] == ["MAIN", "PUNE-WEST", None, "MAIN"]  # type: ignore[union-attr]
    assert all(in_series(n, "D07") for n in made)
    assert not in_series("MAIN/2026-27/D08/000001", "D07")
    assert not in_series("MA IN/2026-27/D07/000001", "D07")
