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
