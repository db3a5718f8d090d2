"""CRM tests: a fresh replica with the small institute (admin, faculty, counselor, 30 students)."""

from __future__ import annotations

import pytest

from institute_core.replica import Actor, Replica
from tests.services.fixtures import Institute, build_institute


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica)


@pytest.fixture
def counselor(replica: Replica, institute: Institute) -> Actor:
    return replica.actor(institute.counselor_id)


@pytest.fixture
def faculty(replica: Replica, institute: Institute) -> Actor:
    return replica.actor(institute.faculty_user_id)
