"""Where the refresh token lives: the OS keyring, or nowhere.

The refresh token is a secret that signs in without a password, so it is kept only in the OS
keyring (service "InstituteDesk", user "<server url>|<email>"). When no keyring backend exists
(headless Linux, some CI), nothing is stored: the next sync asks for the password again rather
than writing a secret to disk in plain text.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Protocol

log = logging.getLogger(__name__)

KEYRING_SERVICE = "InstituteDesk"


def account_key(server_url: str, email: str) -> str:
    """The keyring user name of one account on one server."""
    return f"{server_url.rstrip('/')}|{email.strip().lower()}"


class CredentialStore(Protocol):
    """Keeps refresh tokens per account; `persistent` tells whether they outlive the process."""

    @property
    def persistent(self) -> bool: ...

    def get_refresh_token(self, account: str) -> str | None: ...

    def set_refresh_token(self, account: str, token: str) -> bool:
        """Store the token; False when it could not be stored (the user signs in next time)."""
        ...

    def delete_refresh_token(self, account: str) -> None: ...


class MemoryCredentials:
    """Tokens kept in this process only: tests, and machines without a keyring."""

    def __init__(self, *, persistent: bool = True) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._persistent = persistent

    @property
    def persistent(self) -> bool:
        return self._persistent

    def get_refresh_token(self, account: str) -> str | None:
        with self._lock:
            return self._tokens.get(account)

    def set_refresh_token(self, account: str, token: str) -> bool:
        with self._lock:
            self._tokens[account] = token
        return True

    def delete_refresh_token(self, account: str) -> None:
        with self._lock:
            self._tokens.pop(account, None)


# Backends that hand the secret to the operating system's own store (Windows Credential Locker,
# macOS Keychain, Secret Service / libsecret, KWallet), which encrypts it for the signed-in user.
# Anything else (keyrings.alt's plain-text or "encrypted" files, which prompt on a console, or
# a third-party backend we have not reviewed) would put a 30-day sign-in on disk in a form
# whoever copies the disk can use, so it is refused.
OS_BACKEND_MODULES = frozenset({
    "keyring.backends.Windows", "keyring.backends.macOS", "keyring.backends.SecretService",
    "keyring.backends.libsecret", "keyring.backends.kwallet"})


def _backend_name(backend: object) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _refusal(backend: object) -> str | None:
    """Why `backend` may not hold the refresh token, or None when it may."""
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return "no keyring is available on this computer"
    if isinstance(backend, chainer.ChainerBackend):
        # A chain writes to the first backend that accepts: every one of them must be safe.
        inner = list(backend.backends)
        if not inner:
            return "no keyring is available on this computer"
        reasons = [r for r in map(_refusal, inner) if r]
        return reasons[0] if reasons else None
    module = type(backend).__module__
    if module in OS_BACKEND_MODULES or module.rpartition(".")[0] in OS_BACKEND_MODULES:
        return None
    return (f"the keyring backend {_backend_name(backend)} does not keep secrets in the "
            "operating system's protected store")


def keyring_refusal() -> str | None:
    """Why the configured keyring may not hold the refresh token, or None when it may."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration is the same as none
        return f"the keyring could not be opened ({exc})"
    return _refusal(backend)


def keyring_usable() -> bool:
    """True when the keyring is one the OS protects (see `OS_BACKEND_MODULES`)."""
    return keyring_refusal() is None


class KeyringCredentials:
    """Tokens in the OS keyring; every keyring failure degrades to "sign in next time"."""

    @staticmethod
    def not_remembered() -> str:
        """What to tell a person whose sign-in cannot be kept, naming why."""
        reason = keyring_refusal() or "the keyring refused to store it"
        return (f"{reason}, so the sign-in is not remembered: you will be asked for the "
                "password at the next sync")

    @property
    def persistent(self) -> bool:
        return keyring_usable()

    def get_refresh_token(self, account: str) -> str | None:
        import keyring

        if not keyring_usable():  # never read a token an unsafe backend may hold
            return None
        try:
            return keyring.get_password(KEYRING_SERVICE, account)
        except Exception as exc:
            log.warning("keyring read failed (%s); a password will be needed", exc)
            return None

    def set_refresh_token(self, account: str, token: str) -> bool:
        import keyring

        if not keyring_usable():
            log.warning(self.not_remembered())
            return False
        try:
            keyring.set_password(KEYRING_SERVICE, account, token)
            return True
        except Exception as exc:
            log.warning("keyring write failed (%s); a password will be needed next time", exc)
            return False

    def delete_refresh_token(self, account: str) -> None:
        import keyring

        # Nothing stored, or no backend: nothing to remove.
        with contextlib.suppress(Exception):
            keyring.delete_password(KEYRING_SERVICE, account)
