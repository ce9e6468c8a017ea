"""Playback against a real PortAudio device (JACK dummy server) and the silent fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pytest

from studio.audio.device import JACK_HOSTAPI, list_output_devices
from studio.audio.mixer import Mixer
from studio.audio.playback import AudioEngine

RATE = 48000


def tone(seconds: float, freq: float = 1000.0, amp: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


pytestmark = pytest.mark.audio


def test_engine_plays_to_jack_at_device_rate_and_clock_follows(jack_server: str) -> None:
    assert any(d.hostapi == JACK_HOSTAPI for d in list_output_devices())
    with AudioEngine() as engine:
        assert engine.status_message == ""
        assert engine.rate == RATE
        engine.set_tracks({"music": tone(6.0)})
        engine.play()
        assert wait_for(lambda: engine.clock.time() > 0.3)
        # the clock follows the device's own frames, not the CPU's (timing on a loaded machine
        # is not asserted: the device decides the pace, the clock must agree with it)
        f0, c0 = engine.frames_consumed, engine.clock.time()
        assert wait_for(lambda: engine.frames_consumed - f0 >= 4 * RATE, timeout=60)
        f1, c1 = engine.frames_consumed, engine.clock.time()
        assert c1 - c0 == pytest.approx((f1 - f0) / RATE, abs=0.15)  # the clock may lag by a block
        peak_db, rms_db = engine.meter.levels()
        assert len(peak_db) == 2 and peak_db[0] == pytest.approx(-6.02, abs=0.2)
        assert rms_db[0] == pytest.approx(-9.03, abs=0.5)

        engine.pause()
        frozen = engine.clock.time()
        time.sleep(0.2)
        assert engine.clock.time() == frozen
        engine.seek(4.0)
        assert engine.clock.time() == 4.0
        engine.play()
        assert wait_for(lambda: engine.clock.time() > 4.2)
        assert engine.clock.time() < 5.5


def test_mute_solo_and_master_reach_the_output(jack_server: str) -> None:
    with AudioEngine() as engine:
        engine.set_tracks({"music": tone(10.0, amp=0.5), "vo": tone(10.0, 300.0, amp=0.1)})
        engine.play()
        assert wait_for(lambda: engine.meter.levels()[1][0] > -12)
        engine.mixer.set_solo("vo", True)
        assert wait_for(lambda: -24.5 < engine.meter.levels()[1][0] < -22.5)
        engine.mixer.set_mute("vo", True)
        assert wait_for(lambda: engine.meter.levels()[1][0] < -60)
        engine.mixer.set_solo("vo", False)
        engine.mixer.set_master(0.5)
        assert wait_for(lambda: -15.5 < engine.meter.levels()[1][0] < -14.5)


def test_scrub_plays_a_short_snippet_and_parks_the_playhead(jack_server: str) -> None:
    with AudioEngine() as engine:
        engine.set_tracks({"music": tone(3.0)})
        engine.scrub(1.5)
        assert wait_for(lambda: engine.programme_frames >= round(0.08 * RATE))
        time.sleep(0.2)
        assert engine.programme_frames == round(0.08 * RATE)
        assert engine.clock.time() == 1.5
        assert not engine.playing


def test_plays_to_the_end_and_stops_there(jack_server: str) -> None:
    with AudioEngine() as engine:
        engine.set_tracks({"music": tone(0.5)})
        engine.play()
        assert wait_for(lambda: not engine.playing, timeout=5)
        assert engine.clock.time() == pytest.approx(0.5)


def test_resamples_when_the_device_runs_at_another_rate(pulse_server: dict[str, str]) -> None:
    with AudioEngine("pulse", rate=44100) as engine:
        assert engine.rate == 44100
        engine.set_tracks({"music": tone(8.0)})
        assert engine.duration == pytest.approx(8.0, abs=1e-3)
        engine.play()
        assert wait_for(lambda: engine.meter.levels()[0][0] > -12, timeout=30)
        assert engine.meter.levels()[0][0] == pytest.approx(-6.02, abs=0.3)
        # project time advances by the device's frames at the device's rate (not 48 kHz)
        f0, c0 = engine.frames_consumed, engine.clock.time()
        assert wait_for(lambda: engine.frames_consumed - f0 >= 5 * 44100, timeout=60)
        f1, c1 = engine.frames_consumed, engine.clock.time()
        assert c1 - c0 == pytest.approx((f1 - f0) / 44100, abs=0.15)  # 48 kHz would be 0.41 off
        assert wait_for(lambda: not engine.playing, timeout=60)
        assert engine.clock.time() == pytest.approx(8.0, abs=1e-3)


def test_mixer_mute_wins_over_solo() -> None:
    mixer = Mixer()
    blocks = {"a": np.ones((4, 2), np.float32), "b": np.full((2, 2), 0.5, np.float32)}
    assert mixer.mix(blocks)[:, 0].tolist() == [1.5, 1.5, 1.0, 1.0]
    mixer.set_solo("b", True)
    assert mixer.mix(blocks)[:, 0].tolist() == [0.5, 0.5, 0.0, 0.0]
    mixer.set_mute("b", True)
    assert not mixer.mix(blocks).any()


NO_DEVICE_CHILD = """
import json, sys, time
{prelude}
from studio.audio.playback import AudioEngine
import numpy as np
e = AudioEngine()
e.set_tracks({{"m": np.full((48000 * 3, 2), 0.25, np.float32)}})
e.play()
time.sleep(0.2)
c0, w0 = e.clock.time(), time.monotonic()
time.sleep(0.6)
c1, w1 = e.clock.time(), time.monotonic()
print(json.dumps({{"message": e.status_message, "silent": e.silent, "rate": (c1 - c0) / (w1 - w0),
                  "peak": e.meter.levels()[0][0]}}))
