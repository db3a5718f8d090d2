"""HTTP to the sync server: headers, explicit timeouts, retries on network trouble, clear errors.

Every request carries the client's schema version and its clock (`X-Schema-Version`,
`X-Client-Time-Ms`). Network failures and server errors (5xx) are retried with backoff, except
a failure the server logged under a reference (asking again at once fails the same way); other
answers are turned into the exceptions of `institute_core.sync.errors`.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from institute_core.sync import wire
from institute_core.sync.backoff import CancelToken, Retryable, RetryPolicy, call_with_backoff
from institute_core.sync.errors import (
    ClientTooOld,
    LoginThrottled,
    RequestRefused,
    ServerFailed,
    ServerUnreachable,
    SyncError,
)
from institute_core.sync.hlc import wall_clock_ms

M = TypeVar("M", bound=BaseModel)

# Connecting should be quick on any network we can use; a big push or pull page may take a while.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=60.0, pool=10.0)


class Unauthorized(SyncError):
    """HTTP 401: the access token expired or was revoked (the client refreshes once);
    `code` is the server's error code (e.g. wire.SIGN_IN_REVOKED)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def _error_body(response: httpx.Response) -> wire.ErrorBody:
    """The answer's ErrorBody, or one holding the raw text when the body is not one."""
    try:
        return wire.ErrorBody.model_validate_json(response.content)
    except ValidationError:
        return wire.ErrorBody(error="", detail=response.text[:300] or response.reason_phrase)


def _first_error(exc: ValidationError) -> str:
    """Where the answer is wrong and how (rows.3.version: Field required), for the log and
    the person who reports it: the message alone does not say which of 5,000 rows."""
    error = exc.errors()[0]
    where = ".".join(map(str, error["loc"]))
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}" if where else f"{error['msg']}{more}"


def _error_text(response: httpx.Response) -> tuple[str, str]:
    """(error code, detail) from an ErrorBody, or the raw text when the body is not one."""
    body = _error_body(response)
    return body.error, body.detail


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's certificate checks, loaded once: every sync makes a client, and loading
    the CA bundle took longer than a small sync itself."""
    return httpx.create_ssl_context()


class Transport:
    """One server address: an httpx client plus the protocol's headers and error rules.

    Thread-safe as httpx.Client is; holds no token (callers pass it per request).
    """

    def __init__(self, base_url: str, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 retry: RetryPolicy | None = None,
                 client_time_ms: Callable[[], int] = wall_clock_ms,
                 http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._client_time_ms = client_time_ms
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout,
                                          verify=_tls_context())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(self, method: str, path: str, answer: type[M], *,
             body: BaseModel | bytes | None = None,
             params: dict[str, Any] | None = None, token: str | None = None,
             cancel: CancelToken | None = None, headers: dict[str, str] | None = None) -> M:
        """Send one request (retried on network trouble) and parse the answer as `answer`.

        `body` is a message, or its JSON already encoded."""
        return self.parse(self.fetch(method, path, body=body, params=params, token=token,
                                     cancel=cancel, headers=headers).content, answer)

    def fetch(self, method: str, path: str, *, body: BaseModel | bytes | None = None,
              params: dict[str, Any] | None = None, token: str | None = None,
              cancel: CancelToken | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
        """`call` without reading the answer: a successful response as it came (the body to
        `parse` later, perhaps on another thread); a failure raises as `call` does."""
        content = body if body is None or isinstance(body, bytes) else \
            body.model_dump_json().encode()

        def attempt() -> httpx.Response:
            response = self._send(method, path, content, params, token, headers)
            if response.status_code >= 300:
                self._refused(response)
            return response

        return call_with_backoff(attempt, self.retry, cancel)

    @staticmethod
    def parse(content: bytes, answer: type[M]) -> M:
        """A successful answer's body as `answer`; SyncError says where it is not one."""
        try:
            return answer.model_validate_json(content)
        except ValidationError as exc:
            raise SyncError(f"the server sent an answer this app cannot read "
                            f"({answer.__name__}): {_first_error(exc)}") from exc

    def call_quiet(self, method: str, path: str, *, body: BaseModel | None = None,
                   token: str | None = None) -> None:
        """Send a request whose answer carries nothing we need (logout); errors still raise."""
        content = body.model_dump_json().encode() if body is not None else None

        def attempt() -> None:
            response = self._send(method, path, content, None, token)
            if response.status_code >= 300:
                self._refused(response)

        call_with_backoff(attempt, self.retry)

    def _send(self, method: str, path: str, content: bytes | None,
              params: dict[str, Any] | None, token: str | None,
              extra: dict[str, str] | None = None) -> httpx.Response:
        headers = {
            "X-Schema-Version": str(wire.SCHEMA_VERSION),
            "X-Client-Time-Ms": str(self._client_time_ms()),
            **(extra or {}),
        }
        if content is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.request(method, path, content=content, params=params,
                                          headers=headers)
        except httpx.TimeoutException as exc:
            raise Retryable(ServerUnreachable(
                f"the server at {self.base_url} did not answer in time ({type(exc).__name__})"
            )) from exc
        except httpx.TransportError as exc:
            raise Retryable(ServerUnreachable(
                f"cannot reach the server at {self.base_url}: {exc or type(exc).__name__}"
            )) from exc
        if response.status_code >= 500:
            body = _error_body(response)
            failed = ServerFailed(
                f"the server at {self.base_url} failed ({response.status_code}): {body.detail}",
                status=response.status_code, ref=body.ref)
            if body.ref is not None:
                # The server's own code failed on this very request and logged it: asking again
                # at once meets the same failure. The sync is retried later, with backoff.
                raise failed
            raise Retryable(failed)
        return response

    @staticmethod
    def _refused(response: httpx.Response) -> NoReturn:
        """Raise what an answer of 300 or above (not 5xx: `_send` raised those) means."""
        status = response.status_code
        error, detail = _error_text(response)
        if status == 401:
            raise Unauthorized(detail or "the session expired; sign in again", code=error)
        if status == 426:
            raise ClientTooOld(f"update the app: the server needs a newer version ({detail})")
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            raise LoginThrottled(
                f"too many sign-in attempts; try again later ({detail})",
                float(retry_after) if retry_after and retry_after.isdigit() else None)
        raise RequestRefused(f"the server refused the request ({status} {error}): {detail}",
                             status, error)
