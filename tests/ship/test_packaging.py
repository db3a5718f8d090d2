"""The files an IT person copies onto the server (packaging/server) agree with the code and with
docs/deploy.md: the sample server.env names every setting and only real ones, the systemd units
run commands the server has, and a password in DATABASE_URL is encoded as the doc says."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from sync_server.cli import build_parser
from sync_server.commands.listening import TcpConfig
from sync_server.messages.settings import MessagingSettings
from sync_server.settings import ENCODE_PASSWORD, Settings, checked_database_url
from tests.support.server import REPO_ROOT, TEST_SECRET

PACKAGING = REPO_ROOT / "packaging" / "server"
DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
VENV_COMMAND = "/opt/institute-desk/venv/bin/institute-sync-server"
SERVER_ENV = "/etc/institute-desk/server.env"
ASSIGNMENT = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


def _sample() -> dict[str, tuple[bool, str]]:
    """server.env.example's variables: name -> (set, not commented out; value)."""
    found: dict[str, tuple[bool, str]] = {}
    for line in (PACKAGING / "server.env.example").read_text().splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            found[match[2]] = (match[1] == "", match[3])
    return found


class _Recording(dict[str, str]):
    """An environment that remembers which names were asked for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


def _with_environment(monkeypatch: pytest.MonkeyPatch, values: Mapping[str, str]) -> _Recording:
    recording = _Recording(values)
    monkeypatch.setattr(os, "environ", recording)
    return recording


def _settings_read(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    with monkeypatch.context() as patch:
        recording = _with_environment(patch, {})
        Settings()
    return recording.asked


def _read_by_serve(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    # uvicorn reads some of its options (FORWARDED_ALLOW_IPS) from the environment itself.
    with monkeypatch.context() as patch:
        recording = _with_environment(patch, {})
        TcpConfig("sync_server.app:build_app", factory=True)
    return recording.asked


def _read_by_dispatch(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    # The message dispatcher's providers, quiet hours and prices (docs/messages.md).
    with monkeypatch.context() as patch:
        recording = _with_environment(patch, {})
        MessagingSettings()
    return recording.asked


def _filled(sample: Mapping[str, tuple[bool, str]]) -> dict[str, str]:
    # The sample leaves the secret empty on purpose; a real server.env has one.
    values = {name: value for name, (active, value) in sample.items() if active}
    values["INSTITUTE_SECRET_KEY"] = TEST_SECRET
    return values


def test_the_sample_server_env_names_every_setting_and_only_real_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sample = _sample()
    read = _settings_read(monkeypatch)
    assert read, "Settings read no environment variable"
    assert read - set(sample) == set(), "settings missing from server.env.example"
    dispatch = _read_by_dispatch(monkeypatch)
    assert dispatch - set(sample) == set(), "dispatcher settings missing from server.env.example"
    assert set(sample) - read - _read_by_serve(monkeypatch) - dispatch == set(), \
        "names nothing reads"

    # Every setting whose absence stops the server is set (not commented out) in the sample.
    with monkeypatch.context() as patch:
        _with_environment(patch, _filled(sample))
        Settings().checked()
    for name in read:
        without = {k: v for k, v in _filled(sample).items() if k != name}
        with monkeypatch.context() as patch:
            _with_environment(patch, without)
            try:
                Settings().checked()
            except SystemExit:
                assert sample[name][0], f"{name} is required but commented out in the sample"


def test_the_samples_commented_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    commented = {name: value for name, (active, value) in _sample().items() if not active}
    with monkeypatch.context() as patch:
        _with_environment(patch, {})
        defaults = Settings()
    with monkeypatch.context() as patch:
        _with_environment(patch, commented)
        assert Settings() == defaults
        assert TcpConfig("sync_server.app:build_app", factory=True).forwarded_allow_ips == (
            commented["FORWARDED_ALLOW_IPS"])


def test_the_deploy_doc_lists_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", DEPLOY_DOC.read_text()))
    assert _settings_read(monkeypatch) - documented == set()


def _unit(name: str) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in (PACKAGING / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            entries.setdefault(key, []).append(value)
    return entries


def _systemd_unescaped(text: str) -> str:
    return text.replace("$$", "$").replace("%%", "%")


def _server_command(exec_start: str) -> list[str]:
    """The institute-sync-server argv an ExecStart= line runs, directly or through sh -c."""
    argv = shlex.split(_systemd_unescaped(exec_start))
    if argv[:2] == ["/bin/sh", "-c"]:
        # What the shell makes of the date in a file name, on one day.
        argv = shlex.split(argv[2].replace("$(date +%F)", "2026-12-05"))
        argv = argv[1:] if argv[0] == "exec" else argv
    return argv


@pytest.mark.parametrize("unit", ["institute-sync.service", "institute-sync-backup.service"])
def test_the_units_run_the_venvs_server_with_options_it_has(unit: str) -> None:
    entries = _unit(unit)
    assert entries["User"] == ["institute"] and entries["EnvironmentFile"] == [SERVER_ENV]
    (exec_start,) = entries["ExecStart"]
    argv = _server_command(exec_start)
    assert argv[0] == VENV_COMMAND
    build_parser().parse_args(argv[1:])  # exits on an option `serve`/`backup` lacks


def test_backups_go_where_upgrade_writes_its_restore_point(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _sample()["INSTITUTE_BACKUP_DIR"][1]
    with monkeypatch.context() as patch:
        _with_environment(patch, {})
        assert Settings().backup_dir == folder
    entries = _unit("institute-sync-backup.service")
    target = Path(_server_command(entries["ExecStart"][0])[2])
    assert str(target.parent) == folder
    assert entries["ReadWritePaths"] == [folder]
    # The daily clean-up must not reach the restore points `upgrade` writes beside them.
    (clean_up,) = entries["ExecStartPost"]
    pattern = shlex.split(clean_up)[shlex.split(clean_up).index("-name") + 1]
    assert Path("institute_desk-before-upgrade-from-0004-20261205T120000Z.dump").match(
        pattern) is False
    assert target.match(pattern)


def _packaged_files() -> Iterator[Path]:
    return (path for path in PACKAGING.rglob("*") if path.is_file())


def test_the_deploy_doc_names_every_packaged_file() -> None:
    doc = DEPLOY_DOC.read_text()
    missing = [str(path.relative_to(REPO_ROOT)) for path in _packaged_files()
               if str(path.relative_to(REPO_ROOT)) not in doc]
    assert missing == []


def test_a_password_is_encoded_as_the_doc_says_and_an_unencoded_one_is_named(
        tmp_path: Path) -> None:
    password = "p@ss/w:rd?#%41 x"
    # getpass reads the piped line when there is no terminal (with a warning on stderr).
    encoded = subprocess.run(["sh", "-c", ENCODE_PASSWORD], input=password + "\n",
                             capture_output=True, text=True, check=True).stdout.strip()
    url = f"postgresql://institute:{encoded}@127.0.0.1:5432/institute_desk"
    assert make_url(checked_database_url(url)).password == password
    assert ENCODE_PASSWORD in DEPLOY_DOC.read_text()

    unencoded = "postgresql://institute:p@ss/word@127.0.0.1:5432/institute_desk"
    done = subprocess.run(
        [sys.executable, "-m", "sync_server.cli", "migrate"],
        env={**os.environ, "DATABASE_URL": unencoded, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode != 0
    assert "must be URL-encoded" in done.stderr and ENCODE_PASSWORD in done.stderr
    assert "p@ss" not in done.stderr and "Traceback" not in done.stderr
