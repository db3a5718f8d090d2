"""What can go wrong while syncing, as exceptions a person can be told about in one line."""

from __future__ import annotations

from institute_core.sync.failing import Failing


class SyncError(Exception):
    """A sync could not finish; `str(exc)` is a sentence for the user. Nothing local was lost."""


class ServerUnreachable(SyncError):
    """No answer from the server (no network, wrong address, server down) after retrying."""


class ServerFailed(SyncError):
    """The server answered with an internal error (5xx) after retrying.

    `ref` is the reference under which the server logged an unexpected failure (a 500 of the
    server's own making), which its administrator can look up; None for other 5xx answers.
    """

    def __init__(self, message: str, *, status: int | None = None,
                 ref: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.ref = ref


class SyncFailing(ServerFailed):
    """The server failed this desk's sync, and has since `failing.since_ms`: the line to show.

    Raised by the sync runner in place of the `ServerFailed` it recorded (see sync/failing.py).
    """

    def __init__(self, cause: ServerFailed, failing: Failing) -> None:
        super().__init__(str(cause), status=cause.status, ref=cause.ref)
        self.failing = failing


class NeedsLogin(SyncError):
    """The session expired or was revoked, or no token is stored: sign in again.

    The outbox is kept; writes keep queuing and the upload resumes after signing in.
    `revoked`: the server ended the sign-in (a password reset, a deactivated account), so
    what this desk cached of the old password must not sign anyone in offline either.
    """

    def __init__(self, message: str, *, revoked: bool = False) -> None:
        super().__init__(message)
        self.revoked = revoked


class ClientTooOld(SyncError):
    """The server needs a newer app (HTTP 426)."""


class LoginThrottled(SyncError):
    """Too many failed sign-ins; the server asks to wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestRefused(SyncError):
    """The server refused a request (another 4xx); `status` and `error` say why."""

    def __init__(self, message: str, status: int, error: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class WrongReplica(SyncError):
    """The data folder is connected to another server or account."""
