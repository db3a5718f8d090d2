"""Message tests: the small service-test institute, with guardians, templates and triggers."""

from __future__ import annotations

import pytest

from institute_core.replica import Replica
from tests.services.fixtures import Institute, build_institute


@pytest.fixture
def school(replica: Replica) -> Institute:
    return build_institute(replica, students=5)
