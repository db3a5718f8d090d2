"""Phones typed any way a person writes them compare equal; bad ones get a clear message."""

from __future__ import annotations

import pytest

from institute_core.crm.phones import PhoneProblem, normalize_phone, try_normalize


@pytest.mark.parametrize("typed", [
    "9876543210", "98765 43210", "98765-43210", "(98765) 43210", "09876543210",
    "+91 98765 43210", "+91-98765-43210", "0091 9876543210", "919876543210",
    "+91 (0) 98765 43210", " 987.654.3210 ",
])
def test_indian_number_written_many_ways_is_one_number(typed: str) -> None:
    assert normalize_phone(typed) == "+919876543210"


def test_other_country_codes_are_kept() -> None:
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("+1 (415) 555-2671") == "+14155552671"
    assert normalize_phone("+971 50 123 4567") == normalize_phone("00971501234567")


def test_default_country_decides_numbers_without_a_code() -> None:
    assert normalize_phone("(415) 555-2671", country="US") == "+14155552671"
    assert normalize_phone("020 7946 0958", country="GB") == "+442079460958"
    assert normalize_phone("020 7946 0958", country="gb") == normalize_phone("+442079460958")


@pytest.mark.parametrize(("typed", "says"), [
    ("12345", "should have 10 digits"),
    ("98765 4321x", "only digits"),
    ("", "is empty"),
    ("+1234", "7 to 15 digits"),
])
def test_bad_numbers_are_explained(typed: str, says: str) -> None:
    with pytest.raises(PhoneProblem, match=says):
        normalize_phone(typed)
    assert try_normalize(typed) is None
