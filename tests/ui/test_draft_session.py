"""The editor and the drafts store together: autosave after an edit, recovery after a crash,
opening a draft, restoring an older revision."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading

import pytest
from pytestqt.qtbot import QtBot

from studio.core.edits import AddTrack, History, SetParam
from studio.drafts import recovery as rec
from studio.ui.drafts import session as draft_session
from studio.ui.drafts.recovery_dialog import RecoveryDialog
from studio.ui.editor.window.main_window import MainWindow
from studio.ui.editor.window.project_files import new_project

pytestmark = pytest.mark.gui


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _autosaves(store, draft_id: int) -> list:  # type: ignore[no-untyped-def]
    return [r for r in store.revisions(draft_id) if r.kind == "autosave"]


def _last_autosave(store, draft_id: int) -> dict:  # type: ignore[no-untyped-def]
    saves = _autosaves(store, draft_id)
    return store.get_project_doc(draft_id, max(saves, key=lambda r: r.id).id) if saves else {}


def test_an_edit_is_autosaved_within_two_seconds(qtbot: QtBot, studio_window: MainWindow) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        assert session.draft_id is None  # an untouched new project stores nothing
        studio_window.timeline_model.do(AddTrack("text"))
        studio_window.timeline_model.do(SetParam("project", "title", "Morning run"))
        # the promise is a design figure (debounce + snapshot delay), not a stopwatch reading
        assert draft_session.AUTOSAVE_DEBOUNCE_S + draft_session.SNAPSHOT_DELAY_MS / 1000 <= 2.0
        qtbot.waitUntil(
            lambda: session.draft_id is not None and bool(_autosaves(session.store, session.draft_id)),
            timeout=10000,
        )
        assert (
            session.autosaver is not None and session.autosaver.debounce == draft_session.AUTOSAVE_DEBOUNCE_S
        )
        assert session.store.count_drafts() == 1  # created once, though the second edit came meanwhile
        stored = session.store.get_project_doc(
            session.draft_id, _autosaves(session.store, session.draft_id)[0].id
        )
        assert stored["title"] == "Morning run"
        assert stored == json.loads(json.dumps(studio_window.project.to_dict()))
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_after_a_crash_the_autosave_is_offered_and_restored(
    qtbot: QtBot, studio_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.drafts import open_store

    store = open_store(studio_window.paths)
    draft_id = store.create_draft({"schema_version": 2, "title": "Saved", "tracks": []})
    store.autosave(draft_id, {"schema_version": 2, "title": "Unsaved when it crashed", "tracks": []})
    store.close()
    (studio_window.paths.data / rec.LOCK_NAME).write_text(
        json.dumps(
            {"pid": _dead_pid(), "start_time": 1.0, "hostname": socket.gethostname(), "created_at": 1.0}
        )
    )
    shown: list[str] = []

    def click_restore(dialog: RecoveryDialog) -> int:
        shown.append(dialog.windowTitle())
        dialog.restore_button.click()
        return 1

    monkeypatch.setattr(RecoveryDialog, "exec", click_restore)
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        assert len(shown) == 1
        qtbot.waitUntil(lambda: session.draft_id == draft_id, timeout=10000)  # opened in the background
        assert studio_window.project.title == "Unsaved when it crashed"
        assert session.store.get_project_doc(draft_id)["title"] == "Unsaved when it crashed"
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_the_drafts_menu_opens_a_draft_and_a_revision_can_be_restored(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None
    try:
        store = session.store
        draft_id = store.create_draft({"schema_version": 2, "title": "First cut", "tracks": []})
        store.save(draft_id, {"schema_version": 2, "title": "Second cut", "tracks": []})
        session.drafts_action.trigger()
        browser = session._browser.browser  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: not browser.model.loading and browser.model.rowCount() == 1, timeout=10000)
        first = min(store.revisions(draft_id), key=lambda r: r.id)
        store.restore_revision(draft_id, first.id)  # what the history dialog's "Restore" does
        with qtbot.waitSignal(session.draftOpened, timeout=10000) as opened:
            browser.openRequested.emit(draft_id)
        assert opened.args == [draft_id]
        assert studio_window.project.title == "First cut"
        qtbot.waitUntil(lambda: not session._browser.isVisible(), timeout=10000)  # type: ignore[union-attr]
        assert session.draft_id == draft_id
        studio_window.timeline_model.do(SetParam("project", "title", "Third cut"))
        qtbot.waitUntil(lambda: bool(_autosaves(store, draft_id)), timeout=5000)
        assert store.get_project_doc(draft_id, _autosaves(store, draft_id)[0].id)["title"] == "Third cut"
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_a_recorded_take_joins_the_media_library_once(
    qtbot: QtBot, studio_window: MainWindow, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    session, lock = draft_session.start(studio_window)
    assert session is not None
    try:
        take = tmp_path / "voiceover-1.wav"
        take.write_bytes(b"RIFF" + bytes(4000))
        studio_window.mediaCreated.emit(str(take))
        studio_window.mediaCreated.emit(str(take))
        qtbot.waitUntil(lambda: session.store.media.find_by_path(take) is not None, timeout=5000)
        qtbot.wait(200)
        assert len(session.store.media.items()) == 1
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_saving_while_the_first_edit_creates_the_draft_stores_one_draft_and_its_save(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        studio_window.timeline_model.do(SetParam("project", "title", "Quick save"))
        studio_window.projectSaved.emit()  # File > Save before the draft's id came back
        assert session.draft_id is None  # the draft is being created in the background
        with qtbot.waitSignal(session.draftCreated, timeout=10000) as created:
            pass
        draft_id = created.args[0]
        assert session.draft_id == draft_id and session.autosaver is not None
        qtbot.waitUntil(
            lambda: any(r.kind == "save" for r in session.store.revisions(draft_id)), timeout=10000
        )
        assert session.store.count_drafts() == 1
        assert session.store.get_project_doc(draft_id)["title"] == "Quick save"
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_a_draft_that_cannot_be_read_says_so_and_keeps_the_project(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    try:
        before = studio_window.project
        handle = session.open_draft(9999)
        qtbot.waitUntil(lambda: handle.finished, timeout=10000)
        qtbot.waitUntil(
            lambda: studio_window.statusBar().currentMessage().startswith("Cannot open the draft"),
            timeout=10000,
        )
        assert studio_window.project is before and session.draft_id is None
    finally:
        session.close()
        session.store.close()
        lock.release()  # type: ignore[attr-defined]


def test_switching_projects_saves_the_draft_left_behind_without_waiting_for_the_disk(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    """The last edit of the draft being left is saved with that draft's own document, and the
    switch does not wait for the save: here the disk is held until the new project is showing."""
    session, lock = draft_session.start(studio_window)
    assert session is not None and lock is not None
    store = session.store
    held, entered = threading.Event(), threading.Event()
    real_autosave = store.autosave

    def slow_disk(draft_id: int, doc: object) -> int | None:
        entered.set()
        held.wait(20)  # a safety net only: the test releases it
        return real_autosave(draft_id, doc)

    try:
        studio_window.timeline_model.do(SetParam("project", "title", "First words"))
        qtbot.waitUntil(
            lambda: session.draft_id is not None and bool(_autosaves(store, session.draft_id)), timeout=10000
        )
        left = session.draft_id
        assert left is not None
        store.autosave = slow_disk  # type: ignore[method-assign]
        studio_window.timeline_model.do(
            SetParam("project", "title", "Last words")
        )  # within 100 ms of leaving
        studio_window.set_history(History(new_project()), None)  # what File > New / Open does
        assert not held.is_set()  # the GUI thread came back while the old draft's save is held
        assert session.draft_id is None and studio_window.project.title != "Last words"
        studio_window.timeline_model.do(SetParam("project", "title", "Another video"))
        qtbot.waitUntil(entered.is_set, timeout=10000)
        held.set()
        qtbot.waitUntil(lambda: _last_autosave(store, left)["title"] == "Last words", timeout=10000)
        qtbot.waitUntil(lambda: session.draft_id is not None and session.draft_id != left, timeout=10000)
        session.close()  # quitting waits for every save still running
        assert _last_autosave(store, left)["title"] == "Last words"
        assert _last_autosave(store, session.draft_id)["title"] == "Another video"
        assert store.count_drafts() == 2
    finally:
        held.set()
        session.close()
        store.close()
        lock.release()  # type: ignore[attr-defined]
