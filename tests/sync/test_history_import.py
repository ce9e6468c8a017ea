"""A creator's history from an old computer's profile merges into this one, and bad files are refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from studio.cli import main as cli_main
from studio.config import app_paths
from studio.sync import rollup
from studio.sync.engine import SyncEngine
from studio.sync.history import HistoryImportError, import_history
from studio.sync.store import SyncStore

DAY = 86_400


def _snapshots(store: SyncStore) -> set[tuple[object, ...]]:
    rows = store.readers.get().execute(
        "SELECT v.create_time, s.video_id, s.observed_at, s.source, s.view_count, s.like_count,"
        " s.comment_count, s.share_count FROM video_snapshots s JOIN videos v USING(account_id, video_id)"
    )
    return {tuple(r) for r in rows}


def _changes(store: SyncStore) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.readers.get().execute("SELECT * FROM view_changes ORDER BY bucket")]


def test_an_old_profiles_history_merges_into_the_new_one(
    make_engine: Callable[..., SyncEngine],
    admin: httpx.Client,
    studio_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the old computer: synced on days 0 and 2
    old = make_engine(paths=app_paths("old-laptop").ensure())
    old.sign_in_demo()
    old.run_once()
    admin.post("/_stub/clock", json={"advance_s": 2 * DAY}).raise_for_status()
    old.run_once()
    assert old.store is not None
    before_old = _snapshots(old.store)
    old_file = old.store.path
    old.close()
    # the new one: first synced on day 5
    admin.post("/_stub/clock", json={"advance_s": 3 * DAY}).raise_for_status()
    new = make_engine()
    account = new.sign_in_demo()
    new.run_once()
    assert new.store is not None
    mine = _snapshots(new.store)
    assert min(s[2] for s in mine) > max(s[2] for s in before_old)  # really nothing of the old days here

    [done] = import_history(new.store, old_file)
    assert done.account_id == account.id and not done.skipped
    merged = _snapshots(new.store)
    assert merged == mine | before_old  # every old observation arrived, unchanged, nothing else
    assert done.video_snapshots == len(before_old - mine) > 0
    changes = _changes(new.store)
    new.store.writer.call(lambda c: rollup.rebuild(c))
    assert _changes(new.store) == changes  # the rollup took the older history in correctly
    # the same import again adds nothing (and says so through the command line)
    monkeypatch.setenv("CREATOR_STUDIO_TOKEN_STORE", "file")
    assert cli_main(["sync", "--import-history", str(old_file)]) == 0
    out = capsys.readouterr().out
    assert "0 new posts, 0 post snapshots" in out
    assert _snapshots(new.store) == merged


def _store(tmp_path: Path, name: str, open_id: str) -> SyncStore:
    store = SyncStore(tmp_path / name / "sync.sqlite3")
    store.save_sign_in(
        platform_key="tiktok",
        platform_name="TikTok",
        stand_in=False,
        open_id=open_id,
        scopes=[],
        signed_in_at=1.0,
    )
    return store


def test_an_account_not_signed_in_here_is_skipped_with_a_reason(tmp_path: Path) -> None:
    other = _store(tmp_path, "other", "someone-else")
    other.record_videos(
        other.accounts()[0].id, [{"id": "v1", "create_time": 5, "view_count": 3}], 10.0, "video/list", {}
    )
    other.close()
    with _store(tmp_path, "here", "me") as here:
        [done] = import_history(here, tmp_path / "other" / "sync.sqlite3")
        assert done.skipped and "sign in to this account here first" in done.text()
        assert here.readers.get().execute("SELECT COUNT(*) FROM video_snapshots").fetchone()[0] == 0


@pytest.mark.parametrize("kind", ["missing", "not sqlite", "own file", "newer", "view", "empty sqlite"])
def test_files_that_are_not_history_are_refused_and_nothing_changes(tmp_path: Path, kind: str) -> None:
    here = _store(tmp_path, "here", "me")
    target = tmp_path / "file.sqlite3"
    if kind == "not sqlite":
        target.write_bytes(b"PK\x03\x04 this is a zip file")
    elif kind == "own file":
        target = here.path
    elif kind in ("newer", "view"):
        _store(tmp_path, "src", "me").close()
        target = tmp_path / "src" / "sync.sqlite3"
        conn = sqlite3.connect(target)
        if kind == "newer":
            conn.execute("PRAGMA user_version = 99")
        else:
            conn.execute("DROP TABLE video_totals")
            conn.execute("CREATE VIEW video_totals AS SELECT 1")
        conn.commit()
        conn.close()
    elif kind == "empty sqlite":
        sqlite3.connect(target).execute("CREATE TABLE x(y)").connection.commit()
    expect = {
        "missing": "there is no file",
        "not sqlite": "not a Creator Studio history file",
        "own file": "this profile's own history",
        "newer": "newer Creator Studio",
        "view": "missing: video_totals",
        "empty sqlite": "not a Creator Studio history file",
    }[kind]
    try:
        with pytest.raises(HistoryImportError, match=expect):
            import_history(here, target)
        attached = here.writer.call(lambda c: c.execute("PRAGMA database_list").fetchall(), transaction=False)
        assert "other" not in {row[1] for row in attached}  # detached again
        assert here.readers.get().execute("SELECT COUNT(*) FROM videos").fetchone()[0] == 0
    finally:
        here.close()
