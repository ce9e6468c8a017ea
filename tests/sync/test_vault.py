"""The token store as a user would check it: secrets come back, stay private, and survive races."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from studio import doctor
from studio.config import app_paths
from studio.sync import vault as vault_mod
from studio.sync.vault import (
    EncryptedFileVault,
    KeyringVault,
    VaultError,
    describe_store,
    open_vault,
)

SECRET = '{"access_token": "act.Zq8sV3cr3tValue-41", "refresh_token": "rft.N0tInAnyFile-977"}'
POSIX = os.name == "posix"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring that lives in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def isolated_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never the developer's keyring: testing mode on, probe cache empty, backend restored after."""
    monkeypatch.setenv("CREATOR_STUDIO_TESTING", "1")
    monkeypatch.delenv("CREATOR_STUDIO_TOKEN_STORE", raising=False)
    monkeypatch.setattr(vault_mod, "_probe_cache", {})
    saved = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(saved)


def make_vault(folder: Path, machine_id: bytes = b"machine-a") -> EncryptedFileVault:
    return EncryptedFileVault(folder / "data" / "tokens.vault", folder / "config" / "vault.key", machine_id)


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_file_vault_round_trip_and_reopen(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    assert vault.get("account:1") is None
    vault.delete("account:1")  # deleting what is not there is fine
    vault.put("account:1", SECRET)
    vault.put("client_secret", "clt.another-one")
    assert vault.get("account:1") == SECRET

    again = make_vault(tmp_path)
    assert again.get("account:1") == SECRET
    assert again.get("client_secret") == "clt.another-one"
    again.delete("account:1")
    again.delete("account:1")
    assert make_vault(tmp_path).get("account:1") is None
    assert make_vault(tmp_path).get("client_secret") == "clt.another-one"
    again.delete_all(["client_secret", "never-there"])
    assert make_vault(tmp_path).get("client_secret") is None


def test_secret_is_in_no_file_and_files_are_private(
    studio_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    paths = app_paths().ensure()
    vault = open_vault(paths)
    assert isinstance(vault, EncryptedFileVault)
    vault.put("account:1", SECRET)
    assert open_vault(paths).get("account:1") == SECRET

    files = all_files(studio_home)
    assert vault.path in files and vault.key_path in files
    forms = [SECRET.encode(), SECRET.encode("utf-16-le"), SECRET.encode("utf-16-be")]
    for token in ("Zq8sV3cr3tValue", "N0tInAnyFile"):
        forms += [token.encode(), token.encode("utf-16-le"), token.encode("utf-16-be")]
    for path in files:
        data = path.read_bytes()
        assert not any(form in data for form in forms), f"secret readable in {path}"
    assert "Zq8sV3cr3tValue" not in caplog.text and "N0tInAnyFile" not in caplog.text

    assert vault.key_path.parent != vault.path.parent
    assert not vault.key_path.is_relative_to(vault.path.parent)
    if POSIX:
        assert stat.S_IMODE(vault.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(vault.key_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(vault.path.parent.stat().st_mode) == 0o700
        assert not any(stat.S_IMODE(p.stat().st_mode) & 0o077 for p in all_files(vault.path.parent))


@pytest.mark.skipif(not POSIX, reason="file modes are POSIX")
def test_a_vault_made_readable_to_others_is_tightened(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    vault.put("k", "v")
    os.chmod(vault.path, 0o644)
    os.chmod(vault.key_path, 0o644)
    assert vault.get("k") == "v"
    assert stat.S_IMODE(vault.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.key_path.stat().st_mode) == 0o600


def test_copy_with_its_key_does_not_open_on_another_machine(tmp_path: Path) -> None:
    original = make_vault(tmp_path / "here", machine_id=b"machine-a")
    original.put("account:1", SECRET)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "here", elsewhere)

    with pytest.raises(VaultError) as info:
        make_vault(elsewhere, machine_id=b"machine-b").get("account:1")
    assert "sign in again" in str(info.value)
    assert SECRET not in str(info.value)
    # the copy itself is intact: on the original machine it opens
    assert make_vault(elsewhere, machine_id=b"machine-a").get("account:1") == SECRET


WRITER = """
import sys
from pathlib import Path
from studio.sync.vault import EncryptedFileVault
root, tag = Path(sys.argv[1]), sys.argv[2]
vault = EncryptedFileVault(root / "data" / "tokens.vault", root / "config" / "vault.key", b"machine-a")
print("ready", flush=True)
sys.stdin.readline()
for i in range(30):
    vault.put(f"{tag}-{i}", f"secret-{tag}-{i}")
print("done", flush=True)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in ("app", "cli")
    ]
    for proc in procs:  # both are started and have the vault open before either writes
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "done" in out

    vault = make_vault(tmp_path)
    for tag in ("app", "cli"):
        for i in range(30):
            assert vault.get(f"{tag}-{i}") == f"secret-{tag}-{i}"


def test_damaged_vault_is_reported_then_set_aside_on_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vault = make_vault(tmp_path)
    vault.put("account:1", SECRET)
    vault.path.write_bytes(b"this is not a vault")

    with pytest.raises(VaultError) as info:
        vault.get("account:1")
    message = str(info.value)
    assert str(vault.path) in message and "damaged" in message and "sign in again" in message
    assert vault.path.read_bytes() == b"this is not a vault"  # a read never overwrites it

    caplog.set_level(logging.WARNING)
    vault.put("account:2", "fresh")
    assert vault.get("account:2") == "fresh"
    assert vault.get("account:1") is None
    aside = list(vault.path.parent.glob("tokens.vault.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"this is not a vault"
    assert "damaged" in caplog.text and "fresh" not in caplog.text


def test_missing_key_file_is_a_readable_error(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    vault.put("k", "v")
    vault.key_path.unlink()
    with pytest.raises(VaultError, match="key file"):
        vault.get("k")
    vault.put("k", "new")
    assert make_vault(tmp_path).get("k") == "new"


def test_open_vault_in_tests_is_the_profile_file() -> None:
    paths = app_paths()
    keyring.set_keyring(MemoryKeyring())  # even with a working keyring, tests get the file
    store = open_vault(paths)
    assert isinstance(store, EncryptedFileVault)
    assert store.path == paths.data / "sync" / "tokens.vault"
    assert store.key_path == paths.config / "vault.key"
    assert not store.path.exists() and not store.key_path.exists()  # opening creates nothing
    line = describe_store(paths)
    assert "encrypted file" in line and str(store.path) in line
    assert not store.path.exists()
    report = doctor.token_store()
    assert report["ok"] and "encrypted file" in report["store"]
    assert any("encrypted file" in line for line in doctor.report_lines(_doctor_doc(report)))


def _doctor_doc(store: dict[str, object]) -> dict[str, object]:
    return {
        "versions": {},
        "video_encoders": {"chosen": {"h264": None, "hevc": None}, "encoders": []},
        "onnxruntime": {"providers": []},
        "audio": {"ok": True, "devices": []},
        "paths": {},
        "token_store": store,
    }


def test_keyring_without_a_backend_explains_the_file_store(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VaultError) as info:
        open_vault(app_paths(), prefer="keyring")
    assert "no system keyring" in str(info.value)
    assert "CREATOR_STUDIO_TOKEN_STORE=file" in str(info.value)

    monkeypatch.delenv("CREATOR_STUDIO_TESTING")
    assert isinstance(open_vault(app_paths()), EncryptedFileVault)  # auto falls back
    assert "no system keyring" in describe_store(app_paths())
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")
    assert isinstance(open_vault(app_paths()), EncryptedFileVault)
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "cloud")
    with pytest.raises(VaultError, match="CREATOR_STUDIO_TOKEN_STORE"):
        open_vault(app_paths())


def test_working_keyring_stores_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = open_vault(app_paths(), prefer="keyring")
    assert isinstance(store, KeyringVault)
    assert "system keyring" in store.kind and "Memory" in store.kind
    store.put("account:1", SECRET)
    assert store.get("account:1") == SECRET
    assert backend.store == {("creator-studio/default", "account:1"): SECRET}  # the probe left nothing
    store.delete("account:1")
    store.delete("account:1")
    assert store.get("account:1") is None

    with pytest.raises(VaultError, match="too large"):
        store.put("big", "x" * 2561)
    assert store.get("big") is None

    monkeypatch.delenv("CREATOR_STUDIO_TESTING")
    writes = backend.writes
    assert isinstance(open_vault(app_paths()), KeyringVault)  # auto picks the working keyring
    assert isinstance(open_vault(app_paths()), KeyringVault)
    assert backend.writes == writes  # probed once per process, not on every open
    assert "service creator-studio/default" in describe_store(app_paths())


def test_keyring_errors_become_vault_errors() -> None:
    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("the collection is locked")

    store = KeyringVault("creator-studio/default", Broken())
    with pytest.raises(VaultError, match="locked"):
        store.get("account:1")
    keyring.set_keyring(Broken())
    with pytest.raises(VaultError, match="no system keyring"):
        open_vault(app_paths(), prefer="keyring")
