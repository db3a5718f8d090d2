"""The server's API as this device sees it: signed in, refreshing the session when it expires.

The access token lives in memory only; the refresh token in the credential store (the OS
keyring). A 401 is answered by one refresh; when that fails the caller gets `NeedsLogin` and
nothing local is touched (the outbox keeps every edit until the user signs in again).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, RootModel

from institute_core.sync import wire
from institute_core.sync.backoff import CancelToken
from institute_core.sync.credentials import CredentialStore, account_key
from institute_core.sync.errors import NeedsLogin, RequestRefused, SyncError
from institute_core.sync.transport import Transport, Unauthorized

T = TypeVar("T")


class Health(BaseModel):
    """Whatever /v1/health says; only that it answered matters to the client."""

    model_config = ConfigDict(extra="allow")


class SyncClient:
    """One account on one server. Thread-safe: token changes happen under a lock."""

    def __init__(self, transport: Transport, credentials: CredentialStore, email: str) -> None:
        self.transport = transport
        self.credentials = credentials
        self.email = email
        self.account = account_key(transport.base_url, email)
        self._access: str | None = None
        # Kept in memory too so that a machine without a keyring syncs all day after one sign-in.
        self._refresh: str | None = None
        self._lock = threading.Lock()

    # --- session ---------------------------------------------------------------------------

    def login(self, password: str, device_id: uuid.UUID | None = None) -> wire.TokenPair:
        """Sign in with the password; remembers the refresh token where that is safe."""
        pair = self.transport.call("POST", "/v1/auth/login", wire.TokenPair,
                                   body=wire.LoginRequest(email=self.email, password=password,
                                                          device_id=device_id))
        self._keep(pair)
        return pair

    def logout(self) -> None:
        """Revoke the session on the server (when reachable) and forget every token here."""
        token = self._access
        try:
            if token:
                self.transport.call_quiet("POST", "/v1/auth/logout", token=token)
        finally:
            with self._lock:
                self._access = self._refresh = None
            self.credentials.delete_refresh_token(self.account)

    @property
    def signed_in(self) -> bool:
        """True when a request can be made without asking for the password."""
        return bool(self._access or self._refresh
                    or self.credentials.get_refresh_token(self.account))

    def refresh(self) -> None:
        """Trade the refresh token for a new pair; NeedsLogin when there is none or it is dead."""
        with self._lock:
            token = self._refresh or self.credentials.get_refresh_token(self.account)
        if not token:
            raise NeedsLogin(f"sign in needed: no saved sign-in for {self.email}")
        try:
            pair = self.transport.call("POST", "/v1/auth/refresh", wire.TokenPair,
                                       body=wire.RefreshRequest(refresh_token=token))
        except (Unauthorized, RequestRefused) as exc:
            with self._lock:
                self._access = self._refresh = None
            self.credentials.delete_refresh_token(self.account)
            revoked = isinstance(exc, Unauthorized) and exc.code == wire.SIGN_IN_REVOKED
            raise NeedsLogin(f"sign in needed: the saved sign-in for {self.email} is no longer "
                             f"valid ({exc})", revoked=revoked) from exc
        self._keep(pair)

    def _keep(self, pair: wire.TokenPair) -> None:
        with self._lock:
            self._access = pair.access_token
            self._refresh = pair.refresh_token
        self.credentials.set_refresh_token(self.account, pair.refresh_token)

    def _authed(self, request: Callable[[str], T]) -> T:
        """Run `request(access_token)`, refreshing once on 401; NeedsLogin if that fails."""
        if not self._access:
            self.refresh()
        try:
            return request(self._access or "")
        except Unauthorized:
            self.refresh()
        try:
            return request(self._access or "")
        except Unauthorized as exc:
            raise NeedsLogin(f"sign in needed: the server refused the session ({exc})") from exc

    # --- API -------------------------------------------------------------------------------

    def health(self) -> Health:
        return self.transport.call("GET", "/v1/health", Health)

    def me(self) -> wire.UserInfo:
        return self._authed(lambda t: self.transport.call("GET", "/v1/auth/me", wire.UserInfo,
                                                          token=t))

    def register_device(self, registration: wire.DeviceRegistration) -> wire.DeviceInfo:
        return self._authed(lambda t: self.transport.call(
            "POST", "/v1/devices", wire.DeviceInfo, body=registration, token=t))

    def push(self, request: wire.PushRequest | bytes,
             cancel: CancelToken | None = None) -> wire.PushResponse:
        """Send one batch: a PushRequest, or its JSON body as outbox.push_body builds it."""
        # Retrying the same batch after a timeout is safe: the server dedupes by change id/seq.
        return self._authed(lambda t: self.transport.call(
            "POST", "/v1/sync/push", wire.PushResponse, body=request, token=t, cancel=cancel))

    def pull(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
             cancel: CancelToken | None = None) -> wire.PullResponse:
        return self.pull_page(cursor, limit, device_id, cancel).page()

    def pull_page(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
                  cancel: CancelToken | None = None) -> PullAnswer:
        """One pull page, its body not parsed yet (see PullAnswer)."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        # The server tracks how far each device has pulled (tombstones are kept until then).
        headers = {"X-Device-Id": str(device_id)} if device_id else None
        response = self._authed(lambda t: self.transport.fetch(
            "GET", "/v1/sync/pull", params=params, token=t, cancel=cancel, headers=headers))
        return PullAnswer(response.content, response.headers)

    def devices(self) -> list[wire.DeviceStatus]:
        """Every registered device with its clock offset (administrators only)."""
        return self._authed(lambda t: self.transport.call(
            "GET", "/v1/admin/devices", _DeviceList, token=t)).root

    def guardian_code(self, student_id: uuid.UUID) -> wire.GuardianCode:
        """A one-time portal sign-in code for the student's guardian (who manages students)."""
        return self._authed(lambda t: self.transport.call(
            "POST", "/v1/portal/codes", wire.GuardianCode,
            body=wire.GuardianCodeRequest(student_id=student_id), token=t))

    def compact(self) -> wire.CompactionResult:
        """Ask the server to remove tombstones no device needs (administrators only)."""
        return self._authed(lambda t: self.transport.call(
            "POST", "/v1/admin/compact", wire.CompactionResult, token=t))


