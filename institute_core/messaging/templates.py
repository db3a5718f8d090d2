"""Message templates: named `{variables}` checked when saved, rendered with real data.

Each event offers a fixed set of variables; a template naming any other is refused with the
name and the ones it could use, so a typo never reaches a parent as "{studnet_name}".
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from institute_core.enums import Channel, MessageEvent
from institute_core.messaging.segments import SmsLength, sms_length
from institute_core.validation import InvalidInput

_COMMON = ("institute_name",)
_STUDENT = ("student_first_name", "student_name", "guardian_name")
VARIABLES: dict[MessageEvent, tuple[str, ...]] = {
    MessageEvent.ABSENT: (*_COMMON, *_STUDENT, "session_date", "subject_name", "absences"),
    MessageEvent.FOLLOW_UP_DUE: (*_COMMON, "inquiry_name", "follow_up_date", "counselor_name"),
    MessageEvent.SESSION_RESCHEDULED: (*_COMMON, *_STUDENT, "session_date", "new_date",
                                       "subject_name"),
    MessageEvent.SESSION_CANCELLED: (*_COMMON, *_STUDENT, "session_date", "subject_name"),
    MessageEvent.AT_RISK: (*_COMMON, *_STUDENT, "risk_reason"),
    MessageEvent.FEE_DUE: (*_COMMON, *_STUDENT, "amount_due", "due_date"),
    MessageEvent.ONE_OFF: (*_COMMON, "recipient_name"),
}
# The most SMS parts a template may take (filled with typical values): more is a letter.
MAX_SMS_SEGMENTS = 4


def placeholders(text: str) -> list[str]:
    """The `{names}` in `text`, in order; raises InvalidInput for broken braces."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInput("message_templates", "body",
                           f"a brace is not closed or not doubled ({exc})") from exc
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or not name.isidentifier() or spec or conversion:
            raise InvalidInput("message_templates", "body",
                               "a variable is a plain name in braces, like {student_first_name}",
                               "{" + name + "}")
        names.append(name)
    return names


def check_template(event: str, body: str, subject: str | None = None,
                   channel: str = Channel.SMS) -> None:
    """Refuse a template that names a variable its event does not offer, or that would not
    fit `MAX_SMS_SEGMENTS` SMS parts."""
    try:
        allowed = VARIABLES[MessageEvent(event)]
    except ValueError:
        raise InvalidInput("message_templates", "event", "is not a message event", event) from None
    for field, text in (("body", body), ("subject", subject or "")):
        for name in placeholders(text):
            if name not in allowed:
                raise InvalidInput("message_templates", field,
                                   f"unknown variable {{{name}}}; this event offers "
                                   + ", ".join("{" + a + "}" for a in allowed), name)
    if channel != Channel.EMAIL:
        length = sms_length(render(body, sample_values(event)))
        if length.segments > MAX_SMS_SEGMENTS:
            raise InvalidInput("message_templates", "body",
                               f"is too long for SMS: {length.describe()}, at most "
                               f"{MAX_SMS_SEGMENTS} parts")


def render(text: str, values: Mapping[str, Any]) -> str:
    """`text` with each `{name}` replaced; a value not given stays visible as `{name}`."""
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = values.get(name)
            out.append("{" + name + "}" if value is None else str(value))
    return "".join(out)


def sample_values(event: str) -> dict[str, str]:
    """Typical values of an event's variables, for a preview without a real record."""
    samples = {
        "institute_name": "Sunrise Academy", "student_first_name": "Aarav",
        "student_name": "Aarav Sharma", "guardian_name": "Meena Sharma",
        "session_date": "05 Dec 2026", "new_date": "07 Dec 2026", "subject_name": "Python",
        "absences": "3", "inquiry_name": "Rohan Gupta", "follow_up_date": "06 Dec 2026",
        "counselor_name": "Priya", "risk_reason": "attendance below 60 %",
        "amount_due": "₹12,500", "due_date": "10 Dec 2026", "recipient_name": "Rohan",
    }
    return {k: samples[k] for k in VARIABLES[MessageEvent(event)]}


def preview(event: str, body: str, values: Mapping[str, Any] | None = None,
            channel: str = Channel.SMS) -> tuple[str, SmsLength | None]:
    """The text as a recipient would read it, and its SMS size (None for email)."""
    text = render(body, values if values is not None else sample_values(event))
    return text, None if channel == Channel.EMAIL else sms_length(text)
