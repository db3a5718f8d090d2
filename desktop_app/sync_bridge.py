"""The app's calls into the sync client, shaped for background tasks (no Qt here).

Each function runs on a worker thread; progress goes to a `ProgressSink` and cancellation comes
from a `CancelToken`, so a `JobState` of `desktop_app.tasks` can drive them. The sync stack
(httpx, pydantic wire types) is imported on first use: a standalone or offline start-up never
pays for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from institute_core.replica import Replica
from institute_core.services import auth
from institute_core.services.auth import CurrentUser, LoginFailed, LoginProblem
from institute_core.sync.backoff import CancelToken, RetryPolicy
from institute_core.sync.credentials import (
    CredentialStore,
    KeyringCredentials,
    MemoryCredentials,
    keyring_usable,
)
from institute_core.sync.errors import NeedsLogin, RequestRefused, ServerUnreachable, SyncError

if TYPE_CHECKING:
    from institute_core.sync.client import SyncClient
    from institute_core.sync.device_health import DeviceHealth
    from institute_core.sync.runner import SyncProgress, SyncReport
    from institute_core.sync.wire import GuardianCode, UserInfo

ProgressSink = Callable[[int, int, str], None]

LOGIN_RETRY = RetryPolicy(attempts=2, base_delay=0.2, max_delay=0.5)
# A person is waiting at sign-in: give up on a silent server quickly (seconds).
LOGIN_TIMEOUT = {"connect": 3.0, "read": 15.0, "write": 15.0, "pool": 3.0}

PHASES = {"push": "Sending changes", "pull": "Receiving changes", "download": "Downloading",
          "repair": "Checking"}


@dataclass(frozen=True)
class SyncOutcome:
    """What the status bar needs from one sync."""

    summary: str
    conflicts: int
    cancelled: bool


def credential_store() -> CredentialStore:
    """The OS keyring when one works, else memory (sign in again after a restart)."""
    return KeyringCredentials() if keyring_usable() else MemoryCredentials(persistent=False)


def server_configured(replica: Replica) -> bool:
    """Whether this replica was connected to a sync server."""
    if not replica.get_state("server_url"):
        return False  # the common offline case, without importing the sync stack
    from institute_core.sync import account as sync_account

    return sync_account.account_of(replica) is not None


def _progress(sink: ProgressSink | None) -> Callable[[SyncProgress], None] | None:
    if sink is None:
        return None
    return lambda p: sink(p.done, p.total or 0, PHASES.get(p.phase, p.phase))


def _outcome(report: SyncReport) -> SyncOutcome:
    return SyncOutcome(report.summary(), report.conflicts, report.cancelled)


def _refusal(exc: SyncError) -> LoginFailed:
    """The sign-in problem a person can act on, from a sync error of the sign-in call."""
    from institute_core.sync.transport import Unauthorized

    if isinstance(exc, Unauthorized):
        return LoginFailed(LoginProblem.REJECTED)
    if isinstance(exc, RequestRefused) and exc.status == 403:
        return LoginFailed(LoginProblem.INACTIVE)
    if isinstance(exc, ServerUnreachable):
        return LoginFailed(LoginProblem.UNREACHABLE,
                           "The sync server cannot be reached: check its address and the "
                           "network, then try again.")
    return LoginFailed(LoginProblem.UNREACHABLE, str(exc))


def connect(replica: Replica, credentials: CredentialStore, server_url: str, email: str,
            password: str, sink: ProgressSink | None, cancel: CancelToken) -> CurrentUser:
    """First run: sign in to the server, initial sync, remember an offline verifier.

    Raises LoginFailed (with the reason) when refused or cancelled before the download ended.
    """
    from institute_core.sync import account as sync_account

    try:
        user, report = sync_account.connect(replica, server_url, email, password, credentials,
                                            progress=_progress(sink), cancel=cancel)
    except SyncError as exc:
        raise _refusal(exc) from exc
    auth.remember_verifier(replica, user.id, email, password)
    if report.cancelled:
        raise LoginFailed(LoginProblem.CANCELLED)
    return auth.current_user(replica, user.id, online=True)


def login_online(replica: Replica, credentials: CredentialStore, email: str,
                 password: str) -> CurrentUser:
    """Sign in against the server of this replica; falls back to the offline verifier when
    the server cannot be reached. Raises LoginFailed with the reason."""
    import httpx

    from institute_core.sync import account as sync_account
    from institute_core.sync.client import SyncClient

    account = sync_account.account_of(replica)
    if account is None:
        return auth.login_offline(replica, email, password)
    # A person is waiting: try twice, quickly, then fall back to the offline verifier.
    transport = sync_account.make_transport(replica, account.server_url, retry=LOGIN_RETRY,
                                            timeout=httpx.Timeout(**LOGIN_TIMEOUT))
    client = SyncClient(transport, credentials, email.strip().lower())
    try:
        try:
            pair = client.login(password, replica.device_id)
        except ServerUnreachable as exc:
            try:
                return auth.login_offline(replica, email, password)
            except LoginFailed as offline:
                if offline.problem in (LoginProblem.UNKNOWN_USER,
                                       LoginProblem.NO_OFFLINE_VERIFIER):
                    # Not known here: the honest reason is that the server could not be asked.
                    raise LoginFailed(LoginProblem.UNREACHABLE) from exc
                raise
        except SyncError as exc:
            raise _refusal(exc) from exc
        if str(pair.user.id) != account.user_id:
            _take_over(replica, credentials, client, pair.user)
        auth.remember_verifier(replica, pair.user.id, email, password)
        try:
            return auth.current_user(replica, pair.user.id, online=True)
        except LoginFailed:
            # Signed in but this user's row has not been pulled yet: sync brings it.
            sync_account.sync_replica(replica, credentials, client=client)
            return auth.current_user(replica, pair.user.id, online=True)
    finally:
        transport.close()


def _take_over(replica: Replica, credentials: CredentialStore, client: SyncClient,
               user: UserInfo) -> None:
    """Another person signed in on this desk: from now on the replica syncs as them, after
    the changes the previous person left were sent as theirs (sync/account.py `adopt`)."""
    from institute_core.sync import account as sync_account
    from institute_core.sync.errors import WrongReplica

    try:
        sync_account.adopt(replica, credentials, client, user)
    except WrongReplica as exc:
        raise LoginFailed(LoginProblem.REJECTED, f"Not signed in: {exc}.") from exc
    except SyncError as exc:
        raise _refusal(exc) from exc


def sync_once(replica: Replica, credentials: CredentialStore, sink: ProgressSink | None,
              cancel: CancelToken) -> SyncOutcome:
    """One background sync with the stored account (NeedsLogin when the sign-in is gone)."""
    from institute_core.sync import account as sync_account

    return _outcome(sync_account.sync_replica(replica, credentials, progress=_progress(sink),
                                              cancel=cancel))


def device_health(replica: Replica, credentials: CredentialStore) -> list[DeviceHealth]:
    """Every device the server knows, those it fails to take pushes from first (administrators
    only: anyone else gets RequestRefused 403)."""
    from institute_core.sync.account import client_for
    from institute_core.sync.device_health import by_urgency

    client = client_for(replica, credentials)
    try:
        return by_urgency(client.devices())
    finally:
        client.transport.close()


def guardian_code(replica: Replica, credentials: CredentialStore,
                  student_id: uuid.UUID) -> GuardianCode:
    """A guardian's portal sign-in code from the server (RequestRefused 403 for who may not
    manage students, 404 for a student the server does not have yet)."""
    from institute_core.sync.account import client_for

    client = client_for(replica, credentials)
    try:
        return client.guardian_code(student_id)
    finally:
        client.transport.close()


__all__ = ["NeedsLogin", "SyncOutcome", "connect", "credential_store", "device_health",
           "guardian_code", "login_online", "server_configured", "sync_once"]
