"""schemathesis against the real server on a socket, for every operation of /openapi.json:
unauthenticated and with a token of each role, valid and invalid requests alike.

Each request must get no 5xx, only status codes the document lists for that operation, and a
body matching the documented schema; invalid requests must be refused (4xx). The number of
examples per operation and mode is SCHEMATHESIS_EXAMPLES (default 8, enough for CI to stay
within a few minutes; raise it for a deeper run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from institute_core.enums import Role
from institute_core.sync.wire import SCHEMA_VERSION
from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD
from tests.support.server import ServerProcess, create_user, prepare_server_db, running_server

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
IDENTITIES = ["anonymous", *(role.value for role in Role)]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# Run last for a signed-in identity: it ends the session the other operations use.
LAST = "/v1/auth/logout"


@pytest.fixture(scope="module")
def live(pg_admin_url: str) -> Iterator[ServerProcess]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        for role in Role:
            create_user(url, email=f"{role.value}@example.org", password=PASSWORD,
                        role=role.value)
        # Generous sign-in limits: the run sends hundreds of failed sign-ins on purpose, and a
        # 429 for all of them would hide what the login route does with the rest.
        with running_server(url, INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="100000",
                            INSTITUTE_LOGIN_MAX_FAILURES="100000") as server:
            yield server


def _sign_in(live: ServerProcess, identity: str) -> tuple[dict[str, str], str | None]:
    """Headers for `identity` and the device registered for it (None: anonymous)."""
    headers = {"X-Schema-Version": str(SCHEMA_VERSION)}
    if identity == "anonymous":
        return headers, None
    device = uuid.uuid4()
    pair = httpx.post(live.base_url + "/v1/auth/login",
                      json={"email": f"{identity}@example.org", "password": PASSWORD,
                            "device_id": str(device)}).json()
    headers["Authorization"] = f"Bearer {pair['access_token']}"
    registered = httpx.post(live.base_url + "/v1/devices", headers=headers,
                            json={"device_id": str(device), "name": identity,
                                  "schema_version": SCHEMA_VERSION})
    assert registered.status_code == 200, registered.text
    return headers, str(device)


def _as_device(case: Any, device: str | None) -> None:
    """A generated push sent as the caller's own device, so that it reaches the checks of
    each change rather than stopping at an unknown device."""
    if device is None or case.operation.path != "/v1/sync/push" \
            or not isinstance(case.body, dict):
        return
    case.body["device_id"] = device
    changes = case.body.get("changes")
    for change in changes if isinstance(changes, list) else ():
        if isinstance(change, dict):
            change["device_id"] = device


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str], device: str | None,
         base_url: str) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def exercise(case: Any) -> None:
        if mode is GenerationMode.POSITIVE:  # a negative case keeps what it broke
            _as_device(case, device)
        case.call_and_validate(base_url=base_url, checks=checks, timeout=60)

    exercise()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_operation_answers_as_documented(live: ServerProcess, identity: str) -> None:
    schema = schemathesis.openapi.from_url(live.base_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    operations.sort(key=lambda op: op.path == LAST)
    headers, device = _sign_in(live, identity)
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, headers, device, live.base_url)
            except Unsatisfiable:
                # Nothing to make invalid: an operation without parameters or a body.
                assert mode is GenerationMode.NEGATIVE, operation.path
            except Exception as exc:  # every operation is run; all failures are reported
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}, "
                                f"{identity}): {exc}")
    assert not failures, "\n\n".join(failures)
