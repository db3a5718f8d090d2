"""MSG91's SMS delivery reports on the real server, in the form MSG91's webhook help page
documents (v2: a form field `data` holding a JSON list of {requestId, report: [...]}; v3: one
flat JSON report): a sent SMS becomes delivered, a failed one failed with MSG91's reason (NDNC,
rejected, blocked); a report without the server's token, or for another number, changes
nothing, and malformed bodies are refused, never a server error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine

from sync_server.settings import make_engine
from tests.messages.test_dispatcher import _delivery, _dispatcher, _queue
from tests.support.gateways import Gateway, running_gateway
from tests.support.server import ServerProcess, prepare_server_db, running_server

pytestmark = pytest.mark.postgres
TOKEN = "msg91-report-token"


@pytest.fixture
def setup(pg_url: str) -> Iterator[tuple[Engine, ServerProcess, Gateway]]:
    prepare_server_db(pg_url)
    engine = make_engine(pg_url)
    with running_gateway() as gateway, running_server(
            pg_url, INSTITUTE_MSG91_WEBHOOK_TOKEN=TOKEN) as server:
        yield engine, server, gateway
    engine.dispose()


def _v2(server: ServerProcess, requests: list[dict[str, Any]], token: str | None = TOKEN
        ) -> httpx.Response:
    params = {"token": token} if token is not None else {}
    return httpx.post(f"{server.base_url}/v1/messages/msg91", params=params,
                      data={"data": json.dumps(requests)})


def _report(request_id: str, number: str, status: str, desc: str,
            failed: str = "") -> dict[str, Any]:
    return {"senderId": "INSTDK", "requestId": request_id, "userId": "27001",
            "campaignName": "API", "report": [{
                "date": "2026-12-06 10:06:20", "number": number, "status": status,
                "desc": desc, "failedReason": failed, "credit": "1", "amount": "0.20"}]}


def test_delivery_reports_make_sms_delivered_or_failed_with_msg91s_reason(
        setup: tuple[Engine, ServerProcess, Gateway]) -> None:
    engine, server, gateway = setup
    ok = _queue(engine, "sms", "+919876500000", "Absent", provider_template="1107160000000001")
    ndnc = _queue(engine, "sms", "+919876511111", "Absent", provider_template="1107160000000001")
    later = _queue(engine, "sms", "+919876522222", "Absent", provider_template="1107160000000001")
    _dispatcher(engine, gateway).run_once()
    request = {m: _delivery(engine, m).provider_message_id for m in (ok, ndnc, later)}
    version = _delivery(engine, ok).version
    reports = [_report(request[ok], "919876500000", "1", "DELIVERED"),
               _report(request[ndnc], "919876511111", "9", "NDNC", "DND number")]

    assert _v2(server, reports, token=None).status_code == 403
    assert _v2(server, reports, token="guess").status_code == 403
    assert _delivery(engine, ok).status == "sent"  # a forged report changed nothing
    # A report naming another number than the one the request was sent to: nothing.
    assert _v2(server, [_report(request[later], "919800000000", "1", "DELIVERED")]).json() \
        == {"delivered": 0, "failed": 0, "ignored": 1}
    answer = _v2(server, reports)
    assert answer.status_code == 200
    assert answer.json() == {"delivered": 1, "failed": 1, "ignored": 0}
    delivered = _delivery(engine, ok)
    assert delivered.status == "delivered" and delivered.version > version
    assert delivered.delivered_at == datetime(2026, 12, 6, 10, 6, 20,
                                              tzinfo=ZoneInfo("Asia/Kolkata"))
    failed = _delivery(engine, ndnc)
    assert failed.status == "failed" and failed.failure_reason == "MSG91: NDNC – DND number"
    # A late "delivered" never turns the failed one around.
    _v2(server, [_report(request[ndnc], "919876511111", "1", "DELIVERED")])
    assert _delivery(engine, ndnc).status == "failed"
    # v3: one flat JSON report.
    flat = {"date": "2026-12-06 10:10:00", "number": "919876522222", "senderId": "INSTDK",
            "requestId": request[later], "status": "17", "desc": "Blocked number"}
    answer = httpx.post(f"{server.base_url}/v1/messages/msg91", params={"token": TOKEN},
                        json=flat)
    assert answer.json() == {"delivered": 0, "failed": 1, "ignored": 0}
    assert _delivery(engine, later).failure_reason == "MSG91: Blocked number"


MALFORMED: list[dict[str, Any]] = [
    {"content": b"not json", "headers": {"content-type": "application/json"}},
    {"content": b"\xff\xfe", "headers": {"content-type": "application/x-www-form-urlencoded"}},
    {"data": {"nodata": "x"}},
    {"data": {"data": "[{\"requestId\": "}},
    {"json": 42},
    {"json": {"data": {"requestId": "x"}}},
    {"json": [1, "two", None, {"report": "not a list"}, {"report": [7, {"status": "1"}]}]},
]


def test_malformed_reports_are_refused_or_ignored_never_a_server_error(
        setup: tuple[Engine, ServerProcess, Gateway]) -> None:
    _engine, server, _gateway = setup
    for body in MALFORMED:
        answer = httpx.post(f"{server.base_url}/v1/messages/msg91", params={"token": TOKEN},
                            **body)
        assert answer.status_code in (200, 400), (body, answer.text)
        if answer.status_code == 200:
            assert answer.json()["delivered"] == answer.json()["failed"] == 0, body
