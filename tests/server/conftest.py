"""Server test fixtures: a migrated PostgreSQL with staff users, and an in-process app client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.settings import Settings, sqlalchemy_url
from tests.server.helpers import PASSWORD, Device
from tests.support.server import TEST_SECRET, create_user, faculty_id_of, prepare_server_db


@dataclass
class Staff:
    admin: uuid.UUID
    faculty1_user: uuid.UUID
    faculty1: uuid.UUID
    faculty2_user: uuid.UUID
    faculty2: uuid.UUID
    counselor: uuid.UUID


@pytest.fixture
def server_db(pg_url: str) -> str:
    prepare_server_db(pg_url)
    return pg_url


@pytest.fixture
def staff(server_db: str) -> Staff:
    admin = create_user(server_db, email="admin@example.org", password=PASSWORD, role="admin")
    f1 = create_user(server_db, email="f1@example.org", password=PASSWORD, role="faculty")
    f2 = create_user(server_db, email="f2@example.org", password=PASSWORD, role="faculty")
    counselor = create_user(server_db, email="c@example.org", password=PASSWORD,
                            role="counselor")
    return Staff(admin, f1, faculty_id_of(server_db, f1), f2, faculty_id_of(server_db, f2),
                 counselor)


def make_settings(url: str, **overrides: object) -> Settings:
    return Settings(database_url=sqlalchemy_url(url), secret_key=TEST_SECRET, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def client(server_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(server_db))) as test_client:
        yield test_client


@pytest.fixture
def device(client: TestClient):  # type: ignore[no-untyped-def]
    """A factory: device("f1@example.org") signed in and registered."""

    def make(email: str) -> Device:
        return Device(client, email).sign_in()

    return make
