"""A guardian asks the portal for a sign-in code, and it goes to the phone or email on file.

The guardian types their phone number or email; every guardian record with that contact (one
per child) gets a fresh one-time code, queued as a `messages` row the dispatcher sends (SMS to
a phone, email to an address) in the guardian's language. The answer is the same whether the
contact is on file or not, and whether or not a limit held the message back, so the form tells
nobody who is a guardian here; the route runs `request_code` after the page is sent, so the
answer's timing tells nothing either.

Limits: `portal_code_requests` per contact within `login_window_seconds` (then nothing more is
sent to it until the window ends, silently), and the per-address sign-in budget for the form
itself (the caller's 429).

The message names no student (`student_id` empty) so it reaches no faculty or counselor desk
by sync: only administrators, who may issue codes anyway, see its row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, insert, select

from institute_core.crm.phones import DEFAULT_COUNTRY, PhoneProblem, normalize_phone
from institute_core.enums import Channel, MessageEvent
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from institute_core.validation import validate_values
from sync_server.auth import throttle
from sync_server.portal.sessions import issue_code
from sync_server.settings import Settings
from sync_server.sync.versions import VersionClock

_guardians, _students, _users = table_of("guardians"), table_of("students"), table_of("users")
_messages = table_of("messages")
# A guardian of more children than this gets codes for the first ones only (one request must
# not become a flood of messages).
MAX_CHILDREN = 5
MAX_CONTACT = 255

BODIES = {
    "en": ("{institute}: your student portal sign-in code for {child} is {code}. It works once, "
           "within {minutes} minutes. If you did not ask for it, ignore this message."),
    "hi": ("{institute}: {child} के छात्र पोर्टल का आपका साइन-इन कोड {code} है। यह एक बार, "
           "{minutes} मिनट के भीतर काम करेगा। यदि आपने यह नहीं माँगा, तो इस संदेश को अनदेखा करें।"),
}
SUBJECTS = {"en": "Your student portal sign-in code", "hi": "छात्र पोर्टल साइन-इन कोड"}


@dataclass(frozen=True)
class Contact:
    channel: str  # sms or email
    value: str  # E.164 phone or lower-case email


def read_contact(typed: str) -> Contact | None:
    """The phone or email typed, in the form guardians' records keep it; None if neither."""
    text = typed.strip()[:MAX_CONTACT]
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return Contact(Channel.EMAIL.value, text.lower()) if local and "." in domain else None
    try:
        return Contact(Channel.SMS.value, normalize_phone(text, DEFAULT_COUNTRY))
    except PhoneProblem:
        return None


def request_code(engine: Engine, settings: Settings, typed: str, language: str) -> int:
    """Queue a code to every child's guardian record with this contact; how many were queued
    (for tests and logs only: the page never shows it)."""
    contact = read_contact(typed)
    if contact is None:
        return 0
    try:
        throttle.count_attempt(engine, f"portal-code-to:{contact.value}",
                               settings.portal_code_requests, settings.login_window_seconds)
    except throttle.Throttled:
        return 0
    g = _guardians
    matches = (g.c.phone_normalized == contact.value if contact.channel == Channel.SMS
               else func.lower(g.c.email) == contact.value)
    with engine.connect() as conn:
        rows = conn.execute(
            select(g.c.id, g.c.student_id, g.c.language, _users.c.first_name)
            .join(_students, _students.c.id == g.c.student_id)
            .join(_users, _users.c.id == _students.c.user_id)
            .where(matches, g.c.deleted_at.is_(None), _students.c.deleted_at.is_(None))
            .order_by(g.c.is_primary.desc(), _students.c.enrollment_no)
            .limit(MAX_CHILDREN)).all()
    lifetime = timedelta(minutes=settings.portal_sent_code_minutes)
    values = []
    stamp = utcnow()
    for row in rows:
        issued = issue_code(engine, settings, row.student_id, None, lifetime=lifetime)
        lang = row.language if row.language in BODIES else language
        body = BODIES[lang].format(institute=settings.institute_name, child=row.first_name,
                                   code=issued.code,
                                   minutes=settings.portal_sent_code_minutes)
        value = {"id": uuid.uuid4(), "dedupe_key": f"portal_code:{uuid.uuid4()}",
                 "event": MessageEvent.ONE_OFF.value, "student_id": None, "inquiry_id": None,
                 "guardian_id": row.id, "channel": contact.channel,
                 "recipient": contact.value, "language": lang,
                 "subject": SUBJECTS[lang] if contact.channel == Channel.EMAIL else None,
                 "body": body, "send_after": stamp, "created_at": stamp, "updated_at": stamp}
        validate_values(_messages, value)
        values.append(value)
    if values:
        with engine.begin() as conn:
            clock = VersionClock(conn)
            clock.expect(len(values))
            conn.execute(insert(_messages), [{**v, "version": clock.next()} for v in values])
    return len(values)