e.close()
"""

BREAK_IMPORT = """
import importlib.abc
class NoPortAudio(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
sys.meta_path.insert(0, NoPortAudio())
"""


@pytest.mark.parametrize(
    ("prelude", "expected"),
    [("", "no audio output device"), (BREAK_IMPORT, "PortAudio could not be loaded")],
    ids=["no-device", "no-portaudio"],
)
def test_without_audio_the_engine_is_silent_with_a_working_clock(prelude: str, expected: str) -> None:
    env = {
        **os.environ,
        "JACK_DEFAULT_SERVER": "studio-no-such-server",
        "PULSE_SERVER": "unix:/nonexistent/pulse/native",
    }
    out = subprocess.run(
        [sys.executable, "-c", NO_DEVICE_CHILD.format(prelude=prelude)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert expected in result["message"] and "silent" in result["message"]
    assert result["silent"] is True
    assert result["rate"] == pytest.approx(1.0, rel=0.1)
    assert result["peak"] == pytest.approx(-12.04, abs=0.1)


def test_a_device_that_cannot_be_opened_falls_back_to_silence(
    jack_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.audio.device import sounddevice

    sd = sounddevice()

    def busy(*args: object, **kwargs: object) -> None:
        raise sd.PortAudioError("Device unavailable [PaErrorCode -9985]")

    monkeypatch.setattr(sd, "OutputStream", busy)
    with AudioEngine() as engine:
        assert engine.silent
        assert "could not be opened" in engine.status_message
        assert "Device unavailable" in engine.status_message


LOST_DEVICE_CHILD = """
import json, os, sys, time
import numpy as np
from tests.audio.servers import jack_dummy
from studio.audio.playback import AudioEngine

def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        time.sleep(0.02)
    return cond()

with jack_dummy(tag="-lost") as server:
    engine = AudioEngine()
    before = engine.silent
    engine.set_tracks({"m": np.full((48000 * 30, 2), 0.1, np.float32)})
    engine.play()
    wait_for(lambda: engine.clock.time() > 0.2)
    server.terminate()
    went_silent = wait_for(lambda: engine.silent)
    t0 = engine.clock.time()
    advanced = wait_for(lambda: engine.clock.time() > t0 + 0.3)
    print(json.dumps({"before": before, "silent": went_silent, "message": engine.status_message,
                      "playing": engine.playing, "advanced": advanced}), flush=True)
    engine.close()
import glob
for leftover in glob.glob(f"/dev/shm/jack_sem.*studio-test-{os.getpid()}-lost_*"):
    os.unlink(leftover)  # the abandoned client's semaphore
os._exit(0)
"""


def test_a_server_that_dies_mid_play_leaves_a_silent_engine_with_a_running_clock() -> None:
    """In a child process: a stream lost with its server can never be closed (PortAudio 19.6 JACK
    blocks), so the child exits without PortAudio teardown, as the app does after such a loss."""
    import shutil

    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt install jackd2)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run(
        [sys.executable, "-c", LOST_DEVICE_CHILD],
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["before"] is False
    assert result["silent"] is True and "device lost" in result["message"]
    assert result["playing"] is True and result["advanced"] is True
