"""The reports section: make, open and print PDF reports."""
