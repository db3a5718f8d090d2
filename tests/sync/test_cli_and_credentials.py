"""`institute-desk connect` / `sync` from a shell, and where the sign-in is (not) kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from desktop_app.cli import main
from institute_core.sync import credentials as credentials_module
from institute_core.sync.credentials import KEYRING_SERVICE, account_key
from tests.support.server import running_server
from tests.sync.conftest import PASSWORD, Institute


class FakeKeyring(KeyringBackend):
    """An OS keyring stand-in that keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def fake_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKeyring]:
    # The stand-in plays an OS keyring, so it is trusted like one.
    monkeypatch.setattr(credentials_module, "OS_BACKEND_MODULES",
                        credentials_module.OS_BACKEND_MODULES | {FakeKeyring.__module__})
    previous = keyring.get_keyring()
    backend = FakeKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _files_containing(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_connect_then_sync_from_the_shell_with_the_keyring(
        institute: Institute, fake_keyring: FakeKeyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "desk"
    email = institute.emails["admin"]
    with running_server(institute.url) as server:
        monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
        assert main(["connect", "--server", server.base_url, "--email", email,
                     "--data-dir", str(data)]) == 0
        out = capsys.readouterr().out
        assert f"as {email} (admin)" in out and "received" in out
        token = fake_keyring.secrets[(KEYRING_SERVICE, account_key(server.base_url, email))]
        assert _files_containing(data, token) == []
        monkeypatch.delenv("INSTITUTE_DESK_PASSWORD")
        assert main(["sync", "--data-dir", str(data)]) == 0  # the keyring signs in
        assert "sent 0, received" in capsys.readouterr().out
    # The server is gone now.
    assert main(["sync", "--data-dir", str(data)]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("server unreachable")


def test_without_a_keyring_nothing_secret_is_written_and_the_password_is_asked_again(
        institute: Institute, no_keyring: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    issued: list[str] = []
    original = credentials_module.KeyringCredentials.set_refresh_token

    def spy(self: object, account: str, token: str) -> bool:
        issued.append(token)
        return original(self, account, token)  # type: ignore[arg-type]

    monkeypatch.setattr(credentials_module.KeyringCredentials, "set_refresh_token", spy)
    data = tmp_path / "desk"
    with running_server(institute.url) as server:
        monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
        assert main(["connect", "--server", server.base_url, "--email",
                     institute.emails["faculty"], "--data-dir", str(data)]) == 0
        assert "no keyring" in capsys.readouterr().out
        assert issued and all(_files_containing(data, t) == [] for t in issued)
        assert _files_containing(data, PASSWORD) == []
        monkeypatch.delenv("INSTITUTE_DESK_PASSWORD")
        assert main(["sync", "--data-dir", str(data)]) == 1
        assert "sign-in needed" in capsys.readouterr().err
        monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
        assert main(["sync", "--data-dir", str(data)]) == 0


def test_a_too_old_desk_is_told_to_update_the_app(
        institute: Institute, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
    with running_server(institute.url, INSTITUTE_MIN_CLIENT_SCHEMA="999") as server:
        assert main(["connect", "--server", server.base_url, "--email",
                     institute.emails["admin"], "--data-dir", str(tmp_path / "d")]) == 1
    assert "update the app" in capsys.readouterr().err


class PlainFileKeyring(KeyringBackend):
    """What keyrings.alt's PlaintextKeyring does: secrets in a file anyone who copies it reads."""

    __module__ = "keyrings.alt.file"  # where the real one lives, and not the trusted stand-in's
    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        return self.path.read_text() if self.path.exists() else None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.path.write_text(password)

    def delete_password(self, service: str, username: str) -> None:
        self.path.unlink(missing_ok=True)


def test_a_keyring_that_writes_secrets_to_a_plain_file_is_refused_and_named(
        institute: Institute, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    secrets_file = tmp_path / "keyring_pass.cfg"
    previous = keyring.get_keyring()
    keyring.set_keyring(PlainFileKeyring(secrets_file))
    try:
        data = tmp_path / "desk"
        with running_server(institute.url) as server:
            monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
            assert main(["connect", "--server", server.base_url, "--email",
                         institute.emails["faculty"], "--data-dir", str(data)]) == 0
        out = capsys.readouterr().out
        assert "keyrings.alt.file.PlainFileKeyring does not keep secrets" in out
        assert "the sign-in is not remembered" in out
        assert not secrets_file.exists()
    finally:
        keyring.set_keyring(previous)


def test_a_chain_of_keyrings_is_trusted_only_when_every_link_is() -> None:
    from keyring.backends import chainer

    class Chain(chainer.ChainerBackend):
        def __init__(self, links: list[KeyringBackend]) -> None:
            super().__init__()
            self._links = links

        @property
        def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
            return self._links

    trusted = credentials_module.OS_BACKEND_MODULES | {FakeKeyring.__module__}
    plain = PlainFileKeyring(Path("/nonexistent/never-written"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials_module, "OS_BACKEND_MODULES", trusted)
        previous = keyring.get_keyring()
        try:
            keyring.set_keyring(Chain([FakeKeyring()]))
            assert credentials_module.keyring_refusal() is None
            keyring.set_keyring(Chain([FakeKeyring(), plain]))
            assert "PlainFileKeyring" in (credentials_module.keyring_refusal() or "")
            keyring.set_keyring(Chain([]))
            assert "no keyring" in (credentials_module.keyring_refusal() or "")
        finally:
            keyring.set_keyring(previous)


def test_connect_without_a_folder_never_adopts_the_default_folders_institute(
        institute: Institute, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from institute_core.replica import Replica
    from institute_core.schema import User

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("INSTITUTE_DESK_PASSWORD", PASSWORD)
    from institute_core.paths import default_data_dir

    standalone = Replica.open(default_data_dir())  # an institute kept on this PC only
    with standalone.write(standalone.actor(None)) as session:
        session.add(User(email="owner@x.org", first_name="O", last_name="W", role="admin"))
    standalone.close()
    with running_server(institute.url) as server:
        code = main(["connect", "--server", server.base_url, "--email",
                     institute.emails["faculty"]])
        err = capsys.readouterr().err
        assert code == 2
        assert f"the default folder {default_data_dir()} already holds an institute" in err
        # Named explicitly, a new folder connects; the same folder then refuses another server.
        data = tmp_path / "desk"
        assert main(["connect", "--server", server.base_url, "--email",
                     institute.emails["faculty"], "--data-dir", str(data)]) == 0
        assert f"replica folder: {data}" in capsys.readouterr().out
        assert main(["connect", "--server", "http://127.0.0.1:1", "--email",
                     institute.emails["faculty"], "--data-dir", str(data)]) == 2
        assert f"is already connected to {server.base_url}" in capsys.readouterr().err
