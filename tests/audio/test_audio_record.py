"""Voice-over recording: loopback tone, crash safety, countdown, punch-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.audio.device import AudioUnavailable, list_input_devices
from studio.audio.playback import AudioEngine
from studio.audio.record import PunchIn, Recorder, RecorderState, punch_in
from studio.audio.wavio import read_wav, write_wav

RATE = 48000
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.audio


def tone(seconds: float, freq: float, amp: float = 0.5, channels: int = 2) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def dominant_freq(x: np.ndarray, rate: int = RATE) -> float:
    mono = x.mean(axis=1) if x.ndim == 2 else x
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.argmax(spectrum) * rate / len(mono))


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def test_loopback_recording_has_the_tone_frequency_and_level(
    pulse_server: dict[str, str], tmp_path: Path
) -> None:
    assert any(d.name == "pulse" for d in list_input_devices())
    out = tmp_path / "vo.wav"
    with AudioEngine("pulse") as engine:
        engine.set_tracks({"tone": tone(10.0, 1000.0, amp=0.25)})
        engine.play()
        recorder = Recorder(out, device="pulse", channels=2, countdown=0.5)
        recorder.start()
        deadline = time.monotonic() + 10
        while recorder.frames_written < 1.5 * RATE and time.monotonic() < deadline:
            time.sleep(0.05)
        result = recorder.stop()
    assert result.path == out and result.channels == 2
    data, rate = read_wav(out)
    assert rate == RATE and len(data) == result.frames >= 1.5 * RATE
    steady = data[RATE // 10 :]
    assert dominant_freq(steady) == pytest.approx(1000.0, abs=2.0)
    assert rms_db(steady) == pytest.approx(rms_db(tone(1.0, 1000.0, amp=0.25)), abs=1.0)


def test_recording_survives_sigkill_up_to_the_last_second(
    pulse_server: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "crash.wav"
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("record_child.py")), str(out), "2.0"],
        env={**os.environ, "PYTHONPATH": str(ROOT), "JACK_DEFAULT_SERVER": "studio-no-such-server"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip() == "recording", child.stderr.read() if child.stderr else ""
        time.sleep(0.4)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    with wave.open(str(out), "rb") as w:
        frames = w.getnframes()
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
    on_disk = (out.stat().st_size - 44) // 2
    assert frames >= 2.0 * RATE
    assert on_disk - frames <= RATE
    data, _ = read_wav(out)
    assert len(data) == frames
    assert dominant_freq(data[RATE // 2 :]) == pytest.approx(1000.0, abs=2.0)


def test_countdown_then_recording_from_jack(jack_server: str, tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "count.wav", countdown=1.0)
    recorder.start()
    seen: list[int | None] = []
    while recorder.state is RecorderState.COUNTDOWN:
        seen.append(recorder.countdown_remaining())
        assert recorder.frames_written == 0
        time.sleep(0.05)
    assert 1 in seen
    assert recorder.state is RecorderState.RECORDING
    assert recorder.countdown_remaining() is None
    time.sleep(0.6)
    result = recorder.stop()
    assert recorder.state is RecorderState.STOPPED
    assert result.frames > 0.3 * RATE
    data, _ = read_wav(result.path)
    assert len(data) == result.frames


def test_punch_in_replaces_the_range_with_crossfades(tmp_path: Path) -> None:
    take = write_wav(tmp_path / "take.wav", tone(3.0, 440.0, channels=1), RATE)
    punch_in(take, tone(1.0, 880.0, channels=1), RATE, 1.0)
    data, _ = read_wav(take)
    assert len(data) == 3 * RATE
    assert dominant_freq(data[int(0.1 * RATE) : int(0.9 * RATE)]) == pytest.approx(440, abs=2)
    assert dominant_freq(data[int(1.1 * RATE) : int(1.9 * RATE)]) == pytest.approx(880, abs=2)
    assert dominant_freq(data[int(2.1 * RATE) : int(2.9 * RATE)]) == pytest.approx(440, abs=2)
    assert np.abs(np.diff(data[:, 0])).max() < 0.1  # no click at the edges


def test_recorder_punches_a_live_take_into_an_existing_one(jack_server: str, tmp_path: Path) -> None:
    take = write_wav(tmp_path / "take.wav", tone(3.0, 440.0, channels=1), RATE)
    out = tmp_path / "take2.wav"
    recorder = Recorder(out, countdown=0, punch=PunchIn(take, 1.0, 1.5))
    recorder.start()
    time.sleep(0.9)
    result = recorder.stop()
    assert result.frames == round(0.5 * RATE)
    data, _ = read_wav(out)
    assert len(data) == 3 * RATE
    assert rms_db(data[int(1.05 * RATE) : int(1.45 * RATE)]) < -80  # JACK dummy input is silence
    assert rms_db(data[int(1.6 * RATE) : int(2.9 * RATE)]) == pytest.approx(-9.03, abs=0.2)
    assert not recorder.target.exists()


def test_recording_without_an_input_says_why(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "missing" / "x.wav")
    with pytest.raises(AudioUnavailable, match="folder"):
        recorder.start()
