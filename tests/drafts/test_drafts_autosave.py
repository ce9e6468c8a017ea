"""Autosave: debounced, bounded by a maximum interval, on its own thread, retried on failure."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from drafts_docs import project

from studio.drafts import DraftStore
from studio.drafts.autosave import Autosaver


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


class Editor:
    """Stands in for the editor: a document behind a lock and a count of edits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.doc = project("start")
        self.edits = 0
        self.snapshot_threads: set[str] = set()

    def edit(self) -> None:
        with self.lock:
            self.edits += 1
            self.doc = project(f"edit {self.edits}", clips=self.edits % 5)

    def snapshot(self) -> dict[str, Any]:
        self.snapshot_threads.add(threading.current_thread().name)
        with self.lock:
            return self.doc


def test_burst_of_edits_becomes_one_revision_with_the_last_state(store: DraftStore) -> None:
    draft_id = store.create_draft(project("start"))
    editor = Editor()
    saved = threading.Event()
    saver = Autosaver(store, draft_id, editor.snapshot, debounce=1.0, on_saved=lambda rev: saved.set())
    for _ in range(25):
        editor.edit()
        saver.touch()
    assert saved.wait(10)
    saver.close()
    autosaves = [r for r in store.revisions(draft_id) if r.kind == "autosave"]
    assert len(autosaves) == 1
    assert store.get_project_doc(draft_id, autosaves[0].id)["title"] == "edit 25"
    assert editor.snapshot_threads == {f"autosave-{draft_id}"}
    assert store.get_project_doc(draft_id)["title"] == "start"  # the saved head is untouched


def test_continuous_editing_is_still_saved_by_the_max_interval(store: DraftStore) -> None:
    draft_id = store.create_draft(project("start"))
    editor = Editor()
    saved = threading.Event()
    saver = Autosaver(
        store, draft_id, editor.snapshot, debounce=30.0, max_interval=0.3, on_saved=lambda rev: saved.set()
    )
    while not saved.is_set() and editor.edits < 5000:
        editor.edit()
        saver.touch()
        saved.wait(0.01)
    assert saved.is_set(), "no save while editing continuously"
    saver.close(flush=False)
    assert any(r.kind == "autosave" for r in store.revisions(draft_id))


def test_flush_saves_pending_edits_now(store: DraftStore) -> None:
    draft_id = store.create_draft(project("start"))
    editor = Editor()
    saver = Autosaver(store, draft_id, editor.snapshot, debounce=60.0)
    editor.edit()
    saver.touch()
    assert saver.dirty
    assert saver.flush()
    assert not saver.dirty
    assert store.get_project_doc(draft_id, saver.last_revision_id)["title"] == "edit 1"
    saver.close()


def test_a_failed_save_is_retried_and_reported(store: DraftStore) -> None:
    draft_id = store.create_draft(project("start"))
    editor = Editor()
    failures: list[BaseException] = []
    calls = {"n": 0}

    def flaky() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(28, "No space left on device")
        return editor.snapshot()

    saved = threading.Event()
    saver = Autosaver(
        store,
        draft_id,
        flaky,
        debounce=0.01,
        retry_after=0.05,
        on_error=failures.append,
        on_saved=lambda rev: saved.set(),
    )
    editor.edit()
    saver.touch()
    assert saved.wait(10)
    saver.close()
    assert len(failures) == 1 and "No space" in str(failures[0])
    assert store.get_project_doc(draft_id, saver.last_revision_id)["title"] == "edit 1"
