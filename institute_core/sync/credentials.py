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


def keyring_usable() -> bool:
    """True when the keyring has a real backend (not the `fail` one that refuses everything)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration is the same as none
        return False
    return not isinstance(backend, fail.Keyring)


class KeyringCredentials:
    """Tokens in the OS keyring; every keyring failure degrades to "sign in next time"."""

    NO_BACKEND = ("no keyring is available on this computer, so the sign-in is not remembered: "
                  "you will be asked for the password at the next sync")

    @property
    def persistent(self) -> bool:
        return keyring_usable()

    def get_refresh_token(self, account: str) -> str | None:
        import keyring

        try:
            return keyring.get_password(KEYRING_SERVICE, account)
        except Exception as exc:
            log.warning("keyring read failed (%s); a password will be needed", exc)
            return None

    def set_refresh_token(self, account: str, token: str) -> bool:
        import keyring

        if not keyring_usable():
            log.warning(self.NO_BACKEND)
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
