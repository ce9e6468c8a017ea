"""`creator-studio sync --once` on a fresh profile: the embedded demo backend, and no token on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from studio.config import app_paths
from studio.sync.tokens import TokenSet, vault_key
from studio.sync.vault import open_vault


def _every_file(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_sync_once_on_a_fresh_profile_starts_the_demo_and_keeps_tokens_off_disk(studio_home: Path) -> None:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(studio_home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    run = subprocess.run(
        [sys.executable, "-m", "studio", "-v", "sync", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert "Demo account (local)" in run.stdout and "posts checked" in run.stdout
    paths = app_paths()
    assert not (paths.data / "backend" / "backend.json").exists()  # the child stopped with us
    stand_in = str(paths.data / "backend" / "stand-in")
    assert not [p for p in psutil.process_iter(["cmdline"]) if stand_in in " ".join(p.info["cmdline"] or [])]
    vault = open_vault(paths)
    from studio.sync.store import SyncStore

    with SyncStore(paths.data / "sync" / "sync.sqlite3") as store:
        [account] = store.accounts()
        assert account.stand_in and account.display_name == "Demo Creator" and account.last_sync_at
        assert store.latest_video_counters(account.id)
    text = vault.get(vault_key(account.id))
    assert text is not None
    tokens = TokenSet.from_json(text)
    secrets = [tokens.access_token, tokens.refresh_token]
    secrets += [s.split(".", 1)[1] for s in secrets]  # the part after act./rft. too
    files = _every_file(studio_home)
    assert any(p.name == "studio.log" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, path
            assert secret.encode("utf-16-le") not in data, path
    assert tokens.access_token not in run.stdout + run.stderr


def test_sync_names_an_unknown_account(studio_home: Path) -> None:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(studio_home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    run = subprocess.run(
        [sys.executable, "-m", "studio", "sync", "--once", "--account", "@nobody"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 2
    assert "no account matches '@nobody'" in run.stderr and "Demo account (local)" in run.stderr
