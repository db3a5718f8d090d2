"""The WhatsApp Cloud API's webhook on the real server: a signed delivery receipt makes a
sent message delivered (a failure failed with WhatsApp's reason), a STOP reply opts the
sender out, and an unsigned or wrongly signed notification changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from institute_core.ids import natural_id
from institute_core.schema import table_of
from sync_server.settings import make_engine
from tests.messages.test_dispatcher import _delivery, _dispatcher, _queue
from tests.support.gateways import Gateway, running_gateway
from tests.support.server import ServerProcess, prepare_server_db, running_server

pytestmark = pytest.mark.postgres
SECRET = "test-app-secret"
_deliveries, _consents = table_of("message_deliveries"), table_of("message_consents")


@pytest.fixture
def setup(pg_url: str) -> Iterator[tuple[Engine, ServerProcess, Gateway]]:
    prepare_server_db(pg_url)
    engine = make_engine(pg_url)
    with running_gateway() as gateway, running_server(
            pg_url, INSTITUTE_WHATSAPP_APP_SECRET=SECRET,
            INSTITUTE_WHATSAPP_VERIFY_TOKEN="verify-me") as server:
        yield engine, server, gateway
    engine.dispose()


def _post(server: ServerProcess, payload: dict[str, Any], secret: str | None = SECRET
          ) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(
            secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(f"{server.base_url}/v1/messages/whatsapp", content=body, headers=headers)


def _notification(**value: Any) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}]}]}


def test_receipts_and_stop_replies_reach_the_database(
        setup: tuple[Engine, ServerProcess, Gateway]) -> None:
    engine, server, gateway = setup
    ok = _queue(engine, "whatsapp", "+919876500000", "Absent", provider_template="absence")
    bad = _queue(engine, "whatsapp", "+919876511111", "Absent", provider_template="absence")
    _dispatcher(engine, gateway).run_once()
    wamid = {m: _delivery(engine, m).provider_message_id for m in (ok, bad)}
    version = _delivery(engine, ok).version

    answer = httpx.get(f"{server.base_url}/v1/messages/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert httpx.get(f"{server.base_url}/v1/messages/whatsapp", params={
        "hub.mode": "subscribe", "hub.verify_token": "guess"}).status_code == 403

    receipt = _notification(statuses=[
        {"id": wamid[ok], "status": "delivered", "timestamp": "1796000000",
         "recipient_id": "919876500000"},
        {"id": wamid[bad], "status": "failed", "timestamp": "1796000001",
         "errors": [{"code": 131026, "title": "Message undeliverable"}]}])
    assert _post(server, receipt, secret="wrong").status_code == 403
    assert _post(server, receipt, secret=None).status_code == 403
    assert _delivery(engine, ok).status == "sent"  # a forged receipt changed nothing
    answer = _post(server, receipt)
    assert answer.status_code == 200 and answer.json() == {"statuses": 2, "stops": 0}
    delivered = _delivery(engine, ok)
    assert delivered.status == "delivered" and delivered.version > version
    assert delivered.delivered_at == datetime.fromtimestamp(1796000000, UTC)
    failed = _delivery(engine, bad)
    assert failed.status == "failed" and failed.failure_reason == "Message undeliverable"
    # A late "read" after "failed" turns nothing around.
    _post(server, _notification(statuses=[{"id": wamid[bad], "status": "read",
                                           "timestamp": "1796000100"}]))
    assert _delivery(engine, bad).status == "failed"

    stop = _notification(messages=[{"from": "919876500000", "id": "wamid.in1",
                                    "timestamp": "1796000200", "type": "text",
                                    "text": {"body": " stop "}}])
    assert _post(server, stop).json() == {"statuses": 0, "stops": 1}
    with engine.connect() as conn:
        row = conn.execute(select(_consents).where(_consents.c.id == natural_id(
            "message_consents", "+919876500000", "whatsapp"))).one()
    assert row.opted_out and row.source == "stop_reply"
    # The next WhatsApp to that number is blocked by the dispatcher.
    again = _queue(engine, "whatsapp", "+919876500000", "Absent again",
                   provider_template="absence")
    _dispatcher(engine, gateway).run_once()
    assert _delivery(engine, again).status == "blocked"
    body = b"not json"  # not JSON, or not a WhatsApp notification: 400, not 500
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert httpx.post(f"{server.base_url}/v1/messages/whatsapp", content=body, headers={
        "X-Hub-Signature-256": signature}).status_code == 400
    assert _post(server, {"object": "page"}).status_code == 400
