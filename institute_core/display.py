"""How dates, times, numbers and money read to a person – one module for the screens, the chart
axes and the PDFs, so the app never shows two styles.

Indian readers by default: dates as "05 Dec 2026" (or "05-12-2026", a setting), never a
month-day label such as "11-01"; times in the institute's time zone (Asia/Kolkata unless set),
never UTC; numbers and money in Indian grouping ("1,25,000", "₹1,25,000.00"). Grouping and
names come from Babel's CLDR data for the locale, not from hand-placed commas.

The style is the institute's `display` setting in the replica (`style_of`); a process applies
it once with `use_style` (the desk at sign-in, the command line before a report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import NumberPattern, format_currency, parse_pattern

STATE_KEY = "display"
# The date styles an institute may choose: CLDR pattern -> how today reads in it.
DATE_STYLES: dict[str, str] = {"dd MMM yyyy": "05 Dec 2026", "dd-MM-yyyy": "05-12-2026"}
DEFAULT_DATE_STYLE = "dd MMM yyyy"
DEFAULT_TIME_ZONE = "Asia/Kolkata"
DEFAULT_LOCALE = "en_IN"
DEFAULT_CURRENCY = "INR"
NOT_AVAILABLE = "n/a"


class StyleProblem(ValueError):
    """A display setting that cannot be used; says which and why, in words."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class DisplayStyle:
    """The institute's choices for dates, times and numbers."""

    date_style: str = DEFAULT_DATE_STYLE
    time_zone: str = DEFAULT_TIME_ZONE
    locale: str = DEFAULT_LOCALE
    currency: str = DEFAULT_CURRENCY

    def checked(self) -> DisplayStyle:
        if self.date_style not in DATE_STYLES:
            raise StyleProblem("Date style", "choose one of " + ", ".join(
                f"{example}" for example in DATE_STYLES.values()))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise StyleProblem("Time zone", f"{self.time_zone!r} is not a known time zone "
                               f"(e.g. Asia/Kolkata)") from exc
        try:
            Locale.parse(self.locale)
        except (ValueError, TypeError) as exc:
            raise StyleProblem("Locale", f"{self.locale!r} is not a known locale") from exc
        return self

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | None) -> DisplayStyle:
        """From the replica's `display` document; unusable or unknown entries fall back to the
        defaults (a stored oddity must never stop a screen or a report)."""
        if not isinstance(value, Mapping):
            return cls()
        known = {k: str(v) for k, v in value.items() if k in cls.__dataclass_fields__ and v}
        try:
            return replace(cls(), **known).checked()
        except StyleProblem:
            return cls()

    def to_mapping(self) -> dict[str, str]:
        return asdict(self)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)


class _StateReader(Protocol):
    def get_state(self, key: str, default: Any = None) -> Any: ...


def style_of(replica: _StateReader) -> DisplayStyle:
    return DisplayStyle.from_mapping(replica.get_state(STATE_KEY))


_current = DisplayStyle()


def use_style(style: DisplayStyle) -> None:
    """Apply the institute's style to everything this process shows or prints from now on."""
    global _current
    _current = style.checked()


def current_style() -> DisplayStyle:
    return _current


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --- dates and times ---------------------------------------------------------------------------

def date_text(day: date | datetime | None) -> str:
    """A date in the institute's style: "05 Dec 2026" (or "05-12-2026")."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = local(day).date()
    return format_date(day, _current.date_style, locale=_current.locale)


def weekday_date(day: date) -> str:
    """"Sat, 05 Dec 2026": a day someone plans around."""
    return f"{format_date(day, 'EEE', locale=_current.locale)}, {date_text(day)}"


def long_date(day: date) -> str:
    """"Saturday, 05 Dec 2026": page subtitles."""
    return f"{format_date(day, 'EEEE', locale=_current.locale)}, {date_text(day)}"


def day_month(day: date) -> str:
    """"05 Dec": axis labels and short periods; the month is a word, so day and month can
    never be read the wrong way round."""
    return format_date(day, "dd MMM", locale=_current.locale)


def month_text(day: date, *, year: bool = True) -> str:
    """"Dec 2026" (or "Dec")."""
    return format_date(day, "MMM yyyy" if year else "MMM", locale=_current.locale)


def period_text(start: date, end: date) -> str:
    """"01 Nov 2026 – 30 Nov 2026"."""
    return f"{date_text(start)} – {date_text(end)}"


def short_period(start: date, end: date) -> str:
    """"01–30 Nov 2026", "06 Nov – 05 Dec 2026": a period in a narrow column, the year once."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{format_date(start, 'dd', locale=_current.locale)}–{date_text(end)}" \
            if _current.date_style == DEFAULT_DATE_STYLE else period_text(start, end)
    if start.year == end.year and _current.date_style == DEFAULT_DATE_STYLE:
        return f"{day_month(start)} – {date_text(end)}"
    return period_text(start, end)


def local(moment: datetime) -> datetime:
    """A stored moment in the institute's time zone (stored moments are UTC; a naive one is
    taken as UTC, the store's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_current.zone)


def time_text(value: time | datetime | None) -> str:
    """"15:00" – a wall-clock time; a moment is shown in the institute's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).time()
    return format_time(value, "HH:mm", locale=_current.locale)


def time_range(start: time | None, end: time | None) -> str:
    if start is None:
        return "—"
    return f"{time_text(start)}–{time_text(end)}" if end else time_text(start)


def moment_text(moment: datetime | None, *, seconds: bool = False) -> str:
    """"05 Dec 2026, 15:00" in the institute's time zone."""
    if moment is None:
        return ""
    at = local(moment)
    clock = format_time(at.time(), "HH:mm:ss" if seconds else "HH:mm", locale=_current.locale)
    return f"{date_text(at.date())}, {clock}"


def short_moment(moment: datetime | None) -> str:
    """"05 Dec, 15:00": recent moments in lists."""
    if moment is None:
        return ""
    at = local(moment)
    return f"{day_month(at.date())}, {time_text(at.time())}"


def zone_label() -> str:
    """"IST": printed next to a time when a page may travel (a PDF's footer)."""
    return datetime.now(_current.zone).tzname() or _current.time_zone


# --- numbers -----------------------------------------------------------------------------------

@cache
def _pattern(locale: str, places: int) -> NumberPattern:
    pattern = parse_pattern(Locale.parse(locale).decimal_formats[None].pattern)
    pattern.frac_prec = (places, places)
    return pattern


def number(value: int | float | Decimal | None, places: int = 0) -> str:
    """In the locale's grouping ("1,25,000"), with exactly `places` decimals."""
    if value is None:
        return NOT_AVAILABLE
    return _pattern(_current.locale, places).apply(value, Locale.parse(_current.locale))


def count(value: int | None, one: str, many: str | None = None) -> str:
    """"1 student", "1,318 students"."""
    if value is None:
        return f"{NOT_AVAILABLE} {many or one + 's'}"
    return f"{number(value)} {one if value == 1 else many or one + 's'}"


def percent(value: float | None, places: int = 1) -> str:
    """A share already in percent (44.24 -> "44.2 %")."""
    return NOT_AVAILABLE if value is None else f"{number(value, places)} %"


def money(amount: int | float | Decimal | None) -> str:
    """"₹1,25,000.00" in the institute's currency and grouping."""
    if amount is None:
        return NOT_AVAILABLE
    return format_currency(amount, _current.currency, locale=_current.locale)
