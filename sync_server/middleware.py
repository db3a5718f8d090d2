"""Checks made before a request reaches any route or the database, and the access log.

Pure ASGI (no body buffering by the framework): an oversized body is refused from its
Content-Length or while it streams in, and a client too old for the server is refused from its
`X-Schema-Version` header, both before any route runs. `AccessLogMiddleware` writes one JSON
line per request to the `sync_server.access` logger (`serve` sends it to stdout).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from datetime import UTC, datetime

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from institute_core.sync.wire import ErrorBody
from sync_server.auth import throttle
from sync_server.errors import CLIENT_TOO_OLD
from sync_server.settings import Settings


async def _send_error(send: Send, status: int, error: str, detail: str,
                      headers: dict[str, str] | None = None) -> None:
    body = json.dumps(ErrorBody(error=error, detail=detail).model_dump(exclude_none=True)).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _is_json(content_type: str | None) -> bool:
    """Every body the API takes is JSON; no Content-Type at all is read as JSON too."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


PORTAL_PREFIX = "/portal/"
# Providers' webhooks that post forms: MSG91's delivery reports (webhook v2 is urlencoded; the
# route parses and checks the body itself).
FORM_WEBHOOKS = frozenset({"/v1/messages/msg91"})


class GuardMiddleware:
    """413 for bodies over `max_body_bytes`, 415 for bodies that are not JSON (outside the
    portal's forms), 426 for clients older than `min_schema`."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, min_schema: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.min_schema = min_schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        schema = _header(scope, b"x-schema-version")
        if schema is not None:
            try:
                too_old = int(schema) < self.min_schema
            except ValueError:
                await _send_error(send, 400, "bad_request",
                                  "X-Schema-Version must be a whole number.")
                return
            if too_old:
                await _send_error(send, 426, "client_too_old", CLIENT_TOO_OLD)
                return
        length = _header(scope, b"content-length")
        too_large = (f"The request body is larger than the server accepts "
                     f"({self.max_body_bytes} bytes); send fewer changes at once.")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _send_error(send, 413, "body_too_large", too_large)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # Read the whole body first (bounded by the limit), so a chunked upload that turns out
        # too large is refused before the route (and the database) sees any of it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _send_error(send, 413, "body_too_large", too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # The portal's pages post HTML forms (urlencoded); it parses and checks them itself.
        path = str(scope.get("path", ""))
        if body and not path.startswith(PORTAL_PREFIX) and path not in FORM_WEBHOOKS \
                and not _is_json(_header(scope, b"content-type")):
            await _send_error(send, 415, "unsupported_media_type",
                              "The request body must be JSON (Content-Type: application/json).")
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


access_log = logging.getLogger("sync_server.access")


class AccessLogMiddleware:
    """One JSON object per HTTP request: time, client, method, path, status, size, duration.

    The query string is left out (nothing the API takes there belongs in a log), and so are
    bodies and headers: passwords and tokens never reach the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        size = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(json.dumps({
                    "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "client": client[0] if client else None,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "bytes": size,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "pid": os.getpid(),
                }))



LOGIN_PATH = "/v1/auth/login"


class LoginThrottleMiddleware:
    """Failed sign-ins counted per client address too, not only per email (auth does that).

    It uses the auth service's database counters (rows keyed "ip:<address>"), so every server
    process sees the same count. Each attempt is counted before it runs (concurrent attempts
    cannot slip past the limit) and refunded unless it failed with 401. A success does not
    reset the count: one valid account must not unlock guessing at the others. The address is
    the one uvicorn reports, which behind a proxy listed in FORWARDED_ALLOW_IPS is the
    client's own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or scope.get("path") != LOGIN_PATH \
                or scope.get("method") != "POST" or not client:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        engine: Engine = state.engine
        settings: Settings = state.settings
        key = f"ip:{client[0]}"
        try:
            await run_in_threadpool(throttle.count_attempt, engine, key,
                                    settings.login_max_failures_per_ip,
                                    settings.login_window_seconds)
        except throttle.Throttled as exc:
            minutes = math.ceil(exc.retry_after / 60)
            await _send_error(send, 429, "too_many_attempts",
                              f"Too many failed sign-ins from this network address; try again "
                              f"in {minutes} minute(s).", exc.headers)
            return
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if status != 401:
                await run_in_threadpool(throttle.refund, engine, key)
