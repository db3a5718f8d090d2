"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when there is no usable hash (unknown email, no password, a malformed
# verifier), with the parameters real hashes get: every failure costs what a wrong password does.
_DUMMY_HASH = _HASHER.hash("no such user: constant time")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; without a usable hash it costs the same time and fails."""
    if stored_hash is not None:
        try:
            _HASHER.check_needs_rehash(stored_hash)  # parses it: malformed raises here
        except (InvalidHashError, ValueError):
            stored_hash = None
    if stored_hash is None:
        _verify(_DUMMY_HASH, password)
        return False
    return _verify(stored_hash, password)
