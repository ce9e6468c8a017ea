"""The audio strip: M/S rows per track with sound, master volume, and a meter fed by levels()."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from studio.audio.playback import AudioEngine
from studio.core.project import AudioClip, Canvas, Project, Track, VideoClip
from studio.jobs.runner import JobRunner
from studio.ui.editor.audio_preview import RATE, ProjectAudio
from studio.ui.editor.audio_strip import AudioStrip
from studio.ui.jobs import make_gui_runner
from tests.media.fixtures import make_audio, make_video


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("strip-media")
    return {
        "tone": make_audio(folder / "tone.wav", 1.0, rate=RATE, codec="pcm_s16le"),
        "talk": make_video(folder / "talk.mp4", seconds=1.0, audio=True),
        "mute": make_video(folder / "mute.mp4", seconds=1.0, audio=False),
    }


def project(media: dict[str, Path], *, with_music: bool = True) -> Project:
    tracks = [
        Track("v1", "video", name="Talking", clips=[VideoClip("c1", str(media["talk"]), 0.0, 1.0, 0.0)]),
        Track("v2", "video", name="B-roll", clips=[VideoClip("c2", str(media["mute"]), 0.0, 1.0, 0.0)]),
        Track("t1", "text", name="Captions"),
    ]
    if with_music:
        tracks.append(
            Track("a1", "audio", name="Music", clips=[AudioClip("m1", str(media["tone"]), 0.0, 1.0, 0.0)])
        )
    return Project(title="Strip", canvas=Canvas(72, 128, 30.0), tracks=tracks)


@pytest.fixture
def audio(qtbot: QtBot) -> Iterator[ProjectAudio]:
    runner: JobRunner = make_gui_runner()
    audio = ProjectAudio(runner, engine_factory=lambda: AudioEngine(silent=True), debounce_ms=0)
    yield audio
    audio.close()
    runner.shutdown(wait=True)


@pytest.fixture
def strip(qtbot: QtBot, audio: ProjectAudio) -> AudioStrip:
    strip = AudioStrip(audio)
    qtbot.addWidget(strip)
    strip.resize(320, 160)
    strip.show()
    qtbot.waitExposed(strip)
    return strip


def coloured_pixels(image: QImage) -> int:
    """Pixels that are clearly green, yellow or red (not the dark trough or the window grey)."""
    arr = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = arr[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].astype(int)
    b, g, r = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(np.count_nonzero((np.maximum(r, g) > 150) & (b < 110)))


def meter_image(strip: AudioStrip) -> QImage:
    return strip.meter.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)


def test_rows_follow_the_tracks_with_sound(qtbot: QtBot, strip: AudioStrip, media: dict[str, Path]) -> None:
    strip.set_project(project(media))  # which clips have sound is probed off the GUI thread
    qtbot.waitUntil(lambda: not strip.probing)
    assert list(strip.rows) == ["v1", "a1"]  # the silent video track and the text track have no row
    assert [r.name_label.text() for r in strip.rows.values()] == ["Talking", "Music"]
    assert "not the project" in strip.rows["a1"].mute_button.toolTip()

    strip.rows["v1"].mute_button.click()
    strip.set_project(project(media, with_music=False))
    assert list(strip.rows) == ["v1"]
    assert strip.rows["v1"].mute_button.isChecked()  # a kept track keeps its monitor state


def test_mute_solo_and_master_reach_the_engine_mixer(
    qtbot: QtBot, strip: AudioStrip, audio: ProjectAudio, media: dict[str, Path]
) -> None:
    strip.set_project(project(media))
    qtbot.waitUntil(lambda: "v1" in strip.rows)
    mixer = audio.engine.mixer
    strip.rows["a1"].mute_button.click()
    assert mixer.controls("a1").muted
    assert mixer.gains(["v1", "a1"]) == {"v1": 1.0, "a1": 0.0}
    strip.rows["a1"].mute_button.click()
    strip.rows["v1"].solo_button.click()
    assert mixer.controls("v1").solo
    assert mixer.gains(["v1", "a1"]) == {"v1": 1.0, "a1": 0.0}

    strip.master_slider.setValue(50)
    assert mixer.master == pytest.approx(0.5)
    assert strip.master_label.text() == "-6.0 dB"
    strip.master_slider.setValue(150)
    assert mixer.master == pytest.approx(1.5)
    strip.master_slider.setValue(0)
    assert mixer.master == 0.0
    assert strip.master_label.text() == "-inf dB"


def test_meter_paints_the_levels_and_nothing_in_silence(
    qtbot: QtBot, strip: AudioStrip, audio: ProjectAudio
) -> None:
    assert audio.levels()[0] == [-120.0, -120.0]
    qtbot.wait(150)  # a few polls of a silent engine
    assert coloured_pixels(meter_image(strip)) == 0

    # a full-scale tone played through the (silent-driver) engine drives the real meter
    t = np.arange(RATE * 3) / RATE
    tone = np.repeat((0.99 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], 2, axis=1)
    audio.engine.set_tracks({"a1": tone}, RATE)
    audio.play(0.0)
    qtbot.waitUntil(lambda: audio.levels()[0][0] > -3.0, timeout=5000)
    qtbot.wait(150)
    assert strip.meter.peak_db[0] > -3.0
    image = meter_image(strip)
    assert coloured_pixels(image) > 200
    right_end = image.pixelColor(image.width() - 3, 2)
    assert right_end.red() > 120 and right_end.green() < 80  # a hot peak reaches the red zone
    audio.pause()


def test_status_message_shown_when_silent(qtbot: QtBot, strip: AudioStrip, audio: ProjectAudio) -> None:
    assert not strip.status_label.isVisible()
    audio.start()
    assert strip.status_label.isVisible()
    assert "silent" in strip.status_label.text().lower()


def test_meter_polls_only_while_visible(qtbot: QtBot, strip: AudioStrip) -> None:
    assert strip.timer.isActive()
    strip.hide()
    assert not strip.timer.isActive()
    strip.show()
    assert strip.timer.isActive()
