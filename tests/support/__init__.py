"""Helpers shared by test suites (real server processes, users)."""
