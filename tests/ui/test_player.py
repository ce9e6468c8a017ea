"""The preview player, driven like a user: open from the bin, play, scrub, step, keys."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.core.frame import Frame
from studio.ui.editor.playback import FrameSource
from studio.ui.editor.player import Player, format_time
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import frame_pattern, read_index

CLIP_FPS = 30.0  # the ui_media clip (tests/ui/conftest.py): 2 s at 30 fps
FRAMES = 60


def shown_index(image: QImage | None) -> int:
    """The frame index encoded in the picture the player is showing."""
    assert image is not None and not image.isNull()
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    arr = arr[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)
    return read_index(arr.astype(np.float32))


def open_clip(qtbot: QtBot, window: MainWindow, clip: Path) -> Player:
    window.import_files([str(clip)])
    qtbot.waitUntil(lambda: (e := window.bin.entry(clip)) is not None and e.state == "ready", timeout=15000)
    item = window.bin.item(clip)
    rect = window.bin.list.visualItemRect(item)
    viewport = window.bin.list.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    player = window.player
    qtbot.waitUntil(lambda: player.info is not None and player.current_index == 0, timeout=15000)
    return player


def test_double_click_loads_the_clip_and_shows_its_first_frame(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    player = open_clip(qtbot, studio_window, ui_media["clip"])
    assert player.frame_count == FRAMES
    assert shown_index(player.shown_image) == 0
    assert player.time_label.text() == "00:00.00 / 00:02.00"
    assert "dance.mp4" in player.title_label.text()
    assert player.play_button.isEnabled()


def test_play_advances_frames_and_pictures(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    player = open_clip(qtbot, studio_window, ui_media["clip"])
    first = player.shown_image
    seen: list[tuple[int, float]] = []
    player.frameShown.connect(lambda i, t: seen.append((i, t)))
    qtbot.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.is_playing, timeout=5000)
    qtbot.waitUntil(lambda: player.current_index >= 8, timeout=10000)
    assert player.shown_image != first
    assert shown_index(player.shown_image) == player.current_index
    indices = [i for i, _ in seen]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert player.time_label.text().startswith(format_time(player.current_index / CLIP_FPS))
    assert player.slider.value() == player.current_index

    qtbot.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not player.is_playing, timeout=5000)
    stopped_at = player.current_index
    qtbot.wait(150)
    assert player.current_index == stopped_at


def test_playback_runs_to_the_end_and_stops_on_the_last_frame(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    player = open_clip(qtbot, studio_window, ui_media["second"])
    player.seek_index(player.frame_count - 6)
    qtbot.waitUntil(lambda: player.current_index == player.frame_count - 6)
    player.play()
    qtbot.waitUntil(lambda: player.current_index == player.frame_count - 1, timeout=10000)
    qtbot.waitUntil(lambda: not player.is_playing)
    assert shown_index(player.shown_image) == player.frame_count - 1


def test_scrub_shows_the_frame_at_the_slider_position(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    player = open_clip(qtbot, studio_window, ui_media["clip"])
    for target in (37, 5, 59, 20):
        player.slider.setValue(target)
        qtbot.waitUntil(lambda t=target: player.current_index == t, timeout=10000)
        assert shown_index(player.shown_image) == target
        assert player.current_time == target / CLIP_FPS
        assert player.time_label.text() == f"{format_time(target / CLIP_FPS)} / 00:02.00"


def test_step_moves_exactly_one_frame_with_buttons_and_keys(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    player = open_clip(qtbot, studio_window, ui_media["clip"])
    player.slider.setValue(30)
    qtbot.waitUntil(lambda: player.current_index == 30, timeout=10000)

    qtbot.mouseClick(player.forward_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.current_index == 31)
    assert shown_index(player.shown_image) == 31
    qtbot.mouseClick(player.back_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.current_index == 30)
    assert shown_index(player.shown_image) == 30

    studio_window.activateWindow()
    qtbot.keyClick(studio_window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: player.current_index == 31)
    qtbot.keyClick(studio_window, Qt.Key.Key_Left)
    qtbot.keyClick(studio_window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: player.current_index == 29)
    assert shown_index(player.shown_image) == 29
    assert player.time_label.text().startswith(format_time(29 / CLIP_FPS))

    player.slider.setValue(0)
    qtbot.waitUntil(lambda: player.current_index == 0)
    qtbot.keyClick(studio_window, Qt.Key.Key_Left)
    qtbot.wait(100)
    assert player.current_index == 0  # no stepping before the first frame

    qtbot.keyClick(studio_window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: player.is_playing)
    qtbot.keyClick(studio_window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing)


class SlowSource:
    """A synthetic source whose frames take 3 frame periods to make; records the thread."""

    def __init__(self, fps: float = 30.0, seconds: float = 2.0) -> None:
        self.fps, self.duration, self.size = fps, seconds, (64, 112)
        self.threads: set[str] = set()

    def frame_at(self, t: float) -> Frame:
        self.threads.add(threading.current_thread().name)
        time.sleep(3 / self.fps)
        y, u, v = frame_pattern(int(t * self.fps), 64, 112)
        return Frame.from_planes(y, u, v)


def test_slow_source_drops_frames_instead_of_drifting_and_never_decodes_on_the_gui_thread(
    qtbot: QtBot,
) -> None:
    player = Player()
    qtbot.addWidget(player)
    player.resize(200, 300)
    player.show()
    source = SlowSource()
    assert isinstance(source, FrameSource)
    player.set_source(lambda: source, "synthetic")
    qtbot.waitUntil(lambda: player.current_index == 0, timeout=5000)
    shown: list[int] = []
    player.frameShown.connect(lambda i, _t: shown.append(i))
    player.play()
    qtbot.waitUntil(lambda: len(shown) >= 4, timeout=10000)
    player.pause()
    gaps = [b - a for a, b in itertools.pairwise(shown)]
    assert all(g >= 2 for g in gaps), gaps  # late frames are skipped, not shown one by one
    assert player.dropped_frames > 0
    assert shown_index(player.shown_image) == player.current_index
    assert QThread.currentThread() is QApplication.instance().thread()
    assert threading.main_thread().name not in source.threads
    player.shutdown()


def test_unopenable_source_is_reported(qtbot: QtBot) -> None:
    player = Player()
    qtbot.addWidget(player)
    with qtbot.waitSignal(player.errorOccurred, timeout=5000) as blocker:
        player.open_clip("/nonexistent/clip.mp4")
    assert "does not exist" in blocker.args[0]
    assert "Cannot preview" in player.title_label.text()
    assert not player.play_button.isEnabled()
    player.shutdown()


def test_a_project_preview_plugs_into_the_same_player(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    from studio.core.project import Project
    from studio.render.preview import PreviewRenderer

    doc = {
        "schema_version": 1,
        "title": "preview",
        "canvas": {"width": 72, "height": 128, "fps": 30},
        "tracks": [
            {
                "kind": "video",
                "clips": [{"source": str(ui_media["clip"]), "in": 0.5, "out": 1.5, "start": 0.0}],
            }
        ],
    }
    project = Project.from_dict(doc, base_dir=None)
    player = Player()
    qtbot.addWidget(player)
    player.resize(200, 300)
    player.show()
    player.set_source(lambda: PreviewRenderer(project, scale=1.0), "project")
    qtbot.waitUntil(lambda: player.current_index == 0, timeout=10000)
    assert player.frame_count == 30
    assert shown_index(player.shown_image) == 15  # the clip's in-point, 0.5 s at 30 fps
    player.slider.setValue(10)
    qtbot.waitUntil(lambda: player.current_index == 10, timeout=10000)
    assert shown_index(player.shown_image) == 25
    player.shutdown()
