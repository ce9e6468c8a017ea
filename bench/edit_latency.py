"""Bench: what a parameter edit costs in the real editor, a 10-minute project beside a 10-second one.

Builds (with PyAV, in a temporary folder) a 10-minute, 100-clip project: 100 video clips of
6 s with their own sound cut from four sources, a music bed over the whole timeline and a
voice-over, and a 10-second project of the same shape. Drives the real ``MainWindow``
offscreen, paused on a clip, through the inspector's path for a slider (``SetParams`` with
``merge=True`` via ``TimelineModel.do``) and measures per edit:

* **frame**: from the edit to the preview frame shown again (``Player.frameShown``), for a
  ``transform.scale`` change of the clip under the playhead (target p95 <= 50 ms);
* **audio**: from the edit to the new stems in the audio engine (``ProjectAudio.stemsReady``),
  for a ``volume`` change of that clip (target p95 <= 300 ms);
* **gui**: GUI-thread time of the edit call itself (the edit, its listeners, the snapshot and
  hand-over); also printed, **gui busy**: all GUI-thread work between the edit and both updates
  (event dispatcher awake time: repaints of the timeline and the preview included). Target
  p95 of the edit call <= 4 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/edit_latency.py [--edits 20] [--minutes 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLIP_S = 6.0
SOURCES = 4
SOURCE_S = 40.0
SETTLE_S = 3.0
WARMUP = 2  # edits (one of each kind) left out of the statistics


def make_media(folder: Path, seconds: float) -> dict[str, list[Path] | Path]:
    from tests.media.fixtures import make_audio, make_video

    videos = [
        make_video(folder / f"v{i}.mp4", 180, 320, 30.0, SOURCE_S, audio=True, gop=30) for i in range(SOURCES)
    ]
    music = make_audio(folder / "music.wav", seconds + 1, rate=48000, tone_hz=220.0, codec="pcm_s16le")
    voice = make_audio(folder / "voice.m4a", seconds * 0.8 + 1, rate=44100, tone_hz=660.0, codec="aac")
    return {"videos": videos, "music": music, "voice": voice}


def build_project(media: dict[str, list[Path] | Path], seconds: float) -> object:
    from studio.core.project import AudioClip, Canvas, Project, Track, VideoClip

    videos = media["videos"]
    assert isinstance(videos, list)
    n = max(1, round(seconds / CLIP_S))
    length = seconds / n
    clips = []
    for i in range(n):
        src = videos[i % len(videos)]
        t_in = (i * 1.7) % (SOURCE_S - length - 0.5)
        clips.append(VideoClip(f"c{i}", str(src), t_in, t_in + length, i * length))
    music = AudioClip("music", str(media["music"]), 0.0, seconds, 0.0, volume=0.5, fade_in=1.0, fade_out=2.0)
    voice = AudioClip("voice", str(media["voice"]), 0.0, seconds * 0.8, seconds * 0.1, role="voiceover")
    return Project(
        title=f"{seconds:g} s",
        canvas=Canvas(540, 960, 30.0),
        tracks=[
            Track("v1", "video", name="Video", clips=clips),
            Track("a1", "audio", name="Music", clips=[music]),
            Track("a2", "audio", name="Voice-over", clips=[voice]),
        ],
    )


class Busy:
    """GUI-thread awake time from the event dispatcher's aboutToBlock/awake signals."""

    def __init__(self) -> None:
        from PySide6.QtCore import QAbstractEventDispatcher, QThread

        self.total = 0.0
        self._since: float | None = time.perf_counter()
        dispatcher = QAbstractEventDispatcher.instance(QThread.currentThread())
        dispatcher.aboutToBlock.connect(self._block)
        dispatcher.awake.connect(self._awake)

    def _block(self) -> None:
        if self._since is not None:
            self.total += time.perf_counter() - self._since
            self._since = None

    def _awake(self) -> None:
        if self._since is None:
            self._since = time.perf_counter()

    def read(self) -> float:
        self._block()
        self._awake()
        return self.total


def wait_for(app: object, done: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop (really blocking when idle, so ``Busy`` sees idle time) until ``done()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return True
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout
    poll = QTimer()
    poll.setInterval(1)
    poll.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > deadline else None)
    poll.start()
    loop.exec()
    poll.stop()
    return done()


