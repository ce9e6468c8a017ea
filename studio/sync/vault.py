"""Where sign-in secrets live: the system keyring when one works, else an encrypted file.

The file store keeps every secret in one Fernet-encrypted file in the profile's data dir. Its key
is not beside it: the key file sits in the config dir, and the Fernet key is derived from that
file's random bytes plus the machine id, so a copy of both files does not open elsewhere. Writes
are atomic and fsynced, and read-modify-write happens under a cross-process lock so the app and
``creator-studio sync`` never lose each other's writes. Secret values are never logged.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import keyring
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from filelock import FileLock, Timeout
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from studio.config import AppPaths

STORE_ENV = "CREATOR_STUDIO_TOKEN_STORE"
TESTING_ENV = "CREATOR_STUDIO_TESTING"
#: Windows Credential Manager's blob limit, in the UTF-16 form it stores (jaraco/keyring #355).
MAX_KEYRING_SECRET_BYTES = 2560
_KEY_BYTES = 32
_MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
_POSIX = os.name == "posix"

log = logging.getLogger(__name__)


class VaultError(Exception):
    """The secret store cannot be used; ``str(exc)`` is a sentence for the user."""


class SecretVault(ABC):
    """A small key -> secret store. ``put`` is durable when it returns."""

    kind: str

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def put(self, key: str, secret: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...  # no error when ``key`` is not there

    def delete_all(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)


def _backend_name(backend: Any) -> str:
    inner = getattr(backend, "backends", None)
    if isinstance(inner, list) and inner:
        return ", ".join(b.name for b in inner)
    return str(getattr(backend, "name", type(backend).__name__))


class KeyringVault(SecretVault):
    """Secrets in the system keyring, one entry per key under ``service``."""

    def __init__(self, service: str, backend: Any | None = None) -> None:
        self.service = service
        self._backend = backend if backend is not None else keyring.get_keyring()
        self.kind = f"system keyring ({_backend_name(self._backend)})"

    def _fail(self, action: str, exc: Exception) -> VaultError:
        return VaultError(f"the system keyring could not {action} a secret of {self.service} ({exc})")

    def get(self, key: str) -> str | None:
        try:
            return self._backend.get_password(self.service, key)
        except Exception as exc:  # backends raise KeyringError and also raw dbus/OS errors
            raise self._fail("read", exc) from exc

    def put(self, key: str, secret: str) -> None:
        size = len(secret.encode("utf-16-le"))
        if size > MAX_KEYRING_SECRET_BYTES:
            raise VaultError(
                f"a secret of {size} bytes is too large for the system keyring "
                f"(at most {MAX_KEYRING_SECRET_BYTES} bytes as UTF-16, the Windows limit)"
            )
        try:
            self._backend.set_password(self.service, key, secret)
        except Exception as exc:
            raise self._fail("store", exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._backend.delete_password(self.service, key)
        except PasswordDeleteError:
            pass  # not there
        except Exception as exc:
            raise self._fail("delete", exc) from exc


def read_machine_id() -> bytes:
    """This machine's id (systemd/dbus), or empty where there is none."""
    for candidate in _MACHINE_ID_FILES:
        try:
            value = candidate.read_bytes().strip()
        except OSError:
            continue
        if value:
            return value
    return b""


def _ensure_dir(folder: Path) -> None:
    """Create ``folder`` and any missing parents as 0700 (existing ones are left as they are)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=0o700)
        except FileExistsError:
            pass


def _tighten(path: Path) -> None:
    """Make ``path`` 0600 if it is readable by others."""
    if _POSIX and path.exists() and path.stat().st_mode & 0o077:
        log.warning("%s was readable by other users; set it to 0600", path)
        os.chmod(path, 0o600)


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp file (0600) in the same folder, fsync, rename over ``path``, fsync the folder."""
    _ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if _POSIX:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class _Damaged(Exception):
    """The vault exists but cannot be decrypted or parsed (internal)."""


