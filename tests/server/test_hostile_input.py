"""Hostile input through the real server on a socket: every invalid request gets a 4xx with a
reason, never a 500, and nothing reaches PostgreSQL that it cannot store.

Cases are generated from the declarations: every text field of every request model in
`institute_core.sync.wire`, every text and JSON column of every synced table, every number
the wire bounds.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import JSON, String, Text, create_engine, select

from institute_core.schema import MODEL_BY_TABLE, table_of
from institute_core.sync import wire
from institute_core.sync.wire import SCHEMA_VERSION
from sync_server.settings import sqlalchemy_url
from tests.pg import throwaway_database
from tests.server.helpers import PASSWORD, Device
from tests.support.server import ServerProcess, create_user, prepare_server_db, running_server

MAX_BODY = 5 * 1024 * 1024
HUGE = "x" * (10 * 1024 * 1024)
NUL = "abcdefghij\x00klmno"  # long enough for every minimum length


@pytest.fixture(scope="module")
def live_db(pg_admin_url: str) -> Iterator[str]:
    with throwaway_database(pg_admin_url) as url:
        prepare_server_db(url)
        for who in ("admin", "other"):
            create_user(url, email=f"{who}@example.org", password=PASSWORD, role="admin")
        yield url


@pytest.fixture(scope="module")
def live(live_db: str) -> Iterator[ServerProcess]:
    with running_server(live_db, INSTITUTE_MAX_BODY_BYTES=str(MAX_BODY),
                        INSTITUTE_LOGIN_MAX_FAILURES_PER_IP="1000") as server:
        yield server


@pytest.fixture(scope="module")
def http(live: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def admin(http: httpx.Client) -> Device:
    return Device(http, "admin@example.org").sign_in()


@pytest.fixture
def pusher(http: httpx.Client) -> Device:
    """A device of its own, so its sequence numbers start at 1."""
    return Device(http, "admin@example.org").sign_in()


def _refused(response: httpx.Response) -> dict[str, Any]:
    """The error body of a 4xx answer (fails on anything else, a 5xx above all)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body["error"] and body["detail"], body
    return dict(body)


# --- every text field of every request model ------------------------------------------------

def _valid_bodies(admin: Device) -> dict[type[BaseModel], tuple[str, Callable[[], Any]]]:
    """Per request model: the endpoint taking it and a valid body (fresh each call)."""
    def change() -> dict[str, Any]:
        return admin.change("subjects", uuid.uuid4(), {"name": "S"})

    def push() -> dict[str, Any]:
        return {"device_id": str(admin.device_id), "schema_version": SCHEMA_VERSION,
                "changes": [change()]}

    return {
        wire.LoginRequest: ("/v1/auth/login",
                            lambda: {"email": "admin@example.org", "password": "wrong-pw"}),
        wire.RefreshRequest: ("/v1/auth/refresh", lambda: {"refresh_token": "r" * 40}),
        wire.DeviceRegistration: ("/v1/devices", lambda: {
            "device_id": str(uuid.uuid4()), "name": "desk", "schema_version": SCHEMA_VERSION}),
        wire.PushRequest: ("/v1/sync/push", push),
        wire.Change: ("/v1/sync/push", push),
        wire.GuardianCodeRequest: ("/v1/portal/codes",
                                   lambda: {"student_id": str(uuid.uuid4())}),
    }


def _request_models() -> list[type[BaseModel]]:
    """Every model the server reads from a request body (the push carries `Change`s)."""
    return [wire.LoginRequest, wire.RefreshRequest, wire.DeviceRegistration, wire.PushRequest,
            wire.Change, wire.GuardianCodeRequest]


def _text_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.annotation is str]


TEXT_CASES = [(model, name) for model in _request_models() for name in _text_fields(model)]


def test_the_cases_cover_every_request_model() -> None:
    assert {m for m, _ in TEXT_CASES} >= {wire.LoginRequest, wire.RefreshRequest,
                                         wire.DeviceRegistration, wire.Change}
    body_models = {m for m in vars(wire).values() if isinstance(m, type)
                   and issubclass(m, BaseModel) and m.__name__.endswith("Request")}
    assert body_models <= set(_request_models())


def _with_field(model: type[BaseModel], body: dict[str, Any], name: str, value: Any) -> None:
    target = body["changes"][0] if model is wire.Change else body
    target[name] = value


@pytest.mark.parametrize(("model", "name"), TEXT_CASES,
                         ids=[f"{m.__name__}.{n}" for m, n in TEXT_CASES])
def test_nul_and_huge_text_in_every_field_are_refused(http: httpx.Client, admin: Device,
                                                      model: type[BaseModel],
                                                      name: str) -> None:
    path, valid = _valid_bodies(admin)[model]
    body = valid()
    _with_field(model, body, name, NUL)
    refused = _refused(http.post(path, json=body, headers=admin.headers()))
    assert refused["error"] == "invalid_request"
    assert any(key.endswith(name) and "NUL" in text for key, text in refused["fields"].items())
    body = valid()
    _with_field(model, body, name, HUGE)
    assert _refused(http.post(path, json=body, headers=admin.headers()))["error"] \
        == "body_too_large"
    limit = model.model_fields[name].metadata
    longest = next((m.max_length for m in limit if hasattr(m, "max_length")), None)
    if longest is not None:
        body = valid()
        _with_field(model, body, name, "y" * (longest + 1))
        refused = _refused(http.post(path, json=body, headers=admin.headers()))
        assert any(key.endswith(name) for key in refused["fields"]), refused


