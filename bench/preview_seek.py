"""Preview after a seek: p50/p95 of PreviewRenderer.frame_at(t) at random t on a 1080x1920 H.264 clip.

Makes a 10 s 1080x1920 30 fps clip (testsrc2, libx264 veryfast, keyframe every 2 s as
bench/decode.py does; ``--gop 30`` for the 1 s that phones write) and a 1080x1920 project showing it with a colour adjustment and a text
item, then times, at scale 0.5 (the player's size):

  ours      PreviewRenderer.frame_at(t) for 40 random t (decoders kept open; each a real seek)
  ours+step the frame after each of those (t + 1/30: what playback asks next)
``--grain 20`` adds temporal noise so that the clip has a camera-like bitrate (testsrc2 alone
decodes unusually fast).

  baseline  ffmpeg CLI accurate seek to the same t, one frame scaled to 540x960, to the null muxer
            (includes the process start, so it is an upper bound of ffmpeg's own seek cost)

then the same with the player's proxies (studio.media.proxy: 540x960, H.264 with a keyframe every
``--proxy-gop`` frames, no B-frames; several GOPs with ``--proxy-gop 5,10,30``):

  proxy build  ProxyCache.build() time per second of source, beside
  baseline     ffmpeg CLI making the same proxy (scale, libx264 superfast, same GOP, no audio)
  ours+proxy   frame_at after a seek / the next frame, once the renderer has switched to the proxy

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


def make_clip(folder: Path, ffmpeg: str, gop: int, grain: int = 0) -> Path:
    path = folder / f"seek-1080x1920-g{gop}.mp4"
    source = f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}"
    if grain:
        source += f",noise=alls={grain}:allf=t"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", source,
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", str(gop), str(path)],
        check=True,
    )  # fmt: skip
    return path


def ffmpeg_proxy(ffmpeg: str, clip: Path, out: Path, gop: int) -> float:
    """Seconds the ffmpeg CLI takes to make a proxy like ours (the baseline for the build)."""
    start = time.perf_counter()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(clip), "-an", "-vf", "scale=540:960:flags=area",
         "-c:v", "libx264", "-preset", "superfast", "-tune", "fastdecode", "-crf", "23",
         "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0", str(out)],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def time_seeks(preview: object, times: list[float]) -> tuple[list[float], list[float]]:
    """(ms of frame_at after each seek, ms of the frame after it)."""
    seek_ms, step_ms = [], []
    for t in times:
        start = time.perf_counter()
        preview.frame_at(t)  # type: ignore[attr-defined]
        seek_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        preview.frame_at(t + 1 / FPS)  # type: ignore[attr-defined]
        step_ms.append((time.perf_counter() - start) * 1000)
    return seek_ms, step_ms


def line(label: str, values: list[float]) -> str:
    return f"  {label:<40}: p50 {statistics.median(values):6.1f} ms   p95 {pct(values, 0.95):6.1f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gop", type=int, default=60, help="keyframe interval of the clip in frames (default 60)"
    )
    parser.add_argument(
        "--proxy-gop", default="10", help="keyframe interval(s) of the proxy, comma-separated (default 10)"
    )
    parser.add_argument(
        "--grain", type=int, default=0,
        help="film grain strength 0-100 added to the picture (camera-like bitrate; default 0)",
    )  # fmt: skip
    args = parser.parse_args()
    proxy_gops = [int(g) for g in args.proxy_gop.split(",") if g.strip()]
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("bench/preview_seek.py needs the ffmpeg CLI on PATH for its baseline", file=sys.stderr)
        return 1
    from studio.core.project import Project
    from studio.media.proxy import ProxyCache
    from studio.render.preview import PreviewRenderer

    rnd = random.Random(11)
    times = [rnd.uniform(0, SECONDS - 0.2) for _ in range(SEEKS)]
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp), ffmpeg, args.gop, args.grain)
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
        with PreviewRenderer(project, scale=0.5, proxies=None) as preview:
            preview.frame_at(0.0)  # open the decoder, build filters and the text sprite
            seek_ms, step_ms = time_seeks(preview, times)
            size = preview.size
        proxied = {}
        for gop in proxy_gops:
            cache = ProxyCache(Path(tmp) / f"proxies-g{gop}", gop=gop)
            start = time.perf_counter()
            cache.build(clip)
            build_s = time.perf_counter() - start
            ff_build_s = ffmpeg_proxy(ffmpeg, clip, Path(tmp) / f"ff-proxy-g{gop}.mp4", gop)
            with PreviewRenderer(project, scale=0.5, proxies=cache) as preview:
                preview.frame_at(0.0)
                assert preview.decoding(project.video_tracks()[0].clips[0].id) == str(cache.get(clip))
                proxied[gop] = (build_s, ff_build_s, *time_seeks(preview, times))
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
        f"preview seek on {W}x{H} H.264 {FPS} fps (keyframe every {args.gop} frames, grain {args.grain}), preview {size[0]}x{size[1]}, {SEEKS} seeks"
    )
    print(line("ours      source: frame_at after a seek", seek_ms))
    print(line("ours      source: the next frame", step_ms))
    for gop, (build_s, ff_build_s, p_seek, p_step) in proxied.items():
        print(f"  proxy GOP {gop}: build {build_s / SECONDS:.3f} s per s of source "
              f"(ffmpeg CLI {ff_build_s / SECONDS:.3f} s/s, ratio {build_s / ff_build_s:.2f}x)")  # fmt: skip
        print(line(f"ours+proxy g{gop}: frame_at after a seek", p_seek))
        print(line(f"ours+proxy g{gop}: the next frame", p_step))
    print(f"  baseline  ffmpeg CLI -ss (1 frame, incl. process start): p50 {statistics.median(ff_ms):6.1f} ms   "
          f"p95 {pct(ff_ms, 0.95):6.1f} ms")  # fmt: skip
    print(f"  ratio ours/ffmpeg (p50) = {statistics.median(seek_ms) / statistics.median(ff_ms):.2f}x (source)"
          + "".join(f", {statistics.median(v[2]) / statistics.median(ff_ms):.2f}x (proxy g{g})"
                    for g, v in proxied.items())
          + "   target: ours p95 < 50 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
