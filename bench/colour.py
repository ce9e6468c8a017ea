"""Colour conversion speed at 1080x1920: ours (studio.core.colour, BT.709 working space) beside
OpenCV's BT.601 ``cvtColor`` (what the app used before, wrong for HD) and swscale through PyAV's
``reformat`` (BT.709, src/dst colorspace and range given; the frame already in an av.VideoFrame,
so its copies in and out are counted separately).

    .venv/bin/python bench/colour.py [--frames 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    import av

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=30)
    n = parser.parse_args().frames
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


if __name__ == "__main__":
    main()
