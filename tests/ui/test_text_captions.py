"""Text at the playhead (T), editing it over the preview, SRT import and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Canvas, Project, Track, VideoClip
from studio.ui.editor.window.main_window import MainWindow

SRT = """1
00:00:00,000 --> 00:00:01,200
Hello creators

2
00:00:01,500 --> 00:00:02,750
Second line
"""


def loaded(qtbot: QtBot, window: MainWindow, clip: Path) -> MainWindow:
    project = Project(
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("v", "video", clips=[VideoClip("c", str(clip), 0.0, 2.0, 0.0)])],
    )
    window.set_history(History(project), None)
    qtbot.waitUntil(
        lambda: window.player.info is not None and window.player.current_index >= 0, timeout=20000
    )
    return window


def test_t_adds_text_and_double_click_edits_it_on_the_preview(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    window = loaded(qtbot, studio_window, ui_media["clip"])
    window.timeline.view.move_playhead(0.5)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_T)
    items = window.project.text_tracks()[0].items
    assert len(items) == 1 and items[0].start == pytest.approx(0.5)
    assert window.timeline.view.selection == [items[0].id]
    assert window.inspector.title.text() == "<b>Text</b>"

    qtbot.waitUntil(lambda: not window.player.view.image_rect().isEmpty(), timeout=10000)
    qtbot.mouseDClick(
        window.player.view, Qt.MouseButton.LeftButton, pos=window.player.view.image_rect().center()
    )
    editor = window.inline_text
    assert editor.isVisible() and editor.text() == "Your text"
    editor.setText("Big news")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert not editor.isVisible()
    assert window.project.text_tracks()[0].items[0].text == "Big news"
    assert window.history.labels[-2:] == ["Add text", "Edit text"]
    window.history.undo()
    assert window.project.text_tracks()[0].items[0].text == "Your text"


def test_srt_import_and_export_round_trip(
    qtbot: QtBot,
    studio_window: MainWindow,
    ui_media: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = loaded(qtbot, studio_window, ui_media["clip"])
    source = tmp_path / "talk.srt"
    source.write_text(SRT, encoding="utf-8")
    assert window.import_srt(source)
    track = window.project.text_tracks()[0]
    assert [(i.text, i.start, i.end) for i in track.items] == [
        ("Hello creators", 0.0, 1.2),
        ("Second line", 1.5, 2.75),
    ]
    assert window.history.labels[-1] == "Import captions"
    out = tmp_path / "out.srt"
    assert window.export_srt(out)
    assert out.read_text(encoding="utf-8").strip() == SRT.strip()

    bad = tmp_path / "bad.srt"
    bad.write_text("this is not\nsubtitles at all\n", encoding="utf-8")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    before = len(window.history.labels)
    assert not window.import_srt(bad)
    assert warned and "SRT" in warned[0] and len(window.history.labels) == before
