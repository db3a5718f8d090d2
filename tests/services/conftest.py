"""Service tests: a fresh replica with a small institute in it, no Qt."""

from __future__ import annotations

import pytest

from institute_core.replica import Replica
from tests.services.fixtures import Institute, build_institute


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)
