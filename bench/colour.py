"""Colour conversion speed at 1080x1920: ours (studio.core.colour, BT.709 working space) beside
OpenCV's BT.601 ``cvtColor`` (what the app used before, wrong for HD) and swscale through PyAV's
``reformat`` (BT.709, src/dst colorspace and range given; the frame already in an av.VideoFrame,
so its copies in and out are counted separately).

Then the HDR path of the decoder (``studio.media.colour.to_working``: 10-bit BT.2020 PQ / HLG
planes -> tone-mapped working I420): ``studio.media.hdr.to_sdr_i420`` where the tree has it
(the float R'G'B' quantised once, with the ordered dither), else the older
``rgb_to_i420(to_sdr_rgb(...))``. ``--base DIR`` measures those rows for another tree too (e.g.
``git worktree add /tmp/colour-base HEAD``), in a child process with its ``studio`` first.

Last, the HDR export's deep working space (``studio.media.hlg``, 10-bit HLG): an SDR picture
(8-bit working R'G'B') and 10-bit PQ planes placed into HLG, the float reference
(``sdr_to_i420_reference`` / ``pq_to_i420_reference``, the maths before the fast paths) beside
the fast ``sdr_to_i420`` / ``pq_to_i420``, as medians of ``--hlg-runs`` single frames
(``--hlg-only`` skips the rest).

    .venv/bin/python bench/colour.py [--frames 30] [--base DIR] [--hlg-only] [--hlg-runs 9]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, os.environ.get("COLOUR_BENCH_TREE") or str(Path(__file__).resolve().parents[1]))

from studio.core.colour import BT601, convert_i420, i420_to_rgb, rgb_to_i420

W, H = 1080, 1920


def ms(fn: Callable[[], object], n: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - started) / n)
    return best * 1e3


def hdr_planes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-size 10-bit limited BT.2020 Y, U, V planes of a 1080x1920 frame: a smooth picture
    over the whole signal range (luma ramp with detail, chroma swinging both ways)."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    luma = 64 + 876 * (0.5 + 0.45 * np.sin(xx / 97.0) * np.cos(yy / 131.0))
    cb = 512 + 200 * np.sin(yy / 53.0)
    cr = 512 + 200 * np.cos(xx / 71.0)
    return luma.astype(np.uint16), cb.astype(np.uint16), cr.astype(np.uint16)


def hdr_rows(n: int) -> dict[str, float]:
    """ms per frame of the decoder's HDR conversion (planes in, working I420 out) per transfer."""
    from studio.media import hdr

    y, u, v = hdr_planes()
    out: dict[str, float] = {}
    for transfer in ("pq", "hlg"):
        kw = {"transfer": transfer, "bits": 10, "full_range": False}
        if hasattr(hdr, "to_sdr_i420"):
            fn = lambda kw=kw: hdr.to_sdr_i420(y, u, v, **kw)  # noqa: E731
        else:
            fn = lambda kw=kw: rgb_to_i420(hdr.to_sdr_rgb(y, u, v, **kw))  # noqa: E731
        out[transfer] = ms(fn, n)
    return out


# --- HDR export: SDR -> HLG and PQ -> HLG (studio.media.hlg), reference before, fast after ---


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Median of ``runs`` timings of one call each (after one warm-up call), in ms."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times)) * 1e3


def hlg_rows(runs: int) -> list[tuple[str, str, float]]:
    """(conversion, which, ms per frame) of the deep working space's SDR and PQ conversions."""
    from studio.media import hlg

    rng = np.random.default_rng(1)
    sdr = cv2.GaussianBlur((rng.random((H, W, 3)) * 255).astype(np.uint8), (0, 0), 3)
    y, u, v = hdr_planes()
    u, v = np.ascontiguousarray(u[::2, ::2]), np.ascontiguousarray(v[::2, ::2])
    pq = {"bits": 10, "full_range": False}
    rows: list[tuple[str, str, float]] = []
    for what, fast, reference, args, kw in (
        ("SDR -> HLG", "sdr_to_i420", "sdr_to_i420_reference", (sdr,), {}),
        ("PQ -> HLG", "pq_to_i420", "pq_to_i420_reference", (y, u, v), pq),
    ):
        if not hasattr(hlg, reference):  # a tree from before the fast paths: its one function
            reference = fast
        for which, name in (("before (float reference)", reference), ("after (fast path)", fast)):
            call = functools.partial(getattr(hlg, name), *args, **kw)
            rows.append((what, which, median_ms(call, runs)))
    return rows


