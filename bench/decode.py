"""Decode speed: our VideoDecoder.frames() (to I420 Frames, and on to RGB) vs `ffmpeg -i clip -f null -`.

Makes a 1080x1920 H.264 30 fps clip (10 s, ffmpeg's testsrc2 pattern, libx264 veryfast with
B-frames, as phones and editors write them) in a temporary folder, then times, in one run:

  baseline  ffmpeg CLI decoding every frame to the null muxer (no pixel conversion)
  ours      VideoDecoder.frames(): decode (thread_type AUTO) + copy into the I420 Frame
  ours+rgb  the same + Frame.as_rgb() (OpenCV I420 -> RGB), what an RGB filter would ask for

The three take turns, four rounds, and each one's best round counts (the machine is shared). Target: ours >= 0.8x
ffmpeg. It also times the non-4:2:0 conversion paths that studio/media/convert.py chose between,
and the cost of a random seek with frame_at().
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from studio.media.decode import VideoDecoder

WIDTH, HEIGHT, FPS, SECONDS = 1080, 1920, 30, 10
ROUNDS = 4


def make_clip(folder: Path, ffmpeg: str) -> Path:
    path = folder / "bench-1080x1920.mp4"
    subprocess.run(
        [
            ffmpeg, "-v", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={SECONDS}",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the ffmpeg CLI), all threads."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def interleaved_best(rounds: int, runners: dict[str, Callable[[], int]]) -> dict[str, tuple[float, float]]:
    """(frames per second, CPU ms per frame) of each runner, best of ``rounds``; runners take
    turns within a round so that a burst of load from other processes hits all of them alike.
    CPU time per frame is the steadier number on a busy machine."""
    best = {name: (0.0, float("inf")) for name in runners}
    for _ in range(rounds):
        for name, fn in runners.items():
            start, cpu = time.perf_counter(), cpu_seconds()
            frames = fn()
            fps = frames / (time.perf_counter() - start)
            cpu_ms = (cpu_seconds() - cpu) / frames * 1000
            best[name] = (max(best[name][0], fps), min(best[name][1], cpu_ms))
    return best


def run_ffmpeg(ffmpeg: str, clip: Path) -> int:
    subprocess.run([ffmpeg, "-v", "error", "-i", str(clip), "-f", "null", "-"], check=True)
    return FPS * SECONDS


def run_ours(clip: Path, rgb: bool) -> int:
    count = 0
    with VideoDecoder(clip) as decoder:
        for _, frame in decoder.frames():
            if rgb:
                frame.as_rgb()
            count += 1
    return count


def conversion_paths() -> list[str]:
    """Per-frame cost at 1080x1920 of the paths convert.py chose between (fastest of 30 calls,
    the candidates taking turns)."""
    import av
    import numpy as np

    from studio.media.convert import to_i420

    src = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    rng = np.random.default_rng(1)
    for plane in src.planes:
        np.frombuffer(plane, np.uint8)[:] = rng.integers(16, 235, plane.buffer_size, dtype=np.uint8)
    ten, full = src.reformat(format="yuv420p10le"), src.reformat(format="yuv444p")

    def i420_targets() -> tuple[np.ndarray, ...]:
        buf = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
        chroma, quarter = buf[HEIGHT:].reshape(-1), (HEIGHT // 2) * (WIDTH // 2)
        half = (HEIGHT // 2, WIDTH // 2)
        return buf[:HEIGHT], chroma[:quarter].reshape(half), chroma[quarter:].reshape(half)

    def ten_numpy() -> None:
        for plane, target in zip(ten.planes, i420_targets(), strict=True):
            a = np.frombuffer(plane, np.uint16).reshape(plane.height, plane.line_size // 2)
            a = a[: target.shape[0], : target.shape[1]]
            np.copyto(target, np.minimum((a + 2) >> 2, 255), casting="unsafe")

    paths = {
        "yuv420p plane copy (used)": lambda: to_i420(src),
        "10-bit 4:2:0 swscale (used)": lambda: to_i420(ten),
        "10-bit 4:2:0 numpy shift": ten_numpy,
        "4:4:4 swscale": lambda: full.reformat(format="yuv420p"),
        "4:4:4 copy + cv2.resize (used)": lambda: to_i420(full),
    }
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(30):
        for name, fn in paths.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return [f"  {name:<32} {seconds * 1000:6.2f} ms/frame" for name, seconds in best.items()]


def seek_cost(clip: Path) -> float:
    rng = random.Random(3)
    times = [rng.uniform(0, SECONDS - 0.1) for _ in range(15)]
    with VideoDecoder(clip, cache_size=0) as decoder:
        start = time.perf_counter()
        for t in times:
            decoder.frame_at(t)
        return (time.perf_counter() - start) / len(times) * 1000


def main() -> int:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("bench/decode.py needs the ffmpeg CLI on PATH for its baseline", file=sys.stderr)
        return 1
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split()[2]
    import av

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp), ffmpeg)
        fps = interleaved_best(
            ROUNDS,
            {
                "ffmpeg": lambda: run_ffmpeg(ffmpeg, clip),
                "ours": lambda: run_ours(clip, rgb=False),
                "rgb": lambda: run_ours(clip, rgb=True),
            },
        )
        seek_ms = seek_cost(clip)
    (base_fps, base_cpu), (ours_fps, ours_cpu), (rgb_fps, rgb_cpu) = fps["ffmpeg"], fps["ours"], fps["rgb"]
    print(f"decode {WIDTH}x{HEIGHT} H.264 {FPS} fps, {SECONDS} s ({FPS * SECONDS} frames), best of {ROUNDS}")
    print(
        f"  baseline  ffmpeg CLI {version} -f null          {base_fps:7.1f} frames/s  {base_cpu:5.2f} CPU ms/frame"
    )
    print(
        f"  ours      PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}) -> I420 {ours_fps:7.1f} frames/s  {ours_cpu:5.2f} CPU ms/frame"
    )
    print(
        f"  ours+rgb  -> I420 -> Frame.as_rgb()           {rgb_fps:7.1f} frames/s  {rgb_cpu:5.2f} CPU ms/frame"
    )
    print(
        f"  ratio (frames/s) ours/ffmpeg = {ours_fps / base_fps:.2f}x, ours+rgb/ffmpeg = {rgb_fps / base_fps:.2f}x;"
        f" by CPU time {base_cpu / ours_cpu:.2f}x and {base_cpu / rgb_cpu:.2f}x (target >= 0.8x)"
    )
    print(f"  random seek with frame_at(): {seek_ms:.1f} ms per seek (keyframe every 2 s)")
    print("conversion of other pixel formats to I420 at 1080x1920:")
    print("\n".join(conversion_paths()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
