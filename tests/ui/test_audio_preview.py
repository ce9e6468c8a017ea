"""Preview sound: the project's stems in an AudioEngine, and the player slaved to its clock."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from studio.audio.playback import AudioEngine
from studio.core.project import AudioClip, Canvas, Project, Track
from studio.jobs.runner import JobRunner
from studio.ui.editor.audio_preview import RATE, ProjectAudio
from studio.ui.editor.player import Player
from studio.ui.editor.project_preview import ProjectSource
from studio.ui.jobs import make_gui_runner
from tests.audio.conftest import jack_server  # noqa: F401  (the JACK dummy server fixture)
from tests.media.fixtures import make_audio

FPS = 30.0


def tone_project(folder: Path, seconds: float = 3.0, start: float = 0.0) -> Project:
    song = folder / "tone.wav"
    if not song.exists():
        make_audio(song, 4.0, rate=RATE, tone_hz=440.0, codec="pcm_s16le")
    clip = AudioClip("m1", str(song), 0.0, seconds, start)
    return Project(
        title="Tone", canvas=Canvas(72, 128, FPS), tracks=[Track("a1", "audio", name="Music", clips=[clip])]
    )


def silent_engine() -> AudioEngine:
    return AudioEngine(silent=True)


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[JobRunner]:
    runner = make_gui_runner()
    yield runner
    runner.shutdown(wait=True)


@pytest.fixture
def player(qtbot: QtBot) -> Iterator[Player]:
    player = Player()
    qtbot.addWidget(player)
    player.resize(200, 300)
    player.show()
    yield player
    player.attach_audio(None)
    player.shutdown()


def open_project(qtbot: QtBot, player: Player, project: Project) -> None:
    source = ProjectSource(project)
    player.set_source(lambda: source, "Tone")
    qtbot.waitUntil(lambda: player.info is not None and player.current_index == 0, timeout=15000)


def level_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x[:, 0]))) + 1e-12))


def test_set_project_recomputes_the_stems_after_edits(
    qtbot: QtBot, runner: JobRunner, tmp_path: Path
) -> None:
    audio = ProjectAudio(runner, engine_factory=silent_engine, debounce_ms=50)
    try:
        first = tone_project(tmp_path, 1.5)
        with qtbot.waitSignal(audio.stemsReady, timeout=15000) as ready:
            audio.set_project(first)
        assert ready.args == [pytest.approx(1.5)]
        assert set(audio.stems) == {"a1"}
        assert audio.stems["a1"].shape == (round(first.duration * RATE), 2)
        assert level_db(audio.stems["a1"]) > -30  # the real tone, not silence
        assert audio.engine.duration == pytest.approx(1.5, abs=1e-3)

        # edits in quick succession: one mix, of the newest state
        started = audio.jobs_started
        moved = tone_project(tmp_path, 1.5, start=1.0)
        longer = tone_project(tmp_path, 3.0, start=0.5)
        with qtbot.waitSignal(audio.stemsReady, timeout=15000) as ready:
            audio.set_project(moved)
            audio.set_project(longer)
        assert audio.jobs_started == started + 1
        assert ready.args == [pytest.approx(3.5)]
        assert audio.stems["a1"].shape == (round(3.5 * RATE), 2)
        assert level_db(audio.stems["a1"][: RATE // 2]) < -80  # silence before the clip starts
        assert audio.engine.duration == pytest.approx(3.5, abs=1e-3)

        # a mix overtaken by a newer one never reaches the engine
        seen: list[float] = []
        audio.stemsReady.connect(seen.append)
        audio.set_project(moved)
        audio.flush()
        with qtbot.waitSignal(audio.stemsReady, timeout=15000):
            audio.set_project(first)
            audio.flush()
        qtbot.wait(200)
        assert seen == [pytest.approx(1.5)]
        assert audio.engine.duration == pytest.approx(1.5, abs=1e-3)
    finally:
        audio.close()


def test_without_a_device_the_player_keeps_its_own_clock_and_says_why(
    qtbot: QtBot, runner: JobRunner, player: Player, tmp_path: Path
) -> None:
    project = tone_project(tmp_path, 2.0)
    audio = ProjectAudio(runner, engine_factory=silent_engine, debounce_ms=0)
    try:
        open_project(qtbot, player, project)
        with qtbot.waitSignal(audio.statusChanged, timeout=15000) as status:
            audio.set_project(project)
        assert "silent" in status.args[0].lower()
        assert audio.status_message == status.args[0]
        player.attach_audio(audio)
        player.play()
        qtbot.waitUntil(lambda: player.current_index >= 10, timeout=10000)
        assert audio.engine.playing  # the transport reached the engine
        assert audio.time() is None  # so the picture runs on the monotonic clock
        player.pause()
        qtbot.waitUntil(lambda: not player.is_playing, timeout=5000)
        qtbot.waitUntil(lambda: not audio.engine.playing, timeout=5000)
    finally:
        audio.close()

    def broken() -> AudioEngine:
        raise OSError("PortAudio library not found")

    failing = ProjectAudio(runner, engine_factory=broken, debounce_ms=0)
    try:
        with qtbot.waitSignal(failing.statusChanged, timeout=15000) as status:
            failing.set_project(project)
        assert "PortAudio library not found" in status.args[0]
        assert failing.engine.silent and failing.time() is None
    finally:
        failing.close()


@pytest.mark.audio
def test_the_picture_follows_the_audio_clock_of_a_real_device(
    qtbot: QtBot,
    jack_server: str,  # noqa: F811
    runner: JobRunner,
    player: Player,
    tmp_path: Path,
) -> None:
    project = tone_project(tmp_path, 3.0)
    audio = ProjectAudio(runner, debounce_ms=0)
    try:
        open_project(qtbot, player, project)
        with qtbot.waitSignal(audio.stemsReady, timeout=15000):
            audio.set_project(project)
        engine = audio.engine
        assert not engine.silent and audio.status_message == ""
        player.attach_audio(audio)
        samples: list[tuple[float, float | None]] = []
        player.frameShown.connect(lambda _i, t: samples.append((t, audio.time())))
        before = engine.programme_frames
        player.play()
        qtbot.waitUntil(lambda: player.current_time >= 1.3, timeout=10000)

        assert engine.programme_frames - before > RATE  # the device really took the tone
        assert audio.levels()[0][0] > -20
        lags = [clock - shown for shown, clock in samples if shown >= 0.8 and clock is not None]
        assert len(lags) >= 5
        assert -1e-3 <= statistics.median(lags) < 1.0 / FPS  # the monotonic clock alone: about -60 ms

        player.pause()
        qtbot.waitUntil(lambda: not player.is_playing, timeout=5000)
        qtbot.waitUntil(lambda: not engine.playing, timeout=5000)
        at = player.current_index
        player.step(6)  # stepping while paused scrubs the sound to the new frame
        qtbot.waitUntil(lambda: player.current_index == at + 6, timeout=5000)
        assert engine.clock.time() == pytest.approx((at + 6) / FPS, abs=1e-3)
    finally:
        audio.close()


def test_an_external_clock_drives_the_picture_and_the_own_clock_takes_over_when_it_stops(
    qtbot: QtBot, player: Player, tmp_path: Path
) -> None:
    open_project(qtbot, player, tone_project(tmp_path, 3.0))
    reading: list[float | None] = [1.0]
    player.set_clock(lambda: reading[0])
    player.play()
    qtbot.waitUntil(lambda: player.current_index == 30, timeout=5000)
    qtbot.wait(300)
    assert player.is_playing and player.current_index == 30  # held by the clock, not by wall time
    reading[0] = 2.0
    qtbot.waitUntil(lambda: player.current_index == 60, timeout=5000)
    after: list[int] = []
    player.frameShown.connect(lambda i, _t: after.append(i))
    reading[0] = None  # the clock stops answering: carry on from where it was, no jump back
    qtbot.waitUntil(lambda: player.current_index >= 66, timeout=5000)
    assert min(after) >= 60 and player.current_index < 85
    player.pause()


def test_a_project_without_sound_opens_no_device(qtbot: QtBot, runner: JobRunner) -> None:
    opened: list[bool] = []

    def engine() -> AudioEngine:
        opened.append(True)
        return silent_engine()

    audio = ProjectAudio(runner, engine_factory=engine, debounce_ms=0)
    try:
        with qtbot.waitSignal(audio.stemsReady, timeout=15000):
            audio.set_project(Project(title="Empty", canvas=Canvas(72, 128, FPS)))
        assert audio.stems == {} and not audio.started and opened == []
        assert audio.time() is None and audio.levels()[0] == [-120.0, -120.0]
    finally:
        audio.close()
