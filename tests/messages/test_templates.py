"""Templates: variables checked when saved, SMS length and parts as gateways bill them,
quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from institute_core.enums import Channel
from institute_core.messaging.quiet_hours import QuietHours
from institute_core.messaging.segments import sms_length
from institute_core.messaging.templates import check_template, preview
from institute_core.validation import InvalidInput


def test_an_unknown_variable_is_refused_naming_it_and_what_the_event_offers() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_template("absent", "{studnet_first_name} was absent on {session_date}")
    text = str(caught.value)
    assert "unknown variable {studnet_first_name}" in text
    assert "{student_first_name}" in text  # what they meant is offered
    check_template("absent", "{student_first_name} was absent on {session_date}")


def test_broken_braces_and_formats_are_refused() -> None:
    with pytest.raises(InvalidInput, match="brace"):
        check_template("absent", "{student_first_name was absent")
    with pytest.raises(InvalidInput, match="plain name"):
        check_template("absent", "{student_first_name!r}")


def test_a_template_longer_than_four_sms_parts_is_refused() -> None:
    with pytest.raises(InvalidInput, match="too long for SMS"):
        check_template("absent", "{student_name} " + "x" * 700)
    check_template("absent", "{student_name} " + "x" * 700, channel=Channel.EMAIL)


def test_english_is_gsm7_and_hindi_unicode_with_their_part_sizes() -> None:
    assert sms_length("a" * 160).segments == 1
    assert sms_length("a" * 161).segments == 2  # 153 a part
    assert sms_length("a" * 306).segments == 2
    assert sms_length("a" * 307).segments == 3
    assert sms_length("{" * 80).units == 160  # extension characters take two places
    hindi = "आज आरव कक्षा में अनुपस्थित था"
    length = sms_length(hindi)
    assert length.encoding == "Unicode" and length.units == len(hindi)
    assert sms_length("अ" * 70).segments == 1
    assert sms_length("अ" * 71).segments == 2  # 67 a part
    assert sms_length("₹500").encoding == "Unicode"  # the rupee sign is not GSM-7


def test_preview_fills_real_values_and_counts_parts() -> None:
    text, length = preview("absent", "{student_first_name} अनुपस्थित {session_date}",
                           {"student_first_name": "Aarav", "session_date": "05 Dec 2026"})
    assert text == "Aarav अनुपस्थित 05 Dec 2026"
    assert length is not None and length.encoding == "Unicode" and length.segments == 1
    assert "1 SMS" in length.describe()


def test_quiet_hours_hold_sms_and_whatsapp_overnight_in_institute_time() -> None:
    quiet = QuietHours.parse("21:00-09:00", "Asia/Kolkata")
    late = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # 21:30 in India
    assert quiet.holds("sms", late) and quiet.holds("whatsapp", late)
    assert not quiet.holds("email", late)
    assert quiet.ends_after(late) == datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 09:00 IST
    morning = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 09:30 in India
    assert not quiet.holds("sms", morning) and quiet.ends_after(morning) == morning
    assert not QuietHours.parse("off").holds("sms", late)
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse("9pm to 9am")
