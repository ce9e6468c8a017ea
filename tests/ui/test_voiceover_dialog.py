"""The voice-over dialog: countdown, recording from a JACK dummy server, the take on a new track."""

from __future__ import annotations

import os
import shutil
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.audio import device
from studio.audio.device import AudioDevice, AudioUnavailable
from studio.core.edits import History
from studio.core.project import AudioClip, Canvas, Project
from studio.ui.editor import voiceover_dialog
from studio.ui.editor.voiceover_dialog import VoiceoverDialog
from tests.audio.servers import jack_dummy

PLAYHEAD = 1.5


@pytest.fixture(scope="module")
def jack_server() -> Iterator[str]:
    """A JACK dummy server of this module's own (tag "-vo"), so it never clashes with the audio
    tests' session server when both run in one process."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt install jackd2): no JACK dummy device to record from")
    if device.sounddevice() is None:
        pytest.skip(f"PortAudio is not available: {device.import_error()}")
    with jack_dummy(tag="-vo"):
        yield os.environ["JACK_DEFAULT_SERVER"]


class FakePlayer:
    """Stands in for the preview player: records when play/pause were asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def play(self) -> None:
        self.calls.append("play")

    def pause(self) -> None:
        self.calls.append("pause")


def elapsed_seconds(dialog: VoiceoverDialog) -> float:
    minutes, seconds = dialog.elapsed_label.text().split(":")
    return int(minutes) * 60 + float(seconds)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.audio
