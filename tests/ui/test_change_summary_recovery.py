"""A real crash mid-edit: a child process holding the profile adds a text item, autosaves and is
killed. The next start offers the autosave in words ("added text …"), with the JSON diff only
behind Details, and Restore makes it the draft's version, so the text is back when it opens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core import Project
from studio.core.edits import History
from studio.drafts import open_store
from studio.ui.drafts.recovery_dialog import RecoveryDialog, start_drafts_session
from studio.ui.editor.window.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]

EDITOR = textwrap.dedent(
    """
    import sys
    from studio.config import app_paths
    from studio.core import Project, TextItem
    from studio.core.edits import AddClip, History
    from studio.drafts import open_store
    from studio.drafts.recovery import SessionLock

    paths = app_paths().ensure()
    lock = SessionLock(paths.data)
    lock.acquire()
    store = open_store(paths)
    saved = {"schema_version": 2, "title": "Morning run", "tracks": [
        {"id": "t1", "kind": "text", "items": [{"id": "x1", "text": "Hello", "start": 0.0, "end": 2.0}]}]}
    draft_id = store.create_draft(saved)
    history = History(Project.from_dict(saved))
    history.do(AddClip("t1", TextItem("x2", "Your text", 1.0, 3.0)))
    store.autosave(draft_id, history.project.to_dict())
    print(draft_id, flush=True)
    sys.stdin.readline()
    """
)


def _crash_mid_edit() -> int:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", EDITOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    draft_id = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    return draft_id


def test_recovery_after_a_crash_says_added_text_and_restore_brings_it_back(
    qtbot: QtBot, studio_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = _crash_mid_edit()
    seen: dict[str, object] = {}

    def look_then_restore(dialog: RecoveryDialog) -> int:
        view = dialog.summary_view
        seen["sentences"] = view.sentences.text()
        seen["kinds"] = dialog.summary.kinds if dialog.summary else None
        seen["details_hidden"] = view.details.isHidden()
        qtbot.mouseClick(view.details_button, Qt.MouseButton.LeftButton)
        seen["details_shown"] = not view.details.isHidden()
        seen["diff"] = view.diff.toPlainText()
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
        return 1

    monkeypatch.setattr(RecoveryDialog, "exec", look_then_restore)
    store = open_store(studio_window.paths)
    lock, dialogs = start_drafts_session(store, studio_window.paths, studio_window)
    assert lock is not None
    try:
        assert seen["sentences"] == "• added text 'Your text' at 0:01"
        assert seen["kinds"] == {"text.added"}
        assert '"id"' not in str(seen["sentences"])
        assert seen["details_hidden"] and seen["details_shown"]
        assert '+          "text": "Your text"' in str(seen["diff"])
        [dialog] = dialogs
        assert dialog.outcome == RecoveryDialog.RESTORED and dialog.draft_to_open == draft_id
        restored = Project.from_dict(store.get_project_doc(draft_id))
        studio_window.set_history(History(restored), None)  # what opening the draft does
        texts = [item.text for track in studio_window.project.text_tracks() for item in track.items]
        assert texts == ["Hello", "Your text"]
    finally:
        store.close()
        lock.release()
