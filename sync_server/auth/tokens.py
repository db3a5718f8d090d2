"""Access tokens (HMAC-signed, short-lived) and refresh tokens (random, stored hashed).

An access token is `base64url(json{sid, uid, exp}).base64url(hmac_sha256)`; it names the
session, which every request checks in the database, so logging out revokes it at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass


class TokenError(Exception):
    """The token is malformed, forged or expired; `expired` tells the last case apart."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class AccessClaims:
    session_id: uuid.UUID
    user_id: uuid.UUID
    expires_ms: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_access_token(secret: str, claims: AccessClaims) -> str:
    payload = _b64(json.dumps({"sid": str(claims.session_id), "uid": str(claims.user_id),
                               "exp": claims.expires_ms}, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def read_access_token(secret: str, token: str, now_ms: int) -> AccessClaims:
    """The claims of a genuine, unexpired token; TokenError otherwise."""
    payload, _, signature = token.partition(".")
    # A header may carry any Latin-1 text; the comparison below only takes ASCII.
    if not payload or not signature or not token.isascii():
        raise TokenError("malformed access token")
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise TokenError("access token signature does not match")
    try:
        data = json.loads(_unb64(payload))
        claims = AccessClaims(uuid.UUID(data["sid"]), uuid.UUID(data["uid"]), int(data["exp"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TokenError("malformed access token") from exc
    if claims.expires_ms <= now_ms:
        raise TokenError("access token expired", expired=True)
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Only this hash is stored: a leaked database does not leak usable refresh tokens."""
    return hashlib.sha256(token.encode()).hexdigest()
