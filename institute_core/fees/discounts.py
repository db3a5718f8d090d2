"""Discounts on a fee: a percentage or a fixed amount, with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from institute_core.enums import DiscountKind, DiscountReason
from institute_core.fees.money import PAISA, ZERO, MoneyProblem, rupees


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    value: Decimal  # per cent for a percentage, rupees for a fixed discount
    reason: DiscountReason


def amount_off(fee: Decimal, discount: Discount) -> Decimal:
    """What `discount` takes off `fee`, to the paisa; never more than the fee."""
    fee, value = rupees(fee), Decimal(str(discount.value))
    if value < 0:
        raise MoneyProblem("A discount cannot be negative")
    if discount.kind is DiscountKind.PERCENTAGE:
        if value > 100:
            raise MoneyProblem("A percentage discount cannot exceed 100 %")
        off = (fee * value / Decimal(100)).quantize(PAISA, rounding=ROUND_HALF_UP)
    else:
        off = rupees(value)
    if off > fee:
        raise MoneyProblem("The discount is larger than the fee")
    return max(off, ZERO)


def needs_approval(fee: Decimal, off: Decimal, limit_percent: Decimal | None,
                   limit_amount: Decimal | None) -> bool:
    """Whether a discount of `off` on `fee` is above the admin's limits (a percentage of the
    fee, an amount; either one exceeded is enough). Until an admin sets a limit, every
    discount waits for them (as before there were limits)."""
    fee, off = rupees(fee), rupees(off)
    if limit_percent is None and limit_amount is None:
        return off > 0
    if limit_amount is not None and off > rupees(limit_amount):
        return True
    return limit_percent is not None and off * 100 > fee * Decimal(str(limit_percent))
