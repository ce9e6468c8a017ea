"""Versions in pictures after a real crash: the recovery dialog shows a filmstrip of the saved
version and one of the autosave, rendered in the background at the same moments; the frames
differ exactly where the text item was added, and Restore still works."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.drafts import open_store
from studio.render.filmstrip import strip_times
from studio.ui.drafts.recovery_dialog import RecoveryDialog, start_drafts_session
from studio.ui.editor.window.main_window import MainWindow
from tests.ui.test_change_summary_recovery import _crash_mid_edit

pytestmark = [pytest.mark.gui, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]


def _differs(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    assert a is not None and b is not None
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max()) > 40


def test_recovery_shows_two_filmstrips_that_differ_where_the_text_was_added(
    qtbot: QtBot, studio_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = _crash_mid_edit()  # saved: "Hello" 0-2 s; autosave adds "Your text" 1-3 s
    seen: dict[str, object] = {}

    def look_then_restore(dialog: RecoveryDialog) -> int:
        dialog.show()
        first, second = dialog.strips
        assert not dialog.comparison.is_loaded  # rendered in the background, not in the constructor
        qtbot.waitUntil(lambda: dialog.comparison.is_loaded, timeout=30000)
        seen["times"] = (list(first.times), list(second.times))
        seen["frames"] = (list(first.frames), list(second.frames))
        seen["captions"] = (first.caption.text(), second.caption.text())
        seen["visible"] = first.isVisible() and second.isVisible() and dialog.summary_view.isVisible()
        layout = dialog.comparison.layout()
        seen["order"] = [layout.itemAt(i).widget() for i in range(layout.count())]
        seen["summary"] = dialog.summary_view
        seen["strips"] = (first, second)
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
        return 1

    monkeypatch.setattr(RecoveryDialog, "exec", look_then_restore)
    store = open_store(studio_window.paths)
    lock, dialogs = start_drafts_session(store, studio_window.paths, studio_window)
    assert lock is not None
    try:
        times = strip_times(3.0)
        assert seen["times"] == (times, times)  # the same moments, over the longer version
        saved, autosave = seen["frames"]  # type: ignore[misc]
        assert seen["visible"] and seen["captions"] == ("Saved · 0:02.0", "Autosave · 0:03.0")
        first, second = seen["strips"]  # type: ignore[misc]
        assert seen["order"] == [first, seen["summary"], second]  # the summary between the strips
        for t, a, b in zip(times, saved, autosave, strict=True):
            if t < 1.0:  # before the new text: the same picture
                assert a is not None and b is not None and not _differs(a, b), t
            elif t < 2.0:  # both versions, the autosave with "Your text" over it
                assert _differs(a, b), t
            else:  # past the saved version's end: no frame; the autosave still shows its text
                assert a is None and b is not None and b.max() > 100, t
        [dialog] = dialogs
        assert dialog.outcome == RecoveryDialog.RESTORED and dialog.draft_to_open == draft_id
        texts = [i["text"] for t in store.get_project_doc(draft_id)["tracks"] for i in t["items"]]
        assert texts == ["Hello", "Your text"]
        cached = list((store.cache_dir / "filmstrips").glob("*.npz"))
        assert len(cached) == 2  # both strips kept on disk for the next time
    finally:
        store.close()
        lock.release()