class PullAnswer:
    """One pull page as it arrived: what asking for the next page needs, read from the
    answer's headers, and the body, parsed only when `page()` is called.

    The runner's fetch thread asks for the next page as soon as an answer arrives, and the
    desk parses each page on the thread that applies it: parsing on the fetch thread held the
    interpreter's lock for about 10 ms a page in one piece, so the thread applying the page
    before stood still that long at every turn. A server that sends no such headers (older than
    this desk) has its answer parsed at once, to read them from the body.
    """

    def __init__(self, body: bytes, headers: Mapping[str, str],
                 page: wire.PullResponse | None = None) -> None:
        self._body = body
        self._page = page
        cursor = headers.get(wire.NEXT_CURSOR_HEADER)
        more = headers.get(wire.MORE_HEADER)
        rows = headers.get(wire.ROW_COUNT_HEADER)
        self._from_headers = (cursor is not None and more in ("0", "1") and rows is not None
                              and rows.isdigit())
        if self._from_headers:
            self.next_cursor, self.continues, self.row_count = \
                str(cursor), more == "1", int(str(rows))
        else:
            self.next_cursor, self.continues, self.row_count = _steer(self.page())

    @classmethod
    def parsed(cls, page: wire.PullResponse) -> PullAnswer:
        """An answer already parsed (a scripted server's page)."""
        return cls(b"", {}, page)

    @property
    def server_time_ms(self) -> int:
        """The server's clock when it answered (parses the body)."""
        return self.page().server_time_ms

    def page(self) -> wire.PullResponse:
        """The page (parsed on the first call); SyncError if the body is not a pull answer or
        disagrees with the headers the next page was asked for by."""
        if self._page is None:
            page = Transport.parse(self._body, wire.PullResponse)
            if self._from_headers and _steer(page) != (self.next_cursor, self.continues,
                                                       self.row_count):
                raise SyncError("the server's pull answer disagrees with its own headers "
                                f"({wire.NEXT_CURSOR_HEADER}, {wire.MORE_HEADER}, "
                                f"{wire.ROW_COUNT_HEADER})")
            self._page, self._body = page, b""
        return self._page


def _steer(page: wire.PullResponse) -> tuple[str, bool, int]:
    """(next cursor, whether to ask for the next page, rows) as a page's body says."""
    return page.next_cursor, page.has_more and not page.reset_required, len(page.rows)


class _DeviceList(RootModel[list[wire.DeviceStatus]]):
    pass
