"""Token expiry with a configurable lifetime (in-process app)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sync_server.app import create_app
from tests.server.conftest import make_settings
from tests.server.helpers import PASSWORD
from tests.support.server import create_user


def test_expired_access_token_is_refused_and_refresh_still_works(server_db: str) -> None:
    create_user(server_db, email="x@example.org", password=PASSWORD, role="admin")
    app = create_app(make_settings(server_db, access_token_seconds=0))
    with TestClient(app) as client:
        pair = client.post("/v1/auth/login",
                           json={"email": "x@example.org", "password": PASSWORD}).json()
        r = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert r.status_code == 401 and r.json()["error"] == "token_expired"
        forged = pair["access_token"][:-3] + "abc"
        r = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        refreshed = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert refreshed.status_code == 200
