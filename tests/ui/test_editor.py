"""The editor window: build a project with the mouse, undo it all, save/open, preview the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.config import app_paths, load_settings
from studio.ui.editor.player import safe_area_rects
from studio.ui.editor.window.main_window import MainWindow
from tests.ui.test_timeline import drag, point

LEFT = Qt.MouseButton.LeftButton


def import_ready(qtbot: QtBot, window: MainWindow, *clips: Path) -> None:
    window.import_files([str(c) for c in clips])
    qtbot.waitUntil(
        lambda: all((e := window.bin.entry(c)) is not None and e.state == "ready" for c in clips),
        timeout=20000,
    )


def drop_on_timeline(window: MainWindow, paths: list[Path], pos: QPoint) -> None:
    view = window.timeline.view
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPoint(pos), actions, mime, LEFT, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), actions, mime, LEFT, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, drop)


def bin_drag_mime(window: MainWindow, clip: Path) -> QMimeData:
    item = window.bin.item(clip)
    return window.bin.list.mimeData([item])


def test_build_with_the_mouse_then_undo_everything_and_redo(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    window = studio_window
    clip, second = ui_media["clip"], ui_media["second"]
    import_ready(qtbot, window, clip, second)
    assert bin_drag_mime(window, clip).urls()[0].toLocalFile() == str(clip)  # the bin drags file URLs

    view = window.timeline.view
    view.pps = 100.0
    drop_on_timeline(window, [clip, second], QPoint(round(view.time_to_x(0.0)) + 1, 60))
    qtbot.waitUntil(
        lambda: len(window.project.video_tracks()) == 1 and len(window.project.video_tracks()[0].clips) == 2
    )
    track = window.project.video_tracks()[0]
    first, other = sorted(track.clips, key=lambda c: c.start)
    assert (first.source, other.source) == (str(clip), str(second))
    assert other.start == pytest.approx(first.end)  # laid end to end
    assert window.history.labels == ["Add clips"]

    # free placement on the main track: Edit > Magnetic Main Track off
    magnetic = next(a for a in window.menus["edit"].actions() if a.text() == "&Magnetic Main Track")
    assert magnetic.isChecked()
    magnetic.trigger()
    assert not magnetic.isChecked() and not window.timeline_model.magnetic
    drag(qtbot, view, point(view, other.start + 0.5, track.id), point(view, other.start + 1.5, track.id))
    assert other.start == pytest.approx(3.0, abs=0.02)
    y = point(view, 0, track.id).y()
    drag(qtbot, view, QPoint(round(view.time_to_x(first.end)) - 2, y), QPoint(round(view.time_to_x(1.2)), y))
    assert first.end == pytest.approx(1.2, abs=0.02)
    view.move_playhead(0.5)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_S)
    assert len(track.clips) == 3
    assert window.history.labels == ["Add clips", "Move clip", "Trim clip", "Split clip"]

    # the Edit menu lists the history, newest first
    window._fill_history()
    assert [a.text() for a in window.history_menu.actions()] == [
        "Split clip",
        "Trim clip",
        "Move clip",
        "Add clips",
    ]
    assert window.undo_action.text() == "&Undo Split clip"

    window.activateWindow()
    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.project.tracks == [] and not window.history.can_undo
    for _ in range(4):
        qtbot.keyClick(
            window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    track = window.project.video_tracks()[0]
    assert sorted(round(c.start, 2) for c in track.clips) == [0.0, 0.5, 3.0]


def test_quick_video_and_the_project_preview_with_safe_area(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    window = studio_window
    clip, second = ui_media["clip"], ui_media["second"]
    import_ready(qtbot, window, clip, second)
    window.bin.list.selectAll()
    assert window.quick_action.isEnabled()
    window.quick_action.trigger()
    project = window.project
    assert (project.canvas.width, project.canvas.height) == (1080, 1920)
    clips = project.video_tracks()[0].clips
    assert [c.source for c in clips] == [str(clip), str(second)] and all(c.fit == "fill" for c in clips)
    assert project.duration == pytest.approx(3.0, abs=0.05)
    assert window.history.labels == ["Quick video"]

    player = window.player
    qtbot.waitUntil(
        lambda: player.info is not None and player.frame_count == 90 and player.current_index >= 0,
        timeout=20000,
    )
    assert player.view.safe_area
    image = player.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    frame = player.view.image_rect()
    for band in safe_area_rects(frame):  # top, bottom, right column: translucent red guides
        c = image.pixelColor(band.center())
        assert c.red() > c.blue() + 20, band
    window.safe_area_action.setChecked(False)
    plain = player.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    assert plain.pixelColor(frame.center()) == image.pixelColor(frame.center())  # the middle is left clear
    top = safe_area_rects(frame)[0].center()
    assert plain.pixelColor(top) != image.pixelColor(top)

    # paused frames are drawn again at full size
    qtbot.waitUntil(lambda: window.source.last_scale == 1.0, timeout=10000)
    window.timeline.view.move_playhead(2.0)
    qtbot.waitUntil(lambda: player.current_index == 60, timeout=10000)
    assert window.timeline.view.playhead == pytest.approx(2.0)


def test_save_open_and_recent_projects(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    window = studio_window
    import_ready(qtbot, window, ui_media["clip"])
    window.bin.list.selectAll()
    window.quick_video()
    path = tmp_path / "my project.json"
    assert window.save_project_as(path)
    assert path.is_file() and not window.history.is_dirty
    assert "my project.json" in window.windowTitle() and not window.windowTitle().startswith("*")
    saved = window.project.to_dict()

    window.new_project()
    assert window.project.tracks == [] and window.project_path is None
    assert load_settings(app_paths()).recent_projects[0] == str(path)
    window._fill_recent()
    recent = window.recent_menu.actions()[0]
    assert recent.text() == "my project.json"
    recent.trigger()
    assert window.project_path == path
    assert window.project.to_dict() == saved

    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    from PySide6.QtWidgets import QMessageBox

    warnings: list[str] = []
    original = QMessageBox.warning
    QMessageBox.warning = lambda *a, **k: warnings.append(a[2])  # type: ignore[method-assign]
    try:
        assert not window.open_project(bad)
    finally:
        QMessageBox.warning = original  # type: ignore[method-assign]
    assert "not valid JSON" in warnings[0] and window.project_path == path


def test_editor_screenshot(qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path) -> None:
    """docs/images/editor.png: the editor with a loaded project (thumbnails, text, audio, guides)."""
    from studio.core.captions import CAPTION_STYLE
    from studio.core.edits import History
    from studio.core.project import AudioClip, Canvas, Project, TextItem, Track, VideoClip
    from tests.media.fixtures import make_audio
    from tests.ui.test_screenshot import BOTTOM, TOP, make_showcase_clip

    intro = make_showcase_clip(tmp_path / "sunset-intro.mp4", "Golden hour", TOP, BOTTOM)
    city = make_showcase_clip(tmp_path / "city-walk.mp4", "City walk", (64, 120, 230), (150, 220, 255))
    song = make_audio(tmp_path / "beat.m4a", 3.0, tone_hz=220.0)
    video = Track("v1", "video", name="Video", clips=[
        VideoClip("c1", str(intro), 0.0, 1.5, 0.0), VideoClip("c2", str(city), 0.0, 1.5, 1.5),
    ])  # fmt: skip
    text = Track(
        "t1",
        "text",
        name="Text",
        items=[TextItem("t1", "Golden hour vibes", 0.2, 2.6, style=CAPTION_STYLE, position=(0.5, 0.45))],
    )
    audio = Track("a1", "audio", name="Music", clips=[AudioClip("m1", str(song), 0.0, 3.0, 0.0)])
    project = Project(title="Sunset reel", canvas=Canvas(1080, 1920, 30.0), tracks=[video, text, audio])
    project.extra["markers"] = [1.5]

    window = MainWindow()
    window.confirm_unsaved = False
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.import_files([str(intro), str(city), str(song)])
    window.set_history(History(project), tmp_path / "sunset-reel.json")
    window.timeline.view.select(["c2"])
    qtbot.waitUntil(lambda: not window.bin.busy, timeout=20000)
    window.timeline.view.move_playhead(0.9)
    qtbot.waitUntil(
        lambda: window.player.current_index == 27 and window.source.last_scale == 1.0, timeout=20000
    )
    view = window.timeline.view
    qtbot.waitUntil(
        lambda: len(window.thumbnails) >= 2 and window.waveforms.get(str(song)) is not None, timeout=20000
    )
    qtbot.wait(200)
    image = window.grab().toImage()
    from tests.ui.test_screenshot import REFRESH_DOCS, ROOT

    out = ROOT / "docs" / "images" / "editor.png" if REFRESH_DOCS else tmp_path / "editor.png"
    assert image.save(str(out), "PNG")
    # the timeline shows picture thumbnails (the warm sunset colours) under the player
    timeline_top = window.timeline.mapTo(window, QPoint(0, 0)).y()
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())[
        :, : rgb.width() * 3
    ]
    arr = arr.reshape(rgb.height(), rgb.width(), 3)[timeline_top:]
    warm = (arr[..., 0] > 200) & (arr[..., 1] > 70) & (arr[..., 1] < 210) & (arr[..., 2] < 140)
    assert warm.sum() > 200
    assert view.model.markers == [1.5]
    window.close()
