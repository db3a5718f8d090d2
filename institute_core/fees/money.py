"""Exact rupee arithmetic: every amount is a Decimal rounded to the paisa, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyProblem(ValueError):
    """An amount that cannot be money (not a number, negative, more than two decimals)."""


def rupees(value: Any) -> Decimal:
    """`value` as an exact amount rounded half-up to the paisa (as Indian invoices round).

    Floats are refused: 0.1 + 0.2 is not 0.3 in binary, and a fee must add up to the paisa.
    """
    if isinstance(value, float):
        raise MoneyProblem(f"{value!r} is a float: give amounts as text or Decimal")
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if not isinstance(
            value, Decimal) else value
    except InvalidOperation:
        raise MoneyProblem(f"{value!r} is not an amount of money") from None
    if not amount.is_finite():
        raise MoneyProblem(f"{value!r} is not an amount of money")
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def entered(value: Any, what: str = "Amount") -> Decimal:
    """An amount a person typed: positive, at most two decimals, else a message naming it."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise MoneyProblem(f"{what}: '{value}' is not an amount") from None
    if not amount.is_finite() or amount <= 0:
        raise MoneyProblem(f"{what} must be more than zero")
    if amount != amount.quantize(PAISA):
        raise MoneyProblem(f"{what} has more than two decimals (paise)")
    return amount.quantize(PAISA)


def total(amounts: Any) -> Decimal:
    return sum((rupees(a) for a in amounts), ZERO)
