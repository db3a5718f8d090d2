"""Unexpected failures: a 500 that names a reference, and the same reference in the server log.

When the server fails on a request (a bug, a database error no check foresaw), the client gets
an `ErrorBody` with `error="internal_error"` and a short `ref`; the log gets one line with that
ref, the route and the device, then the traceback. The traceback never reaches the client: it
may show data of other users and the server's internals. Code that knows more about what it was
doing when it failed (the push: which change, of which table and row) logs the failure itself
and raises `Failed` with its ref, which is then answered without being logged twice.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.errors import error_response

log = logging.getLogger("sync_server.failures")

INTERNAL_ERROR = "internal_error"
# Where the request's state keeps the calling device, for the log line of a failure.
STATE_DEVICE_KEY = "device_id"


def new_ref() -> str:
    """A reference for one failure: short enough to read out over the phone, random enough
    that nobody can guess another institute's (40 bits)."""
    return secrets.token_hex(5)


def failure_detail(ref: str, what: str = "this request") -> str:
    """The sentence a client gets: what failed, that it is logged, what the reference is for."""
    return (f"The server failed on {what} and logged it under reference {ref}; nothing of it "
            "was saved. Give the reference to the server's administrator.")


class Failed(Exception):
    """An unexpected failure its own code has logged already, under `ref`."""

    def __init__(self, ref: str, detail: str) -> None:
        super().__init__(detail)
        self.ref = ref
        self.detail = detail


def request_context(scope: Scope) -> str:
    """'POST /v1/sync/pull device <id>': the route and, once the caller is known, the device."""
    device = scope.get("state", {}).get(STATE_DEVICE_KEY)
    where = f"{scope.get('method')} {scope.get('path')}"
    return f"{where} device {device}" if device else where


def note_device(state: Any, device_id: object) -> None:
    """Remember the calling device on the request, for the log line of a failure."""
    if device_id is not None:
        setattr(state, STATE_DEVICE_KEY, str(device_id))


class FailureMiddleware:
    """Turns any exception a route lets out into a 500 `ErrorBody` with a logged reference.

    Sits inside the access log (which then records the 500) and answers the request itself,
    so the server's generic handler neither prints a second traceback nor sends plain text.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # one dict shared with every Request of this scope
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            if isinstance(exc, Failed):
                ref, detail = exc.ref, exc.detail
            else:
                ref = new_ref()
                detail = failure_detail(ref)
                log.error("request failed (ref %s): %s", ref, request_context(scope),
                          exc_info=exc)
            if started:
                raise  # half answered: only closing the connection is left
            response = error_response(500, INTERNAL_ERROR, detail, ref=ref)
            await response(scope, receive, send)
