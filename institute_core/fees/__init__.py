"""Fees and the institute's money (issue 18): exact arithmetic, GST, instalments, discounts,
amounts in words, and the services that take payments and print receipts. No Qt here."""
