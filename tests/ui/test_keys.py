"""Keyboard habits: J/K/L shuttle, Home/End, I/O marks, the editor layout kept between runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Canvas, Project, Track, VideoClip
from studio.ui.editor.window.main_window import MainWindow


def test_jkl_shuttle_and_home_end(qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]) -> None:
    window = studio_window
    project = Project(
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("v", "video", clips=[VideoClip("c", str(ui_media["clip"]), 0.0, 2.0, 0.0)])],
    )
    window.set_history(History(project), None)
    player = window.player
    qtbot.waitUntil(lambda: player.info is not None and player.current_index == 0, timeout=20000)
    window.activateWindow()

    qtbot.keyClick(window, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: player.is_playing and player.current_index >= 3, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert player.rate == 2.0
    qtbot.keyClick(window, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: not player.is_playing, timeout=5000)
    assert player.rate == 1.0

    qtbot.keyClick(window, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: player.current_index == player.frame_count - 1, timeout=10000)
    seen: list[int] = []
    player.frameShown.connect(lambda i, _t: seen.append(i))
    qtbot.keyClick(window, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: len(seen) >= 4, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert seen == sorted(seen, reverse=True) and seen[-1] < player.frame_count - 1  # backwards
    assert window.timeline.view.playhead < 2.0

    qtbot.keyClick(window, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: player.current_index == 0, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_I)
    window.timeline.view.move_playhead(1.0)
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert (window.timeline.view.mark_in, window.timeline.view.mark_out) == (0.0, pytest.approx(1.0))


def test_editor_layout_is_restored(qtbot: QtBot) -> None:
    first = MainWindow()
    first.confirm_unsaved = False
    qtbot.addWidget(first)
    first.show()
    first.vsplitter.setSizes([400, 300])
    sizes = first.vsplitter.sizes()
    first.close()
    second = MainWindow()
    second.confirm_unsaved = False
    qtbot.addWidget(second)
    second.restore_layout()
    second.show()
    assert second.vsplitter.sizes() == sizes
    second.close()
