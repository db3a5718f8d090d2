"""Fees at the front desk (issue 18): the dues list, taking a payment, fee plans."""
