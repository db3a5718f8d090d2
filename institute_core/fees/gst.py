"""GST on a fee: none, inclusive or exclusive pricing, intra-state CGST+SGST or inter-state IGST.

A receipt shows the taxable value and the tax. Intra-state supply splits the rate in two equal
halves (CGST and SGST, each rounded to the paisa); inter-state supply charges IGST at the whole
rate. Inclusive pricing takes the tax out of the price so that taxable + tax equals the price
exactly; exclusive pricing adds it on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from institute_core.enums import GstMode
from institute_core.fees.money import PAISA, ZERO, rupees

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tax:
    """One amount split into taxable value and tax (every field exact to the paisa)."""

    taxable: Decimal
    cgst: Decimal = ZERO
    sgst: Decimal = ZERO
    igst: Decimal = ZERO

    @property
    def tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst

    @property
    def gross(self) -> Decimal:
        return self.taxable + self.tax


def _round(value: Decimal) -> Decimal:
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


def _split(taxable: Decimal, tax: Decimal, inter_state: bool) -> Tax:
    if inter_state:
        return Tax(taxable, igst=tax)
    # Two halves that add up to the tax: CGST gets the half rounded, SGST the rest, so a
    # receipt never shows a total one paisa off its parts.
    cgst = _round(tax / 2)
    return Tax(taxable, cgst=cgst, sgst=tax - cgst)


def apply(amount: Decimal, mode: GstMode | str, rate: Decimal | int | str,
          *, inter_state: bool = False) -> Tax:
    """The tax on `amount` priced the way `mode` says, at `rate` per cent."""
    amount, mode, rate = rupees(amount), GstMode(mode), Decimal(str(rate))
    if rate < 0:
        raise ValueError("a GST rate cannot be negative")
    if mode is GstMode.NONE or rate == 0:
        return Tax(amount)
    if mode is GstMode.EXCLUSIVE:
        return _split(amount, _round(amount * rate / HUNDRED), inter_state)
    # Inclusive: the taxable value is rounded and the tax is what is left, so the parts add up
    # to the price the student was told.
    taxable = _round(amount * HUNDRED / (HUNDRED + rate))
    return _split(taxable, amount - taxable, inter_state)


def share(whole: Tax, part: Decimal) -> Tax:
    """The tax inside `part` of a gross amount `whole` (a payment of one instalment), in the
    same proportions, exact to the paisa and never more than the whole."""
    part = rupees(part)
    if whole.gross == 0 or part == whole.gross:
        return whole if part == whole.gross else Tax(part)
    ratio = part / whole.gross
    cgst, sgst, igst = (_round(v * ratio) for v in (whole.cgst, whole.sgst, whole.igst))
    return Tax(part - cgst - sgst - igst, cgst, sgst, igst)


def inter_state(institute_state: str | None, student_state: str | None) -> bool:
    """Inter-state supply when both states are known and differ (else intra-state)."""
    if not institute_state or not student_state:
        return False
    return institute_state.strip().casefold() != student_state.strip().casefold()
