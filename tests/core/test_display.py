"""Dates, times and numbers read the way an Indian institute writes them, in one style."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from institute_core import display
from institute_core.display import DATE_STYLES, DisplayStyle, StyleProblem


@pytest.fixture(autouse=True)
def default_style() -> Iterator[None]:
    display.use_style(DisplayStyle())
    yield
    display.use_style(DisplayStyle())


def indian_grouping(n: int) -> str:
    """The rule written out independently: the last three digits, then pairs."""
    digits = str(abs(n))
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while head:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ("-" if n < 0 else "") + ",".join([*pairs, tail])


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_whole_numbers_are_grouped_in_lakhs_and_crores(n: int) -> None:
    assert display.number(n) == indian_grouping(n)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_money_and_decimals_keep_the_grouping_and_exactly_two_places(rupees: int,
                                                                      paise: int) -> None:
    amount = rupees + paise / 100
    assert display.number(amount, 2) == f"{indian_grouping(rupees)}.{paise:02d}"
    assert display.money(amount) == f"₹{indian_grouping(rupees)}.{paise:02d}"


def test_the_examples_people_know() -> None:
    assert display.number(125000) == "1,25,000"
    assert display.money(125000) == "₹1,25,000.00"
    assert display.count(1318, "student") == "1,318 students"
    assert display.count(1, "inquiry", "inquiries") == "1 inquiry"
    assert display.percent(44.236) == "44.2 %"
    assert display.number(None) == "n/a"


def test_every_day_of_a_year_reads_day_first_in_both_styles() -> None:
    """Never "11-01": the axis label names the month in words, and a numeric date starts with
    the day, so 1 November and 11 January cannot be confused."""
    day = date(2026, 1, 1)
    while day.year == 2026:
        label = display.day_month(day)  # e.g. "01 Nov", "01 Sept" (CLDR's Indian English)
        digits, month = label.split(" ")
        assert int(digits) == day.day and len(digits) == 2
        assert day.strftime("%B").startswith(month) and len(month) >= 3, label
        assert display.date_text(day) == f"{label} 2026"
        display.use_style(DisplayStyle(date_style="dd-MM-yyyy"))
        assert datetime.strptime(display.date_text(day), "%d-%m-%Y").date() == day
        display.use_style(DisplayStyle())
        day += timedelta(days=1)
    assert display.date_text(date(2026, 12, 5)) == "05 Dec 2026"
    assert list(DATE_STYLES.values()) == ["05 Dec 2026", "05-12-2026"]


def test_stored_moments_show_in_the_institutes_time_zone_not_utc() -> None:
    stored = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)  # what the database keeps
    assert display.moment_text(stored) == "05 Dec 2026, 15:00"
    assert display.time_text(stored) == "15:00"
    assert display.zone_label() == "IST"
    # Just before midnight UTC is the next morning in Kolkata: the date moves too.
    assert display.date_text(datetime(2026, 12, 5, 20, 0, tzinfo=UTC)) == "06 Dec 2026"
    display.use_style(DisplayStyle(time_zone="Europe/London"))
    assert display.moment_text(stored) == "05 Dec 2026, 09:30"
    # A wall-clock time (a class at 15:00) is not converted.
    assert display.time_text(time(15, 0)) == "15:00"


@pytest.mark.parametrize(("style", "setting"), [
    (DisplayStyle(date_style="MM/dd/yyyy"), "Date style"),
    (DisplayStyle(time_zone="Asia/Bombay-ish"), "Time zone"),
    (DisplayStyle(locale="xx_YY_bad"), "Locale"),
])
def test_an_unusable_setting_is_refused_by_name(style: DisplayStyle, setting: str) -> None:
    with pytest.raises(StyleProblem) as caught:
        display.use_style(style)
    assert caught.value.setting == setting
    # A stored document with the same oddity falls back to the defaults instead of failing.
    assert DisplayStyle.from_mapping(style.to_mapping()) == DisplayStyle()


def test_every_schema_field_reads_as_words_in_a_refusal() -> None:
    """Refusals name the field for a person: no table prefix, no underscores, no "_id"."""
    from institute_core.schema import Base
    from institute_core.validation import InvalidInput, field_label, person_message

    for table in Base.metadata.tables.values():
        for column in table.columns:
            label = field_label(column.name)
            assert label and "_" not in label and label[0].isupper(), (table.name, label)
            shown = person_message(InvalidInput(table.name, column.name, "is required"))
            assert shown == f"{label}: is required" and table.name not in shown
    assert person_message(InvalidInput("flexible_batches", "max_students", "capacity 7 is too "
                                       "small")) == "Capacity: capacity 7 is too small"


def test_a_period_in_a_narrow_column_names_its_year_once() -> None:
    assert display.short_period(date(2026, 11, 1), date(2026, 11, 30)) == "01–30 Nov 2026"
    assert display.short_period(date(2026, 11, 6), date(2026, 12, 5)) == "06 Nov – 05 Dec 2026"
    assert display.short_period(date(2025, 12, 6), date(2026, 1, 5)) == \
        "06 Dec 2025 – 05 Jan 2026"
    display.use_style(DisplayStyle(date_style="dd-MM-yyyy"))
    assert display.short_period(date(2026, 11, 1), date(2026, 11, 30)) == \
        "01-11-2026 – 30-11-2026"