# --- every number the wire bounds -----------------------------------------------------------

NUMBER_CASES = [(model, name, value) for model in _request_models()
                for name, info in model.model_fields.items() if info.annotation is int
                for value in (-1, 2**63, 10**30)]


@pytest.mark.parametrize(("model", "name", "value"), NUMBER_CASES,
                         ids=[f"{m.__name__}.{n}={v}" for m, n, v in NUMBER_CASES])
def test_out_of_range_numbers_are_refused(http: httpx.Client, admin: Device,
                                          model: type[BaseModel], name: str, value: int) -> None:
    path, valid = _valid_bodies(admin)[model]
    body = valid()
    _with_field(model, body, name, value)
    refused = _refused(http.post(path, json=body, headers=admin.headers()))
    assert any(key.endswith(name) for key in refused.get("fields", {})), refused


# --- pushed values: every text and JSON column of every synced table ------------------------

# What PostgreSQL cannot store, and the word the refusal names it by (NaN only fits in JSON).
UNSTORABLE = {"NUL": (NUL, {"note": NUL, "list": [NUL]}),
              "NaN": (None, {"rate": float("nan"), "list": [1.5, float("inf")]})}


def test_a_lone_surrogate_is_refused_with_the_body_named(pusher: Device) -> None:
    """Not valid Unicode, so not valid JSON text: the whole body is refused, saying why (a desk
    refuses such text as it is typed, so only a script sends it)."""
    change = pusher.change("subjects", uuid.uuid4(), {"name": "Half \udc80", "code": "SUR"})
    answer = pusher.push_raw([change])
    assert answer.status_code == 422, answer.text[:300]
    assert "surrogate" in answer.json()["fields"]["body"]


def _storable_columns(kind: str) -> list[tuple[str, str, Any]]:
    text, document = UNSTORABLE[kind]
    cases = []
    for table_name, model in sorted(MODEL_BY_TABLE.items()):
        for column in table_of(table_name).columns:
            if column.name in model.__local_columns__ or column.name in ("id", "version"):
                continue
            if isinstance(column.type, JSON):
                cases.append((table_name, column.name, document))
            elif isinstance(column.type, String | Text) and text is not None:
                cases.append((table_name, column.name, text))
    return cases


@pytest.mark.parametrize("kind", list(UNSTORABLE))
def test_what_postgresql_cannot_store_rejects_that_change_by_name(
        live_db: str, pusher: Device, kind: str) -> None:
    admin = pusher
    pushed = _storable_columns(kind)
    assert len(pushed) > (50 if kind != "NaN" else 5)  # every table has text columns
    changes = [admin.change(table, uuid.uuid4(), {column: value})
               for table, column, value in pushed]
    answer = admin.push_raw(changes)
    assert answer.status_code == 200, answer.text[:500]
    results = answer.json()["results"]
    for (table, column, _value), result in zip(pushed, results, strict=True):
        assert result["outcome"] == "rejected", (table, column, result)
        assert f"{table}.{column}" in result["reason"] and kind in result["reason"], result
    engine = create_engine(sqlalchemy_url(live_db))
    try:
        with engine.connect() as conn:
            for table, _column, _value in pushed:
                ids = [c["row_id"] for c in changes if c["table"] == table]
                hit = conn.execute(select(table_of(table).c.id)
                                   .where(table_of(table).c.id.in_(ids))).first()
                assert hit is None, f"{table}: a refused change wrote a row"
    finally:
        engine.dispose()


def test_a_huge_number_in_a_pushed_value_is_rejected_not_a_server_error(
        pusher: Device) -> None:
    admin = pusher
    change = admin.change("subjects", uuid.uuid4(), {"name": "Big", "code": "BIG",
                                                     "duration_hours": 10**30})
    answer = admin.push_raw([change])
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["results"][0]["outcome"] == "rejected"


# --- headers, tokens, cursors, limits, bodies -------------------------------------------------

@pytest.mark.parametrize("value", ["-1", "253402300800000", "9" * 30, "soon", "1.5"])
def test_an_out_of_range_client_time_is_refused(http: httpx.Client, admin: Device,
                                                value: str) -> None:
    headers = {**admin.headers(), "X-Client-Time-Ms": value}
    refused = _refused(http.get("/v1/sync/pull", headers=headers))
    assert "x-client-time-ms" in refused["fields"]


