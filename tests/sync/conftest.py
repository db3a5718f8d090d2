"""Sync fixtures: a migrated server database with one user per role, desks, a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from institute_core.replica import Replica
from institute_core.sync.account import connect
from institute_core.sync.backoff import RetryPolicy
from institute_core.sync.credentials import MemoryCredentials
from institute_core.sync.runner import SyncOptions, SyncReport
from tests.support.server import (
    ServerProcess,
    create_user,
    faculty_id_of,
    prepare_server_db,
    running_server,
)

PASSWORD = "correct horse 42"
# Tests must not wait for long backoffs; a few quick retries still exercise the path.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.1)


@dataclass
class Institute:
    """The server database with an admin, a counselor and a faculty member."""

    url: str
    admin: uuid.UUID
    counselor: uuid.UUID
    faculty_user: uuid.UUID
    faculty: uuid.UUID
    emails: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def institute(pg_url: str) -> Institute:
    prepare_server_db(pg_url)
    emails = {"admin": "admin@example.org", "counselor": "counselor@example.org",
              "faculty": "faculty@example.org"}
    ids = {role: create_user(pg_url, email=email, password=PASSWORD, role=role)
           for role, email in emails.items()}
    return Institute(pg_url, ids["admin"], ids["counselor"], ids["faculty"],
                     faculty_id_of(pg_url, ids["faculty"]), emails)


@pytest.fixture
def server(institute: Institute) -> Iterator[ServerProcess]:
    with running_server(institute.url) as running:
        yield running


@dataclass
class Desk:
    """A replica connected as one user, with its own (fake) keyring."""

    replica: Replica
    email: str
    user_id: uuid.UUID
    credentials: MemoryCredentials
    server_url: str


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[list[Desk]]:
    """Desks opened by `open_desk`, closed at the end."""
    opened: list[Desk] = []
    yield opened
    for desk in opened:
        desk.replica.close()


def open_desk(opened: list[Desk], tmp_path: Path, server_url: str, email: str, *,
              name: str | None = None, options: SyncOptions | None = None
              ) -> tuple[Desk, SyncReport]:
    """Connect a fresh replica (initial sync included)."""
    replica = Replica.open(tmp_path / (name or email.split("@")[0]))
    credentials = MemoryCredentials()
    user, report = connect(replica, server_url, email, PASSWORD, credentials,
                           retry=FAST_RETRY, options=options)
    desk = Desk(replica, email, user.id, credentials, server_url)
    opened.append(desk)
    return desk, report
