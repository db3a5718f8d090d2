"""The sync tests' live-server fixtures, reused for reset-device tests."""

from tests.sync.conftest import desks, institute, server

__all__ = ["desks", "institute", "server"]
