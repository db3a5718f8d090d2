"""Local stand-ins for the message providers, on real sockets, that check each request as the
provider documents it and answer as it does:

- MSG91 Flow API: POST /api/v5/flow/, header `authkey`, JSON body of exactly `template_id`,
  `short_url` and `recipients` (each with `mobiles` in international form without "+", plus
  the template's variables); answers `{"type": "success", "message": "<request id>"}`.
- WhatsApp Business Cloud API: POST /<version>/<phone-number-id>/messages, header
  `Authorization: Bearer <token>`, a template message; answers `{"messaging_product":
  "whatsapp", "contacts": [...], "messages": [{"id": "wamid...."}]}` or a Graph error.
- SMTP: aiosmtpd, keeping every envelope.

A request that breaks the documented form is answered 400 and kept in `malformed`, so a test
sees exactly what was wrong.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.server import free_port

AUTHKEY = "test-msg91-authkey"
WHATSAPP_TOKEN = "test-whatsapp-token"
PHONE_ID = "106540352242922"
GRAPH_VERSION = "v21.0"
_MOBILE = re.compile(r"^[1-9]\d{9,14}$")


@dataclass
class Gateway:
    """What the local providers received, and how they should behave next."""

    url: str = ""
    sms: list[dict[str, Any]] = field(default_factory=list)
    whatsapp: list[dict[str, Any]] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    # Answer this many requests 503 (a provider that is down) before accepting again.
    fail_next: int = 0
    # Refuse every SMS with MSG91's error answer (HTTP 400, type error).
    refuse_sms: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def msg91_url(self) -> str:
        return f"{self.url}/api/v5/flow/"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/{GRAPH_VERSION}"


_SENDER = re.compile(r"^[A-Z]{6}$")


def _msg91_problem(headers: Any, body: Any) -> str | None:
    if headers.get("authkey") != AUTHKEY:
        return "authkey header missing or wrong"
    if not str(headers.get("content-type", "")).startswith("application/json"):
        return "content-type is not application/json"
    if not isinstance(body, dict) or not {"template_id", "short_url", "recipients"} \
            <= set(body) <= {"template_id", "short_url", "recipients", "sender"}:
        return f"body keys {sorted(body) if isinstance(body, dict) else body!r}"
    # The optional sender id (a flow whose sender is "FromAPI"): an approved DLT header, six
    # letters.
    if "sender" in body and not _SENDER.match(str(body["sender"])):
        return f"sender {body['sender']!r} is not a six-letter sender id"
    if not body["template_id"] or body["short_url"] not in ("0", "1"):
        return "template_id empty or short_url not '0'/'1'"
    recipients = body["recipients"]
    if not isinstance(recipients, list) or not recipients:
        return "recipients is not a non-empty list"
    for recipient in recipients:
        if not _MOBILE.match(str(recipient.get("mobiles", ""))):
            return f"mobiles {recipient.get('mobiles')!r} is not country code + number"
        if any(not isinstance(v, str) for v in recipient.values()):
            return "a variable value is not a string"
    return None


def _whatsapp_problem(headers: Any, body: Any) -> str | None:
    if headers.get("authorization") != f"Bearer {WHATSAPP_TOKEN}":
        return "Authorization is not the bearer token"
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "messaging_product is not whatsapp"
    if body.get("recipient_type") != "individual" or body.get("type") != "template":
        return "not an individual template message"
    if not _MOBILE.match(str(body.get("to", ""))):
        return f"to {body.get('to')!r} is not country code + number"
    template = body.get("template") or {}
    if not template.get("name") or not (template.get("language") or {}).get("code"):
        return "template name or language code missing"
    for component in template.get("components", []):
        if component.get("type") != "body":
            return "only body components are sent"
        for parameter in component.get("parameters", []):
            if parameter.get("type") != "text" or not isinstance(parameter.get("text"), str):
                return "a parameter is not a text parameter"
    return None


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm on, each answer
        # would wait for the client's delayed ACK (40 ms), as no real provider does.
        disable_nagle_algorithm = True

        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            with gateway.lock:
                down = gateway.fail_next > 0
                if down:
                    gateway.fail_next -= 1
            if down:
                self._answer(503, {"type": "error", "message": "Service Unavailable"})
                return
            if self.path == "/api/v5/flow/":
                problem = _msg91_problem(headers, body)
                if problem is None and gateway.refuse_sms:
                    self._answer(400, {"type": "error", "message": gateway.refuse_sms})
                    return
                kept, answer = gateway.sms, {"type": "success", "message": uuid.uuid4().hex}
            elif self.path == f"/{GRAPH_VERSION}/{PHONE_ID}/messages":
                problem = _whatsapp_problem(headers, body)
                to = (body or {}).get("to") if isinstance(body, dict) else None
                kept, answer = gateway.whatsapp, {
                    "messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]}
            else:
                problem, kept, answer = f"no such endpoint {self.path}", [], {}
            if problem is not None:
                with gateway.lock:
                    gateway.malformed.append(problem)
                self._answer(400, {"error": {"message": problem, "code": 100}})
                return
            with gateway.lock:
                kept.append(body)
            self._answer(200, answer)

    return Handler


class _GatewayServer(ThreadingHTTPServer):
    # Two dispatchers send on several threads each, a new connection per message (the handler
    # speaks HTTP/1.0). With socketserver's backlog of 5, a connection attempt that finds the
    # queue full while the accepting thread lags (CI load) is dropped and retried a second or
    # more later: the likely reason 600 messages once outlasted the test's two minutes (7 Dec).
    request_queue_size = 128


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    gateway = Gateway()
    server = _GatewayServer(("127.0.0.1", free_port()), _handler(gateway))
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Mailbox:
    port: int
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,
                          address: str, options: Any) -> str:
        if address.endswith("@nowhere.invalid"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextmanager
def running_smtp() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
