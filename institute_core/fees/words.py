"""Amounts in words in Indian English, as a receipt prints them.

num2words (lang "en_IN") knows lakhs and crores; this module only words the rupees and the
paise and capitalises the way Indian receipts do: "Rupees One Lakh Twenty-Five Thousand Only".
"""

from __future__ import annotations

from decimal import Decimal

from num2words import num2words

from institute_core.fees.money import rupees


def _words(number: int) -> str:
    text = num2words(number, lang="en_IN").replace(",", "")
    # Every word capitalised but the "and" joining hundreds to the rest ("One Hundred and One").
    return " ".join(word if word == "and" else "-".join(p.capitalize() for p in word.split("-"))
                    for word in text.split())


def amount_in_words(amount: Decimal) -> str:
    """E.g. 125000 -> "Rupees One Lakh Twenty-Five Thousand Only"."""
    amount = rupees(amount)
    if amount < 0:
        raise ValueError("amount in words of a negative amount")
    whole = int(amount)
    paise = int((amount - whole) * 100)
    text = f"Rupees {_words(whole)}"
    if paise:
        text += f" and {_words(paise)} Paise"
    return text + " Only"
