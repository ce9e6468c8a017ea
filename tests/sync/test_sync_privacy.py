"""'Delete all my data' revokes the sign-in and leaves nothing of the account readable on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from backend_stub.server import StubServer
from studio.config import AppPaths
from studio.sync.engine import SyncEngine
from studio.sync.tokens import vault_key


def _bytes_of(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_delete_all_my_data_scrubs_rows_files_and_tokens(
    make_engine: Callable[..., SyncEngine], stub: StubServer, paths: AppPaths
) -> None:
    engine = make_engine()
    account = engine.sign_in_demo()
    engine.run_once()
    assert engine.store is not None and engine.tokens is not None
    [synced] = engine.accounts()
    titles = [r["title"] for r in engine.store.video_rows(account.id)]
    ids = [r["video_id"] for r in engine.store.video_rows(account.id)]
    tokens = engine.tokens.load(account.id)
    assert tokens is not None and titles and Path(synced.avatar_file).is_file()
    markers = [account.open_id, "Demo Creator", "demo.creator", *ids[:5], *titles[:5]]
    sync_dir = paths.data / "sync"
    assert all(m.encode() in _bytes_of(sync_dir) for m in markers[:3])

    assert engine.delete_account_data(account.id) is None

    assert engine.accounts() == []
    assert not Path(synced.avatar_file).exists()
    assert engine.vault.get(vault_key(account.id)) is None
    on_disk = _bytes_of(sync_dir) + _bytes_of(paths.cache)
    for marker in markers:
        assert marker.encode() not in on_disk, marker
    assert engine.store.readers.get().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with httpx.Client(base_url=stub.base_url, trust_env=False) as http:
        answer = http.get(
            "/v2/user/info/",
            params={"fields": "open_id"},
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
    assert answer.status_code == 401  # revoked at the platform too
