"""Preview after a seek: p50/p95 of PreviewRenderer.frame_at(t) at random t on a 1080x1920 H.264 clip.

Makes a 10 s 1080x1920 30 fps clip (testsrc2, libx264 veryfast, keyframe every 2 s as
bench/decode.py does; ``--gop 30`` for the 1 s that phones write) and a 1080x1920 project showing it with a colour adjustment and a text
item, then times, at scale 0.5 (the player's size):

  ours      PreviewRenderer.frame_at(t) for 40 random t (decoders kept open; each a real seek)
  ours+step the frame after each of those (t + 1/30: what playback asks next)
  baseline  ffmpeg CLI accurate seek to the same t, one frame scaled to 540x960, to the null muxer
            (includes the process start, so it is an upper bound of ffmpeg's own seek cost)

Target: ours p95 < 50 ms.
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

W, H, FPS, SECONDS, SEEKS = 1080, 1920, 30, 10, 40


def make_clip(folder: Path, ffmpeg: str, gop: int) -> Path:
    path = folder / f"seek-1080x1920-g{gop}.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", str(gop), str(path)],
        check=True,
    )  # fmt: skip
    return path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gop", type=int, default=60, help="keyframe interval of the clip in frames (default 60)"
    )
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("bench/preview_seek.py needs the ffmpeg CLI on PATH for its baseline", file=sys.stderr)
        return 1
    from studio.core.project import Project
    from studio.render.preview import PreviewRenderer

    rnd = random.Random(11)
    times = [rnd.uniform(0, SECONDS - 0.2) for _ in range(SEEKS)]
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp), ffmpeg, args.gop)
        doc = {
            "canvas": {"width": W, "height": H, "fps": FPS},
            "tracks": [
                {"kind": "video", "clips": [
                    {"source": str(clip), "in_point": 0.0, "out_point": SECONDS, "start": 0.0,
                     "filters": [{"id": "studio.color", "params": {"saturation": 1.2, "brightness": 0.05}}]}]},
                {"kind": "text", "items": [{"text": "Hello creators", "start": 0.0, "end": SECONDS,
                                            "style": {"size": 72, "stroke": "#000000", "stroke_width": 4}}]},
            ],
        }  # fmt: skip
        project = Project.from_dict(doc)
        seek_ms, step_ms = [], []
        with PreviewRenderer(project, scale=0.5) as preview:
            preview.frame_at(0.0)  # open the decoder, build filters and the text sprite
            for t in times:
                start = time.perf_counter()
                preview.frame_at(t)
                seek_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                preview.frame_at(t + 1 / FPS)
                step_ms.append((time.perf_counter() - start) * 1000)
            size = preview.size
        ff_ms = []
        for t in times[:15]:
            start = time.perf_counter()
            subprocess.run(
                [ffmpeg, "-v", "error", "-ss", f"{t:.3f}", "-i", str(clip), "-frames:v", "1",
                 "-vf", f"scale={size[0]}:{size[1]}", "-f", "null", "-"],
                check=True,
            )  # fmt: skip
            ff_ms.append((time.perf_counter() - start) * 1000)
    print(
        f"preview seek on {W}x{H} H.264 {FPS} fps (keyframe every {args.gop} frames), preview {size[0]}x{size[1]}, {SEEKS} seeks"
    )
    print(
        f"  ours      frame_at after a seek : p50 {statistics.median(seek_ms):6.1f} ms   p95 {pct(seek_ms, 0.95):6.1f} ms"
    )
    print(
        f"  ours      the next frame        : p50 {statistics.median(step_ms):6.1f} ms   p95 {pct(step_ms, 0.95):6.1f} ms"
    )
    print(f"  baseline  ffmpeg CLI -ss (1 frame, incl. process start): p50 {statistics.median(ff_ms):6.1f} ms   "
          f"p95 {pct(ff_ms, 0.95):6.1f} ms")  # fmt: skip
    print(f"  ratio ours/ffmpeg (p50) = {statistics.median(seek_ms) / statistics.median(ff_ms):.2f}x   "
          f"target: ours p95 < 50 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
