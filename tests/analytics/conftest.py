"""A replica holding the known-answer institute."""

from __future__ import annotations

import pytest

from institute_core.replica import Replica
from tests.analytics.institute import Institute, build_institute


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)