def print_hlg_rows(runs: int) -> None:
    print(f"HDR export deep space (10-bit HLG), ms per {W}x{H} frame (median of {runs})")
    for what, which, value in hlg_rows(runs):
        print(f"  {what:11s} {which:26s} {value:7.1f} ms")


def main() -> None:
    import av

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--base", type=Path, help="another source tree: its HDR rows beside ours")
    parser.add_argument("--hdr-json", action="store_true", help="HDR rows of the tree on the path, as JSON")
    parser.add_argument("--hlg-only", action="store_true", help="only the HDR export's SDR/PQ -> HLG rows")
    parser.add_argument("--hlg-runs", type=int, default=9, help="frames timed per SDR/PQ -> HLG row")
    args = parser.parse_args()
    n = args.frames
    if args.hlg_only:
        print_hlg_rows(args.hlg_runs)
        return
    if args.hdr_json:
        print(json.dumps(hdr_rows(max(1, n // 6))))
        return
    rng = np.random.default_rng(0)
    rgb = cv2.GaussianBlur((rng.random((H, W, 3)) * 255).astype(np.uint8), (0, 0), 3)
    i420 = rgb_to_i420(rgb)
    yuv_frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
    rgb_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    sws = {"src_colorspace": "ITU709", "dst_colorspace": "ITU709"}
    rows = [
        ("I420 -> RGB", "ours BT.709 (cv2.transform)", ms(lambda: i420_to_rgb(i420, W, H), n)),
        ("", "cv2.cvtColor BT.601", ms(lambda: cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), n)),
        ("", "swscale reformat BT.709", ms(lambda: yuv_frame.reformat(format="rgb24", src_color_range="MPEG", dst_color_range="JPEG", **sws), n)),
        ("", "swscale + to_ndarray", ms(lambda: yuv_frame.reformat(format="rgb24", src_color_range="MPEG", dst_color_range="JPEG", **sws).to_ndarray(), n)),
        ("RGB -> I420", "ours BT.709 (cv2.transform)", ms(lambda: rgb_to_i420(rgb), n)),
        ("", "cv2.cvtColor BT.601", ms(lambda: cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), n)),
        ("", "swscale reformat BT.709", ms(lambda: rgb_frame.reformat(format="yuv420p", src_color_range="JPEG", dst_color_range="MPEG", **sws), n)),
        ("I420 601 -> 709", "ours (convert_i420)", ms(lambda: convert_i420(i420, W, H, BT601), n)),
    ]  # fmt: skip
    print(f"ms per {W}x{H} frame (best of 3 x {n}; {cv2.getNumThreads()} OpenCV threads)")
    for what, how, value in rows:
        print(f"  {what:16s} {how:30s} {value:6.2f} ms")
    hdr_n = max(1, n // 6)  # a few hundred ms a frame: fewer rounds
    ours = hdr_rows(hdr_n)
    base: dict[str, float] = {}
    if args.base:
        env = dict(os.environ, COLOUR_BENCH_TREE=str(args.base.resolve()))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--hdr-json", "--frames", str(n)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        base = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"HDR 10-bit BT.2020 -> working I420, ms per {W}x{H} frame (best of 3 x {hdr_n})")
    for transfer, value in ours.items():
        line = f"  {transfer.upper():4s} ours {value:7.1f} ms"
        if transfer in base:
            line += f"   base {base[transfer]:7.1f} ms   ours/base {value / base[transfer]:.2f}x"
        print(line)
    print_hlg_rows(args.hlg_runs)


if __name__ == "__main__":
    main()