def test_records_a_take_onto_a_new_track_at_the_playhead(
    jack_server: str,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    history = History(Project(title="VO", canvas=Canvas(1080, 1920, 30.0)))
    tracks_before = len(history.project.tracks)
    player = FakePlayer()
    media = tmp_path / "voiceovers"
    dialog = VoiceoverDialog(history, PLAYHEAD, media, player=player, countdown=0.3)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.record_button.isEnabled()
    assert dialog.device_combo.count() >= 1

    counted: list[str] = []
    dialog.timer.timeout.connect(lambda: counted.append(dialog.countdown_label.text()))
    clicked = time.monotonic()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert dialog.recording, dialog.message_label.text()
    assert not dialog.record_button.isEnabled() and dialog.stop_button.isEnabled()
    assert player.calls == []  # the video waits for the countdown
    qtbot.waitUntil(lambda: player.calls == ["play"], timeout=5000)
    assert "1" in counted  # the countdown was on screen
    assert dialog.countdown_label.text() == "● REC"
    qtbot.waitUntil(lambda: elapsed_seconds(dialog) >= 1.0, timeout=5000)

    with qtbot.waitSignal(dialog.recorded, timeout=5000) as signal:
        stopped = time.monotonic()
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    path, clip_id = signal.args
    assert player.calls == ["play", "pause"]
    take = Path(path)
    assert take.parent == media and take.name.startswith("voiceover-") and take.suffix == ".wav"
    # at least the second the elapsed time showed; at most the time Record was down, minus the countdown
    assert 0.9 <= wav_seconds(take) <= stopped - clicked - 0.3 + 0.15

    project = history.project
    assert len(project.tracks) == tracks_before + 1
    track, clip = project.find(clip_id)
    assert track.kind == "audio" and track.clips == [clip]
    assert isinstance(clip, AudioClip) and clip.role == "voiceover"
    assert clip.start == pytest.approx(PLAYHEAD)
    assert clip.source == path
    assert clip.duration == pytest.approx(wav_seconds(take), abs=1e-3)
    assert dialog.record_button.isEnabled() and not dialog.stop_button.isEnabled()

    assert history.undo() is not None
    assert len(project.tracks) == tracks_before
    assert all(c.id != clip_id for t in project.tracks for c in t.elements)
    assert take.exists()  # undo takes the clip off the timeline, never the recording


def test_without_an_input_device_record_is_disabled_with_a_message(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voiceover_dialog, "list_input_devices", lambda: [])
    history = History(Project(title="VO", canvas=Canvas(1080, 1920, 30.0)))
    dialog = VoiceoverDialog(history, 0.0, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "No input device" in dialog.message_label.text()
    assert not dialog.record_button.isEnabled()
    assert not dialog.device_combo.isEnabled()
    assert dialog.start_recording() is False
    assert not history.can_undo and list(tmp_path.iterdir()) == []


def test_a_microphone_that_cannot_be_opened_is_explained_and_nothing_changes(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Busy:
        def __init__(self, path: Path, **_: object) -> None:
            self.path = path

        def start(self) -> None:
            raise AudioUnavailable("The microphone 'USB mic' could not be opened (device busy).")

    monkeypatch.setattr(voiceover_dialog, "list_input_devices", _one_fake_device)
    monkeypatch.setattr(voiceover_dialog, "resolve_device", lambda *_: _one_fake_device()[0])
    monkeypatch.setattr(voiceover_dialog, "Recorder", Busy)
    history = History(Project(title="VO", canvas=Canvas(1080, 1920, 30.0)))
    dialog = VoiceoverDialog(history, 0.0, tmp_path / "vo")
    qtbot.addWidget(dialog)
    assert dialog.record_button.isEnabled()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert "device busy" in dialog.message_label.text()
    assert not dialog.recording and dialog.record_button.isEnabled() and not dialog.stop_button.isEnabled()
    assert not history.can_undo


def _one_fake_device() -> list[AudioDevice]:
    return [AudioDevice(7, "USB mic", "ALSA", 1, 0, 48000.0, is_default_input=True)]


def test_meter_scale() -> None:
    assert voiceover_dialog.meter_percent(float("-inf")) == 0
    assert voiceover_dialog.meter_percent(-60.0) == 0
    assert voiceover_dialog.meter_percent(-6.0) == 90
    assert voiceover_dialog.meter_percent(3.0) == 100


@pytest.mark.audio
def test_punch_in_replaces_the_take_from_the_playhead_and_undo_restores_it(
    jack_server: str, qtbot: QtBot, tmp_path: Path
) -> None:
    import numpy as np

    from studio.audio.wavio import read_wav
    from studio.core.edits import AddClip, AddTrack

    rate = 48000
    original = tmp_path / "take1.wav"
    with wave.open(
        str(original), "wb"
    ) as w:  # 3 s of a loud constant level: easy to tell from JACK's silence
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.full(3 * rate, 16000, np.int16)).tobytes())
    history = History(Project(title="VO", canvas=Canvas(1080, 1920, 30.0)))
    add = AddTrack("audio", name="Voice-over")
    history.do(add)
    clip = AudioClip("vo1", str(original), 0.0, 3.0, 1.0, role="voiceover")
    history.do(AddClip(add.track.id, clip))

    dialog = VoiceoverDialog(history, 2.0, tmp_path / "voiceovers", countdown=0.2, punch_clip=clip)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.punch_check.isVisible() and dialog.punch_check.isChecked()
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert dialog.recording, dialog.message_label.text()
    qtbot.waitUntil(lambda: dialog.countdown_label.text() == "● REC", timeout=5000)
    qtbot.waitUntil(lambda: elapsed_seconds(dialog) >= 0.5, timeout=5000)
    with qtbot.waitSignal(dialog.recorded, timeout=5000) as signal:
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    merged_path, clip_id = signal.args
    assert clip_id == "vo1" and len(history.project.tracks) == 1  # no new track: the clip was punched
    punched = history.project.clip("vo1")
    assert punched.source == merged_path and Path(merged_path) != original
    merged, merged_rate = read_wav(merged_path)
    assert merged_rate == rate
    before = merged[: int(0.9 * rate), 0]  # source time 0-0.9 s: before the punch point (1.0 s)
    after = merged[int(1.1 * rate) : int(1.4 * rate), 0]  # inside the recorded insert
    assert np.abs(before - 16000 / 32768).max() < 1e-3
    assert np.abs(after).max() < 0.05  # JACK's dummy input is silence
    assert read_wav(original)[0].shape[0] == 3 * rate  # the original take is untouched
    history.undo()
    assert history.project.clip("vo1").source == str(original)