def run_project(app: object, window: object, project: object, edits: int) -> dict[str, list[float]]:
    from studio.core.edits import History, SetParams

    w: object = window
    w.set_history(History(project), None)  # type: ignore[attr-defined]
    audio, player = w.audio, w.player  # type: ignore[attr-defined]
    stems: list[float] = []
    frames: list[float] = []
    audio.stemsReady.connect(lambda _d: stems.append(time.perf_counter()))
    player.frameShown.connect(lambda _i, _t: frames.append(time.perf_counter()))
    t0 = time.perf_counter()
    if not wait_for(app, lambda: bool(stems) and bool(frames) and not audio.busy, 600):
        raise SystemExit("the project never showed a frame and its sound")
    first_mix = time.perf_counter() - t0
    clip = project.tracks[0].clips[len(project.tracks[0].clips) // 2]  # type: ignore[attr-defined]
    at = clip.start + 1.0
    w.seek_project(at)  # type: ignore[attr-defined]
    wait_for(app, lambda: abs(player.current_time - at) < 0.05, 60)
    wait_for(app, lambda: False, SETTLE_S)  # background proxies and thumbnails settle first
    busy = Busy()
    out: dict[str, list[float]] = {"frame": [], "audio": [], "gui": [], "busy": [], "first": [first_mix]}
    model = w.timeline_model  # type: ignore[attr-defined]
    for i in range(edits + 1):
        for path, value, kind in (
            ("transform.scale", 1.0 + 0.01 * (i + 1), "frame"),
            ("volume", 0.5 + 0.02 * (i % 20), "audio"),
        ):
            n_frames, n_stems = len(frames), len(stems)
            b0 = busy.read()
            start = time.perf_counter()
            model.do(SetParams(clip.id, {path: value}, merge=True, label=f"Change {path}"))
            out["gui"].append(time.perf_counter() - start)
            if kind == "frame":
                ok = wait_for(app, lambda n=n_frames: len(frames) > n, 30)
                out["frame"].append((frames[-1] if ok else time.perf_counter()) - start)
                wait_for(app, lambda: not audio.busy, 30)  # the scale change remixes nothing, but waits
            else:
                ok = wait_for(app, lambda n=n_stems: len(stems) > n, 60)
                out["audio"].append((stems[-1] if ok else time.perf_counter()) - start)
                wait_for(app, lambda n=n_frames: len(frames) > n, 30)
            wait_for(app, lambda: False, 0.02)
            out["busy"].append(busy.read() - b0)
        model.history.seal()
    for key in ("frame", "audio", "gui", "busy"):
        del out[key][:WARMUP]  # the first edit of each kind warms caches and code paths
    return out


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20, help="edits of each kind per project")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long project")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="edit-latency-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("CREATOR_STUDIO_HOME", str(folder / "home"))
        t = time.perf_counter()
        long_s = args.minutes * 60.0
        media = make_media(folder, long_s)
        print(f"media made in {time.perf_counter() - t:.1f} s", flush=True)
        from studio.ui.editor.window.main_window import MainWindow

        window = MainWindow()
        window.confirm_unsaved = False
        window.show()
        results = {}
        for name, seconds in (("10 s", 10.0), (f"{args.minutes:g} min", long_s)):
            project = build_project(media, seconds)
            results[name] = run_project(app, window, project, args.edits)
            print(f"{name}: first mix + frame {results[name]['first'][0]:.2f} s", flush=True)
        window.close()

    targets = (
        ("frame", "edit -> preview frame", 0.050),
        ("audio", "edit -> preview audio", 0.300),
        ("gui", "GUI thread per edit (edit call)", 0.004),
        ("busy", "GUI busy per edit (all work)", None),
    )
    print()
    print(f"{'project':<9} {'measure':<34} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}  result")
    failed = False
    for name, res in results.items():
        for key, label, target in targets:
            vals = res[key]
            med, high = statistics.median(vals) * 1e3, p95(vals) * 1e3
            if target is None:
                verdict, tgt = "(info)", "-"
            else:
                ok = high <= target * 1e3
                failed |= not ok
                verdict, tgt = ("PASS" if ok else "FAIL"), f"{target * 1e3:.0f}"
            print(f"{name:<9} {label:<34} {med:8.1f} {high:8.1f} {tgt:>8}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
