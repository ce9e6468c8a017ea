"""The editor behaves the way a creator expects, driven with the mouse and keys in the window:
Space plays the project (Source preview is an explicit mode), the main track is magnetic,
effect previews skip a black opening, the first start fills the screen, Escape closes Export."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Canvas, Project, Track, VideoClip
from studio.ui.editor.preview_mode import PROJECT, SOURCE
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import make_audio
from tests.ui.test_editor import drop_on_timeline, import_ready
from tests.ui.test_export_dialog import EXPORT_TIMEOUT_MS, small_project, start_export
from tests.ui.test_timeline import point

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def bin_point(window: MainWindow, clip: Path) -> QPoint:
    item = window.bin.item(clip)
    assert item is not None
    return window.bin.list.visualItemRect(item).center()


def double_click_bin(qtbot: QtBot, window: MainWindow, clip: Path) -> None:
    viewport = window.bin.list.viewport()
    at = bin_point(window, clip)
    qtbot.mouseClick(viewport, LEFT, NONE, at)
    qtbot.mouseDClick(viewport, LEFT, NONE, at)


def main_clips(window: MainWindow) -> list[VideoClip]:
    tracks = window.project.video_tracks()
    return sorted(tracks[0].clips, key=lambda c: c.start) if tracks else []


def test_space_plays_the_project_and_source_is_a_visible_mode(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    window, player, view = studio_window, studio_window.player, studio_window.timeline.view
    clip, second = ui_media["clip"], ui_media["second"]
    import_ready(qtbot, window, clip, second)
    double_click_bin(qtbot, window, second)  # what `creator-studio gui FILE` does at start too
    qtbot.waitUntil(lambda: player.info is not None and player.info.label == "intro.mp4", timeout=20000)

    drop_on_timeline(window, [clip, second], QPoint(round(view.time_to_x(0.0)) + 1, 60))
    qtbot.waitUntil(lambda: len(main_clips(window)) == 2, timeout=20000)
    qtbot.waitUntil(lambda: player.info is not None and player.frame_count == 90, timeout=20000)  # 3 s
    qtbot.mouseClick(window.bin.list.viewport(), LEFT, NONE, bin_point(window, clip))  # select only
    assert [e.path for e in window.bin.selected_entries()] == [str(clip)]
    qtbot.keyClick(window.bin.list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.is_playing and view.playhead > 0.3, timeout=20000)
    assert player.info.label == "Untitled"  # the project, not intro.mp4
    bar = window.preview_bar
    assert bar.mode == PROJECT and bar.project_button.isChecked() and bar.label.isVisible()
    qtbot.keyClick(window.bin.list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing, timeout=10000)

    double_click_bin(qtbot, window, clip)
    assert bar.mode == SOURCE and bar.source_button.isChecked() and bar.label.text() == "Source: dance.mp4"
    qtbot.waitUntil(lambda: player.info is not None and player.info.label == "dance.mp4", timeout=20000)
    held = view.playhead
    qtbot.keyClick(window.bin.list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.is_playing and player.current_index >= 5, timeout=20000)
    assert view.playhead == held  # the source plays; the project's playhead stays
    qtbot.keyClick(window.bin.list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing, timeout=10000)

    qtbot.mouseClick(bar.project_button, LEFT)
    assert bar.mode == PROJECT and bar.label.text() == "Project: Untitled"
    qtbot.waitUntil(lambda: player.info is not None and player.info.label == "Untitled", timeout=20000)
    qtbot.mouseClick(bar.source_button, LEFT)  # back to the bin clip that is selected
    assert bar.mode == SOURCE and "dance.mp4" in bar.label.text()
    track_id = window.project.video_tracks()[0].id
    qtbot.mouseClick(view, LEFT, NONE, point(view, 0.5, track_id))  # touching the timeline
    assert bar.mode == PROJECT
    qtbot.waitUntil(lambda: player.info is not None and player.info.label == "Untitled", timeout=20000)


def test_the_main_track_is_magnetic_and_other_tracks_place_freely(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    window, view = studio_window, studio_window.timeline.view
    clip, second = ui_media["clip"], ui_media["second"]
    song = make_audio(tmp_path / "beat.m4a", 1.0)
    import_ready(qtbot, window, clip, second, song)
    view.pps = 100.0

    drop_on_timeline(window, [clip], QPoint(round(view.time_to_x(4.5)), 60))
    qtbot.waitUntil(lambda: len(main_clips(window)) == 1, timeout=20000)
    assert main_clips(window)[0].start == 0.0  # no 4.5 s of black before it
    main = window.project.video_tracks()[0].id

    drop_on_timeline(window, [second], point(view, 4.5, main))
    qtbot.waitUntil(lambda: len(main_clips(window)) == 2, timeout=20000)
    drop_on_timeline(window, [clip], point(view, 1.8, main))  # nearest boundary: 2.0 s
    qtbot.waitUntil(lambda: len(main_clips(window)) == 3, timeout=20000)
    packed = main_clips(window)
    assert [c.source for c in packed] == [str(clip), str(clip), str(second)]
    assert [c.start for c in packed] == pytest.approx([0.0, 2.0, 4.0])  # inserted, the rest rippled
    first, middle, last = packed

    drop_on_timeline(window, [song], QPoint(round(view.time_to_x(4.5)), 60))
    qtbot.waitUntil(lambda: bool(window.project.audio_tracks()), timeout=20000)
    assert window.project.audio_tracks()[0].clips[0].start == pytest.approx(4.5)  # free placement

    qtbot.mouseClick(view, LEFT, NONE, point(view, 1.0, main))
    assert view.selection == [first.id]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [c.id for c in main_clips(window)] == [middle.id, last.id]
    assert [c.start for c in main_clips(window)] == pytest.approx([0.0, 2.0])  # the gap closed
    assert window.history.labels[-1] == "Delete clip"

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(c.id, c.start) for c in main_clips(window)] == [
        (first.id, 0.0),
        (middle.id, 2.0),
        (last.id, 4.0),
    ]
    for _ in range(2):  # the song, then the middle clip: the ripple goes back too
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(c.id, c.start) for c in main_clips(window)] == [(first.id, 0.0), (last.id, 2.0)]


def make_black_then_colour(path: Path, seconds: float = 3.0, black: float = 1.0, fps: int = 30) -> Path:
    """72x128: black for the first ``black`` seconds, then a bright orange and blue picture."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 72, 128, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18"}
        for i in range(round(seconds * fps)):
            rgb = np.zeros((128, 72, 3), np.uint8)
            if i >= black * fps:
                rgb[:64] = (240, 150, 40)
                rgb[64:] = (40, 120, 230)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def image_stats(image: QImage) -> tuple[float, float]:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    pixels = arr[:, : rgb.width() * 3].astype(np.float32)
    return float(pixels.mean()), float(pixels.std())