class EncryptedFileVault(SecretVault):
    """All secrets in one encrypted file; see the module docstring for how the key is kept."""

    def __init__(self, path: Path, key_path: Path, machine_id: bytes | None = None) -> None:
        self.path = Path(path)
        self.key_path = Path(key_path)
        self.kind = f"encrypted file {self.path}"
        self._machine_id = machine_id
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def _lock(self) -> FileLock:
        _ensure_dir(self.path.parent)
        return FileLock(self._lock_path, timeout=60, mode=0o600)

    def _fernet(self, raw_key: bytes) -> Fernet:
        machine = self._machine_id if self._machine_id is not None else read_machine_id()
        hkdf = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=machine or None, info=b"creator-studio token vault v1"
        )
        return Fernet(base64.urlsafe_b64encode(hkdf.derive(raw_key)))

    def _load(self) -> dict[str, str]:
        """The stored secrets; {} when there is no vault yet. Raises _Damaged or VaultError."""
        try:
            if not self.path.exists():
                return {}
            _tighten(self.path)
            blob = self.path.read_bytes()
            if not self.key_path.exists():
                raise _Damaged(f"its key file {self.key_path} is missing")
            _tighten(self.key_path)
            raw_key = self.key_path.read_bytes()
        except OSError as exc:
            raise VaultError(f"the token store at {self.path} cannot be read ({exc})") from exc
        if len(raw_key) != _KEY_BYTES:
            raise _Damaged(f"its key file {self.key_path} is damaged")
        try:
            doc = json.loads(self._fernet(raw_key).decrypt(blob))
        except InvalidToken:
            raise _Damaged("it cannot be decrypted with this machine's key") from None
        except ValueError:
            raise _Damaged("its contents are not readable") from None
        entries = doc.get("secrets") if isinstance(doc, dict) else None
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise _Damaged("its contents are not readable")
        return entries

    def _set_aside(self, why: str) -> None:
        target = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        if target.exists():
            target = target.with_name(f"{target.name}-{secrets.token_hex(3)}")
        os.replace(self.path, target)
        log.warning("the token store was damaged (%s); kept it as %s and started a new one", why, target)

    def _raw_key(self) -> bytes:
        """The key file's bytes, creating the file (0600) on first use. Call under the lock."""
        if self.key_path.exists():
            _tighten(self.key_path)
            raw = self.key_path.read_bytes()
            if len(raw) == _KEY_BYTES:
                return raw
            log.warning("the token store key %s was damaged; making a new one", self.key_path)
        raw = secrets.token_bytes(_KEY_BYTES)
        _write_atomic(self.key_path, raw)
        return raw

    def _update(self, change: dict[str, str | None]) -> None:
        """Read-modify-write under the lock; None values delete."""
        try:
            with self._lock():
                try:
                    entries = self._load()
                except _Damaged as exc:
                    self._set_aside(str(exc))
                    entries = {}
                before = dict(entries)
                for key, value in change.items():
                    if value is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = value
                if entries == before:
                    return  # nothing to write (also: a delete on a set-aside vault)
                raw_key = self._raw_key()
                token = self._fernet(raw_key).encrypt(json.dumps({"version": 1, "secrets": entries}).encode())
                _write_atomic(self.path, token)
        except Timeout as exc:
            raise VaultError(f"the token store at {self.path} is locked by another process") from exc
        except OSError as exc:
            raise VaultError(f"the token store at {self.path} cannot be written ({exc})") from exc

    def get(self, key: str) -> str | None:
        # No lock needed: writers replace the file atomically, so a reader sees old or new.
        try:
            return self._load().get(key)
        except _Damaged as exc:
            raise VaultError(f"the token store at {self.path} is damaged ({exc}); sign in again") from None

    def put(self, key: str, secret: str) -> None:
        self._update({key: secret})

    def delete(self, key: str) -> None:
        if self.path.exists():
            self._update({key: None})

    def delete_all(self, keys: Iterable[str]) -> None:
        if self.path.exists():
            self._update(dict.fromkeys(keys))


def file_vault(paths: AppPaths) -> EncryptedFileVault:
    return EncryptedFileVault(paths.data / "sync" / "tokens.vault", paths.config / "vault.key")


def keyring_service(paths: AppPaths) -> str:
    return f"creator-studio/{paths.profile}"


_probe_cache: dict[tuple[str, str], str | None] = {}


def keyring_problem(service: str) -> str | None:
    """Why the system keyring cannot be used (None when it works). Probed once per process."""
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        return f"the keyring library failed to start ({exc})"
    if isinstance(backend, fail.Keyring) or getattr(backend, "backends", None) == []:  # [] = empty chainer
        return "no keyring backend is installed or running"
    try:
        priority = float(backend.priority)
    except Exception as exc:
        return f"the keyring backend is unavailable ({exc})"
    if priority <= 0:
        return f"the keyring backend {_backend_name(backend)} is not a usable store"
    cache_key = (service, f"{type(backend).__module__}.{type(backend).__qualname__}")
    if cache_key not in _probe_cache:
        probe, value = f"probe-{secrets.token_hex(8)}", secrets.token_hex(16)
        try:
            backend.set_password(service, probe, value)
            ok = backend.get_password(service, probe) == value
            backend.delete_password(service, probe)
            _probe_cache[cache_key] = None if ok else "it did not give back what was stored"
        except Exception as exc:  # NoKeyringError, KeyringLocked, dbus errors, ...
            _probe_cache[cache_key] = f"{_backend_name(backend)} failed a test write ({exc})"
    return _probe_cache[cache_key]


def _choice(prefer: str | None) -> str:
    choice = (prefer or os.environ.get(STORE_ENV) or "auto").strip().lower()
    if choice not in ("auto", "keyring", "file"):
        raise VaultError(f"{STORE_ENV} must be 'auto', 'keyring' or 'file', not '{choice}'")
    if choice == "auto" and os.environ.get(TESTING_ENV, "") not in ("", "0"):
        return "file"  # tests never touch a developer's real keyring
    return choice


def open_vault(paths: AppPaths, prefer: str | None = None) -> SecretVault:
    """The store for ``paths``' profile: ``prefer`` or $CREATOR_STUDIO_TOKEN_STORE (auto/keyring/file)."""
    choice = _choice(prefer)
    if choice == "file":
        return file_vault(paths)
    service = keyring_service(paths)
    problem = keyring_problem(service)
    if problem is None:
        return KeyringVault(service)
    if choice == "keyring":
        raise VaultError(
            f"no system keyring is available: {problem}. Creator Studio can keep sign-in tokens in an "
            f"encrypted file instead: set {STORE_ENV}=file"
        )
    log.info("no usable system keyring (%s); keeping tokens in an encrypted file", problem)
    return file_vault(paths)


def describe_store(paths: AppPaths) -> str:
    """One line for ``creator-studio doctor``: which store is used and where."""
    vault = open_vault(paths)
    if isinstance(vault, KeyringVault):
        return f"{vault.kind}, service {vault.service}"
    assert isinstance(vault, EncryptedFileVault)
    line = f"{vault.kind} (key {vault.key_path})"
    if not vault.path.exists():
        line += ", nothing stored yet"
    if _choice(None) == "auto":
        line += f"; no system keyring: {keyring_problem(keyring_service(paths))}"
    return line
