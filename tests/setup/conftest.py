"""Setup tests: a fresh replica with the small service-test institute in it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from institute_core.enums import Role
from institute_core.replica import Replica
from tests.services.fixtures import Institute, build_institute


@dataclass(frozen=True)
class Person:
    """Who calls a service: the services only look at the role."""

    role: str


ADMIN = Person(Role.ADMIN.value)
SUPER = Person(Role.SUPER_ADMIN.value)
COUNSELOR = Person(Role.COUNSELOR.value)
FACULTY = Person(Role.FACULTY.value)


@pytest.fixture
def institute(replica: Replica) -> Institute:
    return build_institute(replica, students=6)
