"""``studio.blur`` and ``studio.sharpen`` on the I420 planes (sizes scale with the frame).

Both take the HDR export's 10-bit frames too (``deep``): OpenCV's blurs work on uint16 as they
do on uint8, and the sharpened luma is clipped to the 10-bit code range.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np

from studio.effects.api import I420, Filter, FloatParam
from studio.effects.imaging import i420_planes


def blur_plane(plane: np.ndarray, radius: float, dst: np.ndarray) -> None:
    """Gaussian-like blur of one plane, edges replicated: OpenCV's Gaussian up to 9 taps, above
    that two box passes of ``radius + 1`` taps (together the triangle kernel of a stack blur,
    at a cost that stays flat for big radii). ``studio.effects.fused`` does the same maths."""
    k = round(radius) * 2 + 1
    if k <= 1:
        dst[...] = plane
    elif k <= 9:
        cv2.GaussianBlur(plane, (k, k), 0, dst=dst, borderType=cv2.BORDER_REPLICATE)
    else:
        r = k // 2
        n = r + 1
        first = cv2.blur(plane, (n, n), anchor=(r // 2, r // 2), borderType=cv2.BORDER_REPLICATE)
        cv2.blur(first, (n, n), dst=dst, anchor=(r - r // 2, r - r // 2), borderType=cv2.BORDER_REPLICATE)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helper() -> ThreadPoolExecutor | None:
    """One helper thread shared by every blur (OpenCV releases the GIL), or None on one core."""
    global _pool
    if (os.cpu_count() or 1) < 2:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="studio-blur")
        return _pool


def blur_rows(plane: np.ndarray, radius: float, dst: np.ndarray, start: int, stop: int) -> None:
    """Rows ``start:stop`` of ``blur_plane(plane, radius, ...)`` into ``dst[start:stop]``,
    bit for bit: the band is blurred with every row either kernel reaches (``radius`` rounded,
    plus a margin) and the rows it cannot get right are dropped. Both the Gaussian and the box
    passes compute each output pixel from its neighbours alone (exact integer sums for the
    boxes), so a band's pixels are the whole plane's."""
    h = plane.shape[0]
    if (start, stop) == (0, h):
        blur_plane(plane, radius, dst)
        return
    reach = round(radius) + 2
    lo, hi = max(0, start - reach), min(h, stop + reach)
    tmp = np.empty((hi - lo, plane.shape[1]), plane.dtype)
    blur_plane(plane[lo:hi], radius, tmp)
    dst[start:stop] = tmp[start - lo : stop - lo]


def blur_planes(
    planes: tuple[np.ndarray, ...], radii: tuple[float, ...], outs: tuple[np.ndarray, ...]
) -> None:
    """``blur_plane`` on each plane, on two threads where there are two cores: the first
    plane (Y) is split into two horizontal bands, one per thread, and the others shared out
    (the same bytes as one thread)."""
    pool = _helper()
    y, rest = planes[0], list(zip(planes[1:], radii[1:], outs[1:], strict=True))
    h = y.shape[0]
    if pool is None or h < 64 or round(radii[0]) * 2 + 1 <= 1:
        for src, r, dst in zip(planes, radii, outs, strict=True):
            blur_plane(src, r, dst)
        return
    mid = h // 2

    def second() -> None:
        blur_rows(y, radii[0], outs[0], mid, h)
        for src, r, dst in rest[1::2]:
            blur_plane(src, r, dst)

    job = pool.submit(second)
    try:
        blur_rows(y, radii[0], outs[0], 0, mid)
        for src, r, dst in rest[0::2]:
            blur_plane(src, r, dst)
    finally:
        job.result()


class BlurFilter(Filter):
    id = "studio.blur"
    name = "Blur"
    description = (
        "Softens the whole frame. The radius is in pixels of a 1080-wide frame, so preview matches export."
    )
    category = "Blur & sharpen"
    layout = I420
    deep = True
    params = (
        FloatParam(
            "radius",
            default=0.0,
            minimum=0.0,
            maximum=200.0,
            display_max=60.0,
            unit="px",
            help="How far each pixel spreads.",
        ),
    )

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["radius"] * self.ctx.scale < 0.5

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        out = np.empty_like(image)
        radius = values["radius"] * self.ctx.scale
        blur_planes(i420_planes(image), (radius, radius / 2, radius / 2), i420_planes(out))
        return out


class SharpenFilter(Filter):
    id = "studio.sharpen"
    name = "Sharpen"
    description = "Unsharp mask on brightness only (colour edges stay clean)."
    category = "Blur & sharpen"
    layout = I420
    deep = True
    params = (
        FloatParam("amount", default=0.0, minimum=0.0, maximum=5.0, display_max=2.0, help="Strength; 1 doubles local contrast at edges."),
        FloatParam("radius", default=1.5, minimum=0.5, maximum=20.0, unit="px", help="Size of the detail that is sharpened."),
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["amount"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        out = image.copy()
        y = i420_planes(image)[0]
        sigma = max(values["radius"] * self.ctx.scale, 0.3)
        soft = cv2.GaussianBlur(y, (0, 0), sigma)
        amount = values["amount"]
        dst = i420_planes(out)[0]
        cv2.addWeighted(y, 1.0 + amount, soft, -amount, 0.0, dst=dst)
        if image.dtype == np.uint16:
            np.minimum(dst, 1023, out=dst)
        return out
