"""Session lock and crash recovery: a dead owner is detected; nothing changes without a choice."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from drafts_docs import project

from studio.drafts import DraftStore
from studio.drafts import recovery as rec


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_stale_lock(data_dir: Path) -> None:
    (data_dir / rec.LOCK_NAME).write_text(
        json.dumps(
            {"pid": _dead_pid(), "start_time": 1.0, "hostname": socket.gethostname(), "created_at": 1.0}
        )
    )


def test_lock_of_a_dead_process_is_stale_and_live_one_is_busy(tmp_path: Path) -> None:
    write_stale_lock(tmp_path)
    lock = rec.SessionLock(tmp_path)
    stale = lock.acquire()
    assert stale is not None and not rec.lock_is_live(stale)
    mine = lock.read()
    assert mine is not None and mine.pid == os.getpid() and rec.lock_is_live(mine)
    # a second app instance (another pid) must not take over a live session
    other = {
        "pid": os.getppid(),
        "start_time": rec.process_start_time(os.getppid()),
        "hostname": socket.gethostname(),
        "created_at": 1.0,
    }
    (tmp_path / rec.LOCK_NAME).write_text(json.dumps(other))
    with pytest.raises(rec.SessionBusy, match="already running"):
        rec.SessionLock(tmp_path).acquire()
    lock.path.write_text(json.dumps({**other, "pid": os.getpid()}))
    lock.release()
    assert not lock.path.exists()
    assert rec.SessionLock(tmp_path).acquire() is None  # clean exit: nothing to recover


def test_recovery_offer_shows_what_differs(tmp_path: Path) -> None:
    with DraftStore(tmp_path / "d.sqlite3") as store:
        draft_id = store.create_draft(project("Saved title"))
        store.autosave(draft_id, project("Crashed title", clips=2))
        [offer] = rec.recovery_offers(store)
        changes = {c.what: (c.before, c.after) for c in offer.changes}
        assert changes["Title"] == ("Saved title", "Crashed title")
        assert changes["Clips and text items"] == ("4", "6")
        assert changes["Duration"] == ("0:08.0", "0:11.0")
        assert "Tracks" not in changes
        assert '-  "title": "Saved title"' in offer.diff and '+  "title": "Crashed title"' in offer.diff


@pytest.mark.parametrize("choice", ["restore", "keep_both", "discard"])
def test_each_choice_keeps_every_version(tmp_path: Path, choice: str) -> None:
    with DraftStore(tmp_path / "d.sqlite3") as store:
        draft_id = store.create_draft(project("Saved"))
        autosave = store.autosave(draft_id, project("Unsaved work", clips=1))
        [offer] = rec.recovery_offers(store)
        if choice == "restore":
            rec.restore(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Unsaved work"
            assert store.count_drafts() == 1
        elif choice == "keep_both":
            new_id = rec.keep_both(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Saved"
            assert store.get_project_doc(new_id) == {
                **project("Unsaved work", clips=1),
                "title": "Unsaved work (recovered)",
            }
        else:
            rec.discard(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Saved"
        assert rec.recovery_offers(store) == []
        assert store.get_project_doc(draft_id, autosave)["title"] == "Unsaved work"
