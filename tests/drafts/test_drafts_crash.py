"""Kill an autosaving process with SIGKILL at random moments; nothing committed may be lost."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.drafts.recovery import SessionLock, lock_is_live
from studio.drafts.schema import content_hash
from studio.drafts.store import DraftStore

CHILD = Path(__file__).with_name("crash_child.py")
ROUNDS = 100

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def _spawn(db: Path, draft_id: int, run: int, data_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(draft_id), str(run), str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _newest(db: Path, draft_id: int) -> tuple[str, tuple[int, str, str] | None]:
    conn = sqlite3.connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        row = conn.execute(
            "SELECT id, content, content_hash FROM revisions WHERE draft_id = ? ORDER BY id DESC LIMIT 1",
            (draft_id,),
        ).fetchone()
    finally:
        conn.close()
    return integrity, row


def test_sigkill_at_random_moments_keeps_every_committed_revision(tmp_path: Path) -> None:
    db = tmp_path / "drafts.sqlite3"
    doc = {
        "schema_version": 1,
        "title": "crash",
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "tracks": [{"kind": "video", "clips": []}],
    }
    with DraftStore(db) as store:
        draft_id = store.create_draft(doc)
    rng = random.Random(20261125)
    last_committed: tuple[int, str] | None = None
    # Hashes announced ("pending") since the last reported commit. A kill during COMMIT leaves
    # that transaction in doubt: SQLite's WAL recovery may find it complete when the next
    # connection opens the file, so it can surface one round later — but only that one.
    in_doubt: set[str] = set()
    newest_seen = 0
    kills_mid_loop = 0
    child = _spawn(db, draft_id, 0, tmp_path)
    for run in range(ROUNDS):
        upcoming = _spawn(db, draft_id, run + 1, tmp_path) if run + 1 < ROUNDS else None
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        if rng.random() < 0.85:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.03))
            kills_mid_loop += 1
        else:
            time.sleep(rng.uniform(0.0, 0.05))
        child.send_signal(signal.SIGKILL)
        output = child.stdout.read()  # not communicate(): it would skip what readline() buffered
        child.wait()
        child.stdin.close()
        child.stdout.close()
        for line in output.splitlines():
            parts = line.split()
            if parts[:1] == ["committed"] and parts[1] != "None":
                last_committed = (int(parts[1]), parts[2])
                in_doubt.clear()
            elif parts[:1] == ["pending"]:
                in_doubt.add(parts[1])

        integrity, newest = _newest(db, draft_id)
        assert integrity == "ok", f"run {run}: {integrity}"
        assert newest is not None
        rev_id, content, stored_hash = newest
        assert content_hash(content) == stored_hash, f"run {run}: revision {rev_id} is damaged"
        assert json.loads(content)["tracks"][0]["kind"] == "video"
        assert rev_id >= newest_seen, f"run {run}: revision {newest_seen} disappeared"
        newest_seen = rev_id
        if last_committed is not None:
            if rev_id == last_committed[0]:
                assert stored_hash == last_committed[1]
            else:
                assert rev_id > last_committed[0], f"run {run}: lost committed revision {last_committed[0]}"
                assert stored_hash in in_doubt, f"run {run}: revision {rev_id} was never announced"
                last_committed = (rev_id, stored_hash)
                in_doubt.clear()
        lock = SessionLock(tmp_path).read()
        assert lock is None or not lock_is_live(lock), "a killed session must not look alive"
        if upcoming is None:
            break
        child = upcoming
    assert last_committed is not None and kills_mid_loop > 50
    with DraftStore(db) as store:
        assert store.get_project_doc(draft_id, last_committed[0])["tracks"][0]["kind"] == "video"
        assert store.integrity_check() == ["ok"]
