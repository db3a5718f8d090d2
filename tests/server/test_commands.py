"""`institute-sync-server migrate` and `create-admin` as a person runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from institute_core.migrations import head_revision
from tests.support.server import REPO_ROOT, running_server


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "sync_server.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def test_migrate_then_create_admin_who_can_sign_in(pg_url: str) -> None:
    migrated = _cli(pg_url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"-> {head_revision()}" in migrated.stdout
    short = _cli(pg_url, "create-admin", "--email", "boss@example.org", "--first-name", "B",
                 stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    made = _cli(pg_url, "create-admin", "--email", "Boss@Example.org", "--first-name", "B",
                stdin="a long secret\n")
    assert made.returncode == 0, made.stderr
    assert "a long secret" not in made.stdout + made.stderr
    again = _cli(pg_url, "create-admin", "--email", "boss@example.org", "--first-name", "B",
                 stdin="a long secret\n")
    assert again.returncode == 1 and "email" in again.stderr
    with running_server(pg_url) as server:
        r = httpx.post(server.base_url + "/v1/auth/login",
                       json={"email": "boss@example.org", "password": "a long secret"})
        assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
