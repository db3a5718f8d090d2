"""How many SMS a text costs: GSM-7 (English) or UCS-2 (Hindi and anything else).

An SMS carries 160 GSM-7 characters or 70 UCS-2 ones; a longer text is split into parts of
153 or 67 (the rest of each part is the concatenation header). Characters of the GSM-7
extension table (`{`, `€`, ...) take two places. This is what gateways bill, so the template
editor shows it and the dispatcher records it.
"""

from __future__ import annotations

from dataclasses import dataclass

# 3GPP TS 23.038 basic character set and its extension table.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UNICODE_SINGLE, UNICODE_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    """A text's size as an SMS: its encoding, its length in that encoding, and its parts."""

    encoding: str  # "GSM-7" or "Unicode"
    units: int  # septets (GSM-7, extension characters count 2) or UTF-16 code units
    segments: int
    per_segment: int  # the most one part of this message holds

    def describe(self) -> str:
        parts = "1 SMS" if self.segments == 1 else f"{self.segments} SMS parts"
        return f"{self.units} characters ({self.encoding}), {parts}"


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def sms_length(text: str) -> SmsLength:
    """The encoding, size and number of parts of `text` sent as one SMS."""
    if is_gsm7(text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part, encoding = GSM_SINGLE, GSM_PART, "GSM-7"
    else:
        # UTF-16: a character outside the basic plane (an emoji) takes two units.
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UNICODE_SINGLE, UNICODE_PART, "Unicode"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, -(-units // part), part)
