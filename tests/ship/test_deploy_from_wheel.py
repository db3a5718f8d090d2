"""docs/deploy.md walked on one machine: the release wheel in a fresh venv runs the server.

Build the wheel, install it with its server extra into a new virtual environment (nothing of
this checkout on its path), migrate, create the admin from a pipe, serve with two workers, back
up, restore into a new database, serve that one, and connect a desk to it; and `upgrade` a
database on the previous release's schema (restore point first, none means no migration).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from desktop_app.cli import main as desk
from institute_core import migrations
from sync_server.settings import make_engine
from tests.pg import throwaway_database
from tests.support.server import REPO_ROOT, TEST_SECRET, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
PASSWORD = "Deploy-Walk-2026"
# The schema of the release before this one: what `upgrade` finds on a server being upgraded.
PREVIOUS_SCHEMA = "0004"
ADMIN = "owner@example.org"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding the wheel built from this checkout."""
    root = tmp_path_factory.mktemp("deploy")
    # Built from a copy: setuptools leaves build/ behind, whose stale files a later build of
    # the checkout itself would pack.
    source = shutil.copytree(REPO_ROOT, root / "source", ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", ".*_cache", ".hypothesis",
        "__pycache__", "screenshots"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(root / "dist"), str(source)], check=True, timeout=600)
    wheel = next((root / "dist").glob("institute_desk-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=300)
    bin_dir = root / "venv" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "--quiet", f"{wheel}[server]"],
                   check=True, timeout=900)
    return bin_dir


def _env(url: str) -> dict[str, str]:
    # Only the venv's own interpreter and packages: no PYTHONPATH pointing at this checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "DATABASE_URL": url, "INSTITUTE_SECRET_KEY": TEST_SECRET}


def _run_server_cli(bin_dir: Path, url: str, *args: str, stdin: str | None = None,
                    **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "institute-sync-server"), *args],
                          env={**_env(url), **extra_env}, input=stdin, capture_output=True,
                          text=True, timeout=300, cwd=bin_dir)


def _server_cli(bin_dir: Path, url: str, *args: str, stdin: str | None = None,
                **extra_env: str) -> str:
    done = _run_server_cli(bin_dir, url, *args, stdin=stdin, **extra_env)
    assert done.returncode == 0, f"{args[0]}: {done.stdout}{done.stderr}"
    return done.stdout


@contextmanager
def _serving(bin_dir: Path, url: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([str(bin_dir / "institute-sync-server"), "serve", "--host",
                                "127.0.0.1", "--port", str(port), "--workers", "2"],
                               env=_env(url), cwd=bin_dir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "serve exited"
            try:
                if httpx.get(f"{base}/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve never became ready"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_wheel_serves_backs_up_restores_and_syncs_a_desk(
        installed: Path, pg_admin_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
    backup = tmp_path / "institute.dump"
    with throwaway_database(pg_admin_url) as first, throwaway_database(pg_admin_url) as second:
        _server_cli(installed, first, "migrate")
        made = _server_cli(installed, first, "create-admin", "--email", ADMIN, "--first-name",
                           "Owner", stdin=f"{PASSWORD}\n")
        assert f"created admin {ADMIN}" in made
        with _serving(installed, first) as base:
            assert desk(["connect", "--server", base, "--email", ADMIN,
                         "--data-dir", str(tmp_path / "before")]) == 0
        _server_cli(installed, first, "backup", str(backup))
        assert backup.stat().st_size > 0
        _server_cli(installed, second, "restore", str(backup))
        with _serving(installed, second) as base:
            desk_dir = tmp_path / "after"
            assert desk(["connect", "--server", base, "--email", ADMIN,
                         "--data-dir", str(desk_dir)]) == 0
            assert desk(["sync", "--data-dir", str(desk_dir)]) == 0
            devices = _server_cli(installed, second, "devices")
            assert ADMIN in devices


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrations.current_revision(engine)
    finally:
        engine.dispose()


def test_upgrade_takes_a_restore_point_before_migrating_and_none_means_no_migration(
        installed: Path, pg_admin_url: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    with throwaway_database(pg_admin_url) as url:
        # A server as the previous release left it: its admin, its schema (this release's
        # create-admin needs this release's schema, so the schema is taken back after it).
        _server_cli(installed, url, "migrate")
        _server_cli(installed, url, "create-admin", "--email", ADMIN, "--first-name", "Owner",
                    stdin=f"{PASSWORD}\n")
        engine = make_engine(url)
        try:
            migrations.downgrade(engine, PREVIOUS_SCHEMA)
        finally:
            engine.dispose()

        # No pg_dump on PATH (postgresql-client not installed): no restore point, no migration.
        refused = _run_server_cli(installed, url, "upgrade", "--backup-dir", str(backups),
                                  PATH=str(installed))
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "nothing migrated" in refused.stderr and "pg_dump" in refused.stderr
        assert _revision(url) == PREVIOUS_SCHEMA
        assert list(backups.iterdir()) == []

        upgraded = _server_cli(installed, url, "upgrade", INSTITUTE_BACKUP_DIR=str(backups))
        (restore_point,) = backups.iterdir()
        assert f"restore point: database {url.rsplit('/', 1)[1]} to {restore_point}" in upgraded
        assert f"restore --force {restore_point}" in upgraded
        assert f"database schema: {PREVIOUS_SCHEMA} -> {migrations.HEAD}" in upgraded
        assert restore_point.stat().st_mode & 0o777 == 0o600
        assert _revision(url) == migrations.HEAD

        # The restore point is the server as it was: the old schema with the admin in it.
        with throwaway_database(pg_admin_url) as rolled_back:
            subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                            f"--dbname={rolled_back}", str(restore_point)], check=True,
                           capture_output=True, timeout=120)
            assert _revision(rolled_back) == PREVIOUS_SCHEMA
            engine = make_engine(rolled_back)
            try:
                with engine.connect() as connection:
                    assert connection.execute(text("SELECT email FROM users")).scalars().all() == [
                        ADMIN]
            finally:
                engine.dispose()

        again = _server_cli(installed, url, "upgrade", INSTITUTE_BACKUP_DIR=str(backups))
        assert "nothing to migrate" in again and len(list(backups.iterdir())) == 1

        # A release older than the database (reinstalled without its restore point).
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        finally:
            engine.dispose()
        older = _run_server_cli(installed, url, "upgrade", INSTITUTE_BACKUP_DIR=str(backups))
        assert older.returncode == 2 and "newer than this release knows" in older.stderr
        assert "Traceback" not in older.stderr and len(list(backups.iterdir())) == 1
