"""Bench: A/V sync drift of the preview's audio clock on a JACK dummy device.

A project holding one tone (``--minutes N`` long, default 2) is mixed and played through
``ProjectAudio``'s engine on a private ``jackd --no-realtime -d dummy`` server (started the way
``tests/audio/servers.py`` does). Once a second, right after a device callback (so the sampled
position is on a block boundary; the soonest-noticed of 8 consecutive callbacks, so polling
delay on a loaded machine does not pass for drift), it records:

* ``clock``    - ``engine.clock.time()``, what the player slaves video to;
* ``consumed`` - ``engine.programme_frames / rate``, programme samples the device has taken;
* ``wall``     - ``time.monotonic()`` (the baseline the player uses without audio).

The offset ``clock - consumed`` is constant (the output latency) when the clock follows the
device; its change from the first sample is the drift. Drift against the wall clock is printed
beside it, and a linear fit gives the drift rate, extrapolated to 10 minutes.

    .venv/bin/python bench/av_sync.py [--minutes 2] [--fps 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RATE = 48000
PROBES = 8  # callbacks looked at per sample
ROOT = Path(__file__).resolve().parents[1]


def make_tone(path: Path, minutes: float) -> Path:
    from studio.audio.wavio import write_wav

    t = np.arange(round(minutes * 60 * RATE)) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    return write_wav(path, np.repeat(tone[:, None], 2, axis=1), RATE)


def after_callback(engine: object, timeout: float = 1.0) -> None:
    """Return as soon as the device callback has taken its next block."""
    start = engine.frames_consumed  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while engine.frames_consumed == start and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.0005)


def block_boundary_sample(engine: object, rate: int, tries: int = PROBES) -> tuple[float, float, float]:
    """(clock, consumed, wall) just after a callback; of ``tries`` consecutive callbacks, the one
    noticed soonest (smallest clock - consumed), which filters out the polling delay under load."""
    best: tuple[float, float, float] | None = None
    for _ in range(tries):
        after_callback(engine)
        consumed = engine.programme_frames / rate  # type: ignore[attr-defined]
        clock = engine.clock.time()  # type: ignore[attr-defined]
        wall = time.monotonic()
        if best is None or clock - consumed < best[0] - best[1]:
            best = (clock, consumed, wall)
    assert best is not None
    return best


def measure(minutes: float, fps: float) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QCoreApplication

    from studio.audio import device
    from studio.core.project import AudioClip, Canvas, Project, Track
    from studio.ui.editor.audio_preview import ProjectAudio
    from studio.ui.jobs import make_gui_runner
    from tests.audio.servers import jack_dummy

    if shutil.which("jackd") is None:
        print("jackd is not installed (apt install jackd2)", file=sys.stderr)
        return 2
    if device.sounddevice() is None:
        print(f"PortAudio is not available: {device.import_error()}", file=sys.stderr)
        return 2

    app = QCoreApplication.instance() or QCoreApplication([])
    folder = Path(tempfile.mkdtemp(prefix="av-sync-"))
    seconds = minutes * 60
    with jack_dummy(tag="-bench"):
        song = make_tone(folder / "tone.wav", minutes)
        project = Project(
            title="Sync",
            canvas=Canvas(72, 128, fps),
            tracks=[Track("a1", "audio", name="Tone", clips=[AudioClip("m1", str(song), 0.0, seconds, 0.0)])],
        )
        runner = make_gui_runner()
        audio = ProjectAudio(runner, debounce_ms=0)
        loaded: list[float] = []
        audio.stemsReady.connect(loaded.append)
        t_mix = time.perf_counter()
        audio.set_project(project)
        while not loaded:
            app.processEvents()
            time.sleep(0.01)
        t_mix = time.perf_counter() - t_mix
        engine = audio.engine
        if engine.silent:
            print(f"no JACK output: {engine.status_message}", file=sys.stderr)
            audio.close()
            runner.shutdown(wait=True)
            return 1
        rate = engine.rate
        print(
            f"device: {engine.device_name} at {rate} Hz, latency {engine.latency * 1000:.1f} ms; mix {t_mix:.1f} s"
        )

        audio.play(0.0)
        after_callback(engine)
        time.sleep(0.5)  # let the ring fill and the clock anchor
        rows: list[tuple[float, float, float]] = []
        next_at = time.monotonic()
        while engine.playing and len(rows) < int(seconds) - 1:
            next_at += 1.0
            time.sleep(max(0.0, next_at - time.monotonic()))
            rows.append(block_boundary_sample(engine, rate))
        underruns = engine.underruns
        audio.close()
        runner.shutdown(wait=True)
    shutil.rmtree(folder, ignore_errors=True)
    report(np.array(rows), fps, underruns)
    return 0


def report(rows: np.ndarray, fps: float, underruns: int) -> None:
    clock, consumed, wall = rows[:, 0], rows[:, 1], rows[:, 2]
    span = wall[-1] - wall[0]
    frame_ms = 1000.0 / fps
    pairs = {
        "audio clock vs consumed samples": (clock - consumed, wall - wall[0]),
        "audio clock vs wall (monotonic)": (clock - wall, wall - wall[0]),
        "consumed samples vs wall": (consumed - wall, wall - wall[0]),
    }
    print(
        f"{len(rows)} samples over {span:.0f} s, underruns {underruns}; 1 frame at {fps:g} fps = {frame_ms:.1f} ms"
    )
    print(f"{'pair':34} {'max drift':>10} {'frames':>7} {'rate ppm':>9} {'10 min (fit)':>13}")
    for name, (offset, x) in pairs.items():
        drift = offset - offset[0]
        worst = float(np.max(np.abs(drift))) * 1000
        slope = float(np.polyfit(x, offset, 1)[0]) if len(x) > 2 else 0.0
        ten_min = abs(slope) * 600 * 1000
        print(f"{name:34} {worst:8.2f}ms {worst / frame_ms:7.3f} {slope * 1e6:9.2f} {ten_min:10.2f} ms")
    offset = clock - consumed
    worst = float(np.max(np.abs(offset - offset[0]))) * 1000
    slope = abs(float(np.polyfit(wall - wall[0], offset, 1)[0])) if len(rows) > 2 else 0.0
    projected = max(worst, slope * 600 * 1000)
    verdict = "met" if projected < frame_ms else "NOT met"
    print(f"target (clock vs consumed < 1 frame over 10 min): projected {projected:.2f} ms -> {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the tone project (default 2)")
    parser.add_argument("--fps", type=float, default=30.0, help="video frame rate for the frames column")
    args = parser.parse_args()
    if args.minutes <= 0.05:
        parser.error("--minutes must be more than 0.05 (3 s)")
    return measure(args.minutes, args.fps)


if __name__ == "__main__":
    sys.exit(main())
