"""The money core: GST to the paisa, instalments that add up, discounts, amounts in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from institute_core.enums import DiscountKind, DiscountReason, GstMode
from institute_core.fees import gst
from institute_core.fees.discounts import Discount, amount_off
from institute_core.fees.instalments import add_months, schedule, split
from institute_core.fees.money import MoneyProblem, entered, rupees
from institute_core.fees.words import amount_in_words

amounts = st.decimals(min_value=D("0"), max_value=D("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
rates = st.sampled_from([D("0"), D("5"), D("12"), D("18"), D("28"), D("2.5")])


def test_exclusive_gst_is_added_on_top_and_split_into_cgst_and_sgst_within_a_state() -> None:
    tax = gst.apply(D("10000"), GstMode.EXCLUSIVE, 18)
    assert (tax.taxable, tax.cgst, tax.sgst, tax.igst) == (D("10000.00"), D("900.00"),
                                                          D("900.00"), D("0.00"))
    assert tax.gross == D("11800.00")


def test_inclusive_gst_is_taken_out_of_the_price_the_student_was_told() -> None:
    tax = gst.apply(D("11800"), GstMode.INCLUSIVE, 18)
    assert (tax.taxable, tax.tax, tax.gross) == (D("10000.00"), D("1800.00"), D("11800.00"))
    # A price that does not divide evenly still adds up to the paisa.
    odd = gst.apply(D("999.99"), GstMode.INCLUSIVE, 18)
    assert odd.taxable == D("847.45") and odd.gross == D("999.99")
    assert odd.cgst + odd.sgst == odd.tax and abs(odd.cgst - odd.sgst) <= D("0.01")


def test_inter_state_supply_charges_igst_alone() -> None:
    tax = gst.apply(D("5000"), GstMode.EXCLUSIVE, 18, inter_state=True)
    assert (tax.cgst, tax.sgst, tax.igst) == (D("0.00"), D("0.00"), D("900.00"))
    assert gst.inter_state("Karnataka", "Maharashtra")
    assert not gst.inter_state("Karnataka", " karnataka ")
    assert not gst.inter_state("Karnataka", None)  # unknown: intra-state


def test_no_gst_leaves_the_amount_as_the_taxable_value() -> None:
    assert gst.apply(D("1234.5"), GstMode.NONE, 18) == gst.Tax(D("1234.50"))


@given(amounts, rates, st.booleans(), st.sampled_from(list(GstMode)))
def test_tax_parts_always_add_up_to_the_gross(amount: D, rate: D, inter: bool,
                                              mode: GstMode) -> None:
    tax = gst.apply(amount, mode, rate, inter_state=inter)
    assert tax.taxable + tax.cgst + tax.sgst + tax.igst == tax.gross
    if mode is not GstMode.EXCLUSIVE:
        assert tax.gross == amount
    for part in (tax.taxable, tax.cgst, tax.sgst, tax.igst):
        assert part == part.quantize(D("0.01")) and part >= 0


@given(amounts, rates, st.data())
def test_the_tax_inside_part_of_a_payment_is_never_more_than_the_whole(amount: D, rate: D,
                                                                       data: st.DataObject
                                                                       ) -> None:
    whole = gst.apply(amount, GstMode.INCLUSIVE, rate)
    part = data.draw(st.decimals(min_value=D("0"), max_value=amount, places=2))
    inside = gst.share(whole, part)
    assert inside.gross == part and inside.tax <= whole.tax and inside.taxable >= 0


@given(amounts, st.integers(min_value=1, max_value=36))
def test_instalments_always_add_up_to_the_total_to_the_paisa(total: D, count: int) -> None:
    parts = split(total, count)
    assert len(parts) == count and sum(parts) == total
    assert max(parts) - min(parts) <= D("0.01")
    assert parts == sorted(parts, reverse=True)  # odd paise are paid first


def test_a_schedule_falls_on_the_same_day_each_month_or_the_last_day_of_a_short_one() -> None:
    dues = schedule(D("10000"), 3, date(2027, 1, 31))
    assert [d.due_on for d in dues] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert [d.amount for d in dues] == [D("3333.34"), D("3333.33"), D("3333.33")]
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    with pytest.raises(ValueError):
        split(D("100"), 0)


def test_discounts_by_percentage_or_fixed_amount_never_exceed_the_fee() -> None:
    ten_percent = Discount(DiscountKind.PERCENTAGE, D("10"), DiscountReason.SIBLING)
    assert amount_off(D("45000"), ten_percent) == D("4500.00")
    assert amount_off(D("999.99"), Discount(DiscountKind.PERCENTAGE, D("12.5"),
                                            DiscountReason.SCHOLARSHIP)) == D("125.00")
    assert amount_off(D("45000"), Discount(DiscountKind.FIXED, D("2000"),
                                           DiscountReason.EARLY_BIRD)) == D("2000.00")
    with pytest.raises(MoneyProblem, match="larger than the fee"):
        amount_off(D("1000"), Discount(DiscountKind.FIXED, D("1500"), DiscountReason.STAFF))
    with pytest.raises(MoneyProblem, match="100"):
        amount_off(D("1000"), Discount(DiscountKind.PERCENTAGE, D("120"), DiscountReason.STAFF))


@pytest.mark.parametrize(("amount", "words"), [
    ("125000", "Rupees One Lakh Twenty-Five Thousand Only"),
    ("1", "Rupees One Only"),
    ("101", "Rupees One Hundred and One Only"),
    ("10000000", "Rupees One Crore Only"),
    ("2550000.50", "Rupees Twenty-Five Lakh Fifty Thousand and Fifty Paise Only"),
    ("11800", "Rupees Eleven Thousand Eight Hundred Only"),
])
def test_amounts_in_words_in_indian_english(amount: str, words: str) -> None:
    assert amount_in_words(D(amount)) == words


def test_money_is_never_a_float_and_typed_amounts_are_checked() -> None:
    with pytest.raises(MoneyProblem, match="float"):
        rupees(0.1)
    assert rupees("1,25,000.005") == D("125000.01")
    assert entered(" 1,500.50 ") == D("1500.50")
    for bad, message in (("abc", "not an amount"), ("0", "more than zero"),
                         ("-5", "more than zero"), ("10.005", "two decimals")):
        with pytest.raises(MoneyProblem, match=message):
            entered(bad)
