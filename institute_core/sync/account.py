"""Which server and account a replica syncs with: connecting it, and signing in to sync it.

`connect` signs in, registers the device and runs the initial sync; `sync_replica` runs one
sync with the stored account, asking `password` for the password only when the saved sign-in
is gone (no keyring, expired or revoked) – the outbox is never touched by a sign-in problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from institute_core.replica import Replica
from institute_core.sync import handover, wire
from institute_core.sync.backoff import CancelToken, RetryPolicy
from institute_core.sync.client import SyncClient
from institute_core.sync.credentials import CredentialStore
from institute_core.sync.errors import NeedsLogin, SyncError, WrongReplica
from institute_core.sync.runner import (
    FULL_PULL_KEY,
    ProgressCallback,
    SyncOptions,
    SyncReport,
    SyncRunner,
    physical_ms,
)
from institute_core.sync.transport import DEFAULT_TIMEOUT, Transport

PasswordSource = Callable[[], str | None]


@dataclass(frozen=True)
class Account:
    """The server and user a replica is connected to (sync_state server_url, email, ...)."""

    server_url: str
    email: str
    user_id: str
    role: str


def account_of(replica: Replica) -> Account | None:
    """The stored account, or None when the replica was never connected."""
    url, email = replica.get_state("server_url"), replica.get_state("email")
    if not url or not email:
        return None
    return Account(url, email, str(replica.get_state("user_id", "")),
                   str(replica.get_state("role", "")))


def make_transport(replica: Replica, server_url: str, *, retry: RetryPolicy | None = None,
                   timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> Transport:
    """A transport whose X-Client-Time-Ms is this device's own clock (the server records skew)."""
    return Transport(server_url, retry=retry, timeout=timeout,
                     client_time_ms=lambda: physical_ms(replica))


def client_for(replica: Replica, credentials: CredentialStore, *,
               retry: RetryPolicy | None = None) -> SyncClient:
    """A client for the stored account; SyncError when the replica was never connected."""
    account = account_of(replica)
    if account is None:
        raise SyncError("this data folder is not connected to a server yet: "
                        "run `institute-desk connect --server URL --email EMAIL` first")
    return SyncClient(make_transport(replica, account.server_url, retry=retry), credentials,
                      account.email)


def _deliver_waiting(replica: Replica, credentials: CredentialStore, previous: Account,
                     retry: RetryPolicy | None) -> None:
    """Send what `previous` left in the outbox, with their own saved sign-in.

    WrongReplica when that cannot be done now: their changes stay, and nobody else syncs
    from this replica until they are sent (they carry `previous`'s device id and numbering).
    """
    waiting = replica.pending_changes()
    try:
        sync_replica(replica, credentials, retry=retry)
    except NeedsLogin as exc:
        raise WrongReplica(
            f"{waiting} change(s) by {previous.email} on this computer are not uploaded yet "
            f"and their sign-in has ended: {previous.email} must sign in and sync once "
            f"before another account can sync here") from exc
    left = replica.pending_changes()
    if left:
        raise WrongReplica(f"{left} change(s) by {previous.email} on this computer could not "
                           f"be uploaded yet; sync as {previous.email} first")


def adopt(replica: Replica, credentials: CredentialStore, client: SyncClient,
          user: wire.UserInfo, *, device_name: str = "", retry: RetryPolicy | None = None,
          options: SyncOptions | None = None, progress: ProgressCallback | None = None,
          cancel: CancelToken | None = None) -> SyncRunner:
    """Make `user`, just signed in with `client`, the account this replica syncs as.

    When someone else synced from here before, their waiting changes are sent first (as
    them) and the replica takes a device id of `user`'s own (sync/handover.py), so every
    change reaches the server under its author's device and none is lost or taken for a
    duplicate. Registers the device and remembers the account; the next sync downloads
    `user`'s whole scope when the account or server changed. Returns a runner for it.
    """
    previous = account_of(replica)
    switched = False
    if previous is not None and previous.user_id != str(user.id):
        if replica.pending_changes():
            _deliver_waiting(replica, credentials, previous, retry)
        switched = handover.switch_device(replica, previous.user_id, str(user.id))
    runner = SyncRunner(replica, client, options=options, progress=progress, cancel=cancel)
    info = runner.register_device(device_name)
    if switched:
        handover.continue_numbering(replica, info.last_seq)
    changed = previous is None or previous.user_id != str(user.id) \
        or previous.server_url.rstrip("/") != client.transport.base_url
    with replica.apply_remote() as connection:
        for key, value in (("server_url", client.transport.base_url), ("email", client.email),
                           ("user_id", str(user.id)), ("role", user.role)):
            replica.set_state(key, value, connection)
        if changed:
            # Another account or server: download the whole scope and drop what it lacks.
            replica.set_state(FULL_PULL_KEY, True, connection)
    return runner


def connect(replica: Replica, server_url: str, email: str, password: str,
            credentials: CredentialStore, *, device_name: str = "",
            retry: RetryPolicy | None = None, options: SyncOptions | None = None,
            progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> tuple[wire.UserInfo, SyncReport]:
    """Sign in, register this device, remember the account and run the initial sync."""
    client = SyncClient(make_transport(replica, server_url, retry=retry), credentials, email)
    user = client.login(password, replica.device_id).user
    runner = adopt(replica, credentials, client, user, device_name=device_name, retry=retry,
                   options=options, progress=progress, cancel=cancel)
    return user, runner.sync()


def sync_replica(replica: Replica, credentials: CredentialStore, *,
                 password: PasswordSource | None = None, retry: RetryPolicy | None = None,
                 options: SyncOptions | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None,
                 client: SyncClient | None = None) -> SyncReport:
    """One sync with the stored account; signs in with `password()` if the sign-in is gone."""
    client = client or client_for(replica, credentials, retry=retry)
    runner = SyncRunner(replica, client, options=options, progress=progress, cancel=cancel)
    try:
        return runner.sync()
    except NeedsLogin as exc:
        if exc.revoked:
            from institute_core.services.auth import forget_verifier

            forget_verifier(replica, client.email)
        secret = password() if password is not None else None
        if not secret:
            raise
    client.login(secret, replica.device_id)
    return runner.sync()