def test_effect_thumbnails_use_a_representative_frame_not_the_black_opening(
    qtbot: QtBot, studio_window: MainWindow, tmp_path: Path
) -> None:
    window = studio_window
    fade_in = make_black_then_colour(tmp_path / "fade-in.mp4")
    clip = VideoClip("c", str(fade_in), 0.0, 3.0, 0.0)
    project = Project(title="Fade", canvas=Canvas(360, 640, 30.0), tracks=[Track("v", "video", clips=[clip])])
    window.set_history(History(project), None)
    view = window.timeline.view
    view.pps = 100.0
    qtbot.mouseClick(view, LEFT, NONE, point(view, 1.5, "v"))
    assert view.selection == ["c"] and view.playhead == 0.0  # the clip opens on black here
    tabs = window.side_tabs
    qtbot.mouseClick(tabs.tabBar(), LEFT, NONE, tabs.tabBar().tabRect(1).center())
    panel = window.effects
    assert panel is not None
    qtbot.waitUntil(
        lambda: panel.thumbnails_ready and "sample" not in panel.thumb_source.text(), timeout=60000
    )
    stats = {fid: image_stats(image) for fid, image in panel.thumbnails.items()}
    assert len(stats) >= 4
    lit = [fid for fid, (mean, _std) in stats.items() if mean > 40]
    assert len(lit) > len(stats) // 2, stats  # not a row of black squares
    assert stats["studio.blur"][1] > 20  # the blurred picture still shows its two colours


def test_first_start_fills_the_screen_and_later_starts_restore_the_window(qtbot: QtBot) -> None:
    first = MainWindow()
    first.confirm_unsaved = False
    qtbot.addWidget(first)
    first.restore_layout()  # nothing saved yet
    first.show()
    qtbot.waitExposed(first)
    area = first.screen().availableGeometry()
    qtbot.waitUntil(lambda: first.frameGeometry().size() == area.size(), timeout=5000)
    assert first.isMaximized() and area.contains(first.geometry())

    first.showNormal()
    first.resize(700, 500)
    qtbot.waitUntil(lambda: not first.isMaximized() and first.size().width() == 700, timeout=5000)
    assert first.timeline_model.magnetic  # on at the first start
    first.timeline.view.actions_by_name["magnetic"].trigger()
    first.close()

    second = MainWindow()
    second.confirm_unsaved = False
    qtbot.addWidget(second)
    second.restore_layout()
    second.show()
    qtbot.waitExposed(second)
    qtbot.waitUntil(lambda: (second.width(), second.height()) == (700, 500), timeout=5000)
    assert not second.isMaximized()
    # the magnet stays as it was left
    assert not second.timeline_model.magnetic
    assert not second.timeline.view.actions_by_name["magnetic"].isChecked()
    second.close()


def test_escape_closes_export_but_never_cancels_a_running_export(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    window = studio_window
    window.set_history(History(small_project(ui_media["clip"])), None)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window.export_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected

    dialog = window.show_export()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    out = tmp_path / "escape.mp4"
    with qtbot.waitSignal(dialog.finished_export, timeout=EXPORT_TIMEOUT_MS) as done:
        start_export(qtbot, dialog, out)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.isVisible() and dialog.running  # still exporting, not cancelled
        assert "still running" in dialog.status.text()
    assert done.args == [True, str(out)] and out.is_file()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_source_button_without_a_bin_clip_stays_on_the_project(
    qtbot: QtBot, studio_window: MainWindow
) -> None:
    bar = studio_window.preview_bar
    qtbot.mouseClick(bar.source_button, LEFT)
    assert bar.mode == PROJECT and bar.project_button.isChecked()
    assert "Double-click a clip" in studio_window.statusBar().currentMessage()
