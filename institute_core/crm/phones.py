"""Phone numbers as typed at the front desk, reduced to one comparable form (E.164).

"098765 43210", "+91 98765-43210", "(987) 654 3210" and "0091 9876543210" are one person. The
number as typed is kept for display; only the normalized form is compared. A number without a
country code belongs to the institute's default country (a setting of the replica).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Country -> (calling code, digits of a national number without its trunk 0). Only countries
# whose numbers have one fixed length are listed; any other code is accepted as typed with "+".
COUNTRIES: dict[str, tuple[str, int]] = {
    "IN": ("91", 10), "US": ("1", 10), "CA": ("1", 10), "GB": ("44", 10), "AE": ("971", 9),
    "AU": ("61", 9), "SG": ("65", 8), "NP": ("977", 10), "BD": ("880", 10), "LK": ("94", 9),
    "PK": ("92", 10), "SA": ("966", 9), "NZ": ("64", 9),
}
DEFAULT_COUNTRY = "IN"
# ITU: at most 15 digits with the country code; shorter than 7 is an extension, not a phone.
MIN_DIGITS, MAX_DIGITS = 7, 15
DEFAULT_COUNTRY_KEY = "crm.default_country"

_ALLOWED = re.compile(r"^\+?[\d\s().\-/]+$")


class PhoneProblem(ValueError):
    """Text that is not a phone number; the message says what is wrong with it."""


@dataclass(frozen=True)
class Phone:
    typed: str
    normalized: str  # E.164: "+" and digits


def normalize_phone(text: str, country: str = DEFAULT_COUNTRY) -> str:
    """The E.164 form of `text`; raises `PhoneProblem` naming what is wrong."""
    cleaned = text.strip()
    if not cleaned:
        raise PhoneProblem("is empty")
    if not _ALLOWED.match(cleaned):
        raise PhoneProblem("may hold only digits, spaces, dashes, brackets and a leading +")
    digits = re.sub(r"\D", "", cleaned)
    international = cleaned.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    code, national = COUNTRIES.get(country.upper(), COUNTRIES[DEFAULT_COUNTRY])
    if not international:
        trimmed = digits.lstrip("0")  # the trunk prefix dialled inside the country
        if len(trimmed) == national:
            digits = code + trimmed
        elif trimmed.startswith(code) and len(trimmed) == len(code) + national:
            digits = trimmed  # a country code typed without its "+"
        else:
            raise PhoneProblem(f"should have {national} digits (or a + and a country code); "
                               f"it has {len(trimmed)}")
    elif digits.startswith(code) and len(digits) == len(code) + national + 1 \
            and digits[len(code)] == "0":
        digits = code + digits[len(code) + 1:]  # "+91 0987…": the trunk 0 kept by mistake
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise PhoneProblem(f"should have {MIN_DIGITS} to {MAX_DIGITS} digits with the country "
                           f"code; it has {len(digits)}")
    return "+" + digits


def try_normalize(text: str | None, country: str = DEFAULT_COUNTRY) -> str | None:
    """The E.164 form, or None for empty or unreadable text (comparisons simply skip it)."""
    if not text:
        return None
    try:
        return normalize_phone(text, country)
    except PhoneProblem:
        return None


TAIL_DIGITS = 8


def phone_tail(normalized: str, length: int = TAIL_DIGITS) -> str:
    """The last digits of a number: equal tails under different prefixes suggest one person."""
    return normalized[-length:]