@pytest.mark.parametrize("signature", ["\u00e9\u00e9\u00e9", "\u00ff" * 43, "a b", "."])
def test_a_token_with_a_strange_signature_is_401(http: httpx.Client, admin: Device,
                                                 signature: str) -> None:
    payload = admin.token.split(".")[0]
    token = f"Bearer {payload}.{signature}".encode("latin-1")
    answer = http.get("/v1/auth/me", headers={"Authorization": token})  # type: ignore[dict-item]
    assert answer.status_code == 401 and _refused(answer)["error"] == "invalid_token"


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    _cursor({"s": 10**30, "h": None, "t": 0, "v": None, "i": None}),
    _cursor({"s": 0, "h": 2**63, "t": 0, "v": None, "i": None}),
    _cursor({"s": 0, "h": 5, "t": 1, "v": 10**20, "i": str(uuid.uuid4())}),
    _cursor({"s": 0, "h": 5, "t": 1, "v": 1, "i": 7}),
    _cursor({"s": 1e400, "h": None, "t": 0, "v": None, "i": None}),
    _cursor({"s": -1, "h": None, "t": 0, "v": None, "i": None}),
    _cursor({"s": 0, "h": None, "t": 10**9, "v": None, "i": None}),
    _cursor([1, 2, 3]), _cursor("text"), "%%%", "not base64 at all!", "e30",
])
def test_a_forged_cursor_is_400(http: httpx.Client, admin: Device, cursor: str) -> None:
    answer = http.get("/v1/sync/pull", headers=admin.headers(), params={"cursor": cursor})
    assert answer.status_code == 400 and _refused(answer)["error"] == "bad_cursor"


@pytest.mark.parametrize("limit", ["0", "-5", "5001", "9" * 40, "ten"])
def test_a_bad_pull_limit_is_422(http: httpx.Client, admin: Device, limit: str) -> None:
    answer = http.get("/v1/sync/pull", headers=admin.headers(), params={"limit": limit})
    assert answer.status_code == 422 and "limit" in _refused(answer)["fields"]


@pytest.mark.parametrize("path", ["/v1/auth/login", "/v1/auth/refresh", "/v1/devices",
                                  "/v1/sync/push"])
def test_malformed_json_and_other_media_types(http: httpx.Client, admin: Device,
                                              path: str) -> None:
    for content in (b'{"email": ', b"\xff\xfe", b"[]", b"null", b'"text"', b"{" * 5000):
        answer = http.post(path, content=content,
                           headers={**admin.headers(), "Content-Type": "application/json"})
        refused = _refused(answer)
        assert "JSON" in refused["detail"] or refused.get("fields"), refused
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        answer = http.post(path, content=b'{"a": 1}',
                           headers={**admin.headers(), "Content-Type": media})
        assert answer.status_code == 415, answer.text
    oversized = http.post(path, content=b" " * (MAX_BODY + 1),
                          headers={**admin.headers(), "Content-Type": "application/json"})
    assert oversized.status_code == 413


# --- device ownership -------------------------------------------------------------------------

def test_a_device_of_another_user_is_refused_and_its_owner_loses_nothing(
        http: httpx.Client, live_db: str, admin: Device) -> None:
    owner = Device(http, "admin@example.org").sign_in()
    first = owner.push(owner.change("subjects", uuid.uuid4(),
                                    {"name": "Mine", "code": "OWN1", "duration_hours": 5}))
    assert first[0]["outcome"] == "applied"
    thief = Device(http, "other@example.org").sign_in()
    taken = http.post("/v1/devices", headers=thief.headers(),
                      json={"device_id": str(owner.device_id), "name": "mine now",
                            "schema_version": SCHEMA_VERSION})
    assert taken.status_code == 409 and _refused(taken)["error"] == "device_of_another_user"
    engine = create_engine(sqlalchemy_url(live_db))
    try:
        with engine.connect() as conn:
            devices = table_of("sync_devices")
            row = conn.execute(select(devices).where(
                devices.c.device_id == owner.device_id)).one()
    finally:
        engine.dispose()
    assert (row.user_id, row.last_seq, row.name) == (owner.user_id, 1, "test")
    # The thief cannot push as that device either, with any sequence number.
    thief.device_id = owner.device_id
    forged = thief.push_raw([thief.change("subjects", uuid.uuid4(),
                                          {"name": "X", "code": "X1", "duration_hours": 1})])
    assert forged.status_code == 403
    # The owner's next change is applied, not answered "duplicate".
    second = owner.push(owner.change("subjects", uuid.uuid4(),
                                     {"name": "Still mine", "code": "OWN2",
                                      "duration_hours": 5}))
    assert second[0]["outcome"] == "applied", second
    # Signing in with someone else's device id does not attach it to the new session.
    signed = http.post("/v1/auth/login", json={"email": "other@example.org",
                                               "password": PASSWORD,
                                               "device_id": str(owner.device_id)})
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    page = http.get("/v1/sync/pull", headers=headers, params={"limit": 1})
    assert page.status_code == 200
    with create_engine(sqlalchemy_url(live_db)).connect() as conn:
        sessions = table_of("auth_sessions")
        attached = conn.execute(select(sessions.c.device_id).where(
            sessions.c.user_id == thief.user_id, sessions.c.device_id == owner.device_id)).all()
    assert attached == []
