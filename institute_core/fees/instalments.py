"""Splitting a fee into instalments that add up to the total to the paisa."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from institute_core.fees.money import PAISA, rupees


@dataclass(frozen=True)
class Due:
    number: int  # 1-based
    due_on: date
    amount: Decimal


def split(total: Decimal, count: int) -> list[Decimal]:
    """`total` in `count` parts that differ by at most a paisa and sum to it exactly.

    Whole paise are shared out; the first instalments take the odd paise (a student pays the
    remainder early rather than carrying it to the last due)."""
    if count < 1:
        raise ValueError("a plan has at least one instalment")
    paise = int(rupees(total) / PAISA)
    if paise < 0:
        raise ValueError("a fee cannot be negative")
    base, extra = divmod(paise, count)
    return [(Decimal(base + (1 if i < extra else 0)) * PAISA).quantize(PAISA)
            for i in range(count)]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(total: Decimal, count: int, first_due: date, every_months: int = 1) -> list[Due]:
    """`count` dues of `total`, the first on `first_due`, then every `every_months`."""
    return [Due(i + 1, add_months(first_due, i * every_months), amount)
            for i, amount in enumerate(split(total, count))]
