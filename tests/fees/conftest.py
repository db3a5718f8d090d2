"""Fees tests: a fresh replica with the small institute, and a receipt series for the desk."""

from __future__ import annotations

import pytest

from institute_core.numbering import SERIES_STATE_KEY
from institute_core.replica import Actor, Replica
from tests.services.fixtures import Institute, build_institute


@pytest.fixture
def institute(replica: Replica) -> Institute:
    built = build_institute(replica)
    replica.set_state(SERIES_STATE_KEY, "D07")  # as the server gives at registration
    return built


@pytest.fixture
def counselor(replica: Replica, institute: Institute) -> Actor:
    return replica.actor(institute.counselor_id)


@pytest.fixture
def admin(replica: Replica, institute: Institute) -> Actor:
    return replica.actor(institute.admin_id)
