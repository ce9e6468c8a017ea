"""``studio.blur`` and ``studio.sharpen`` on the I420 planes (sizes scale with the frame)."""

from __future__ import annotations

from collections.abc import Mapping
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


class BlurFilter(Filter):
    id = "studio.blur"
    name = "Blur"
    description = (
        "Softens the whole frame. The radius is in pixels of a 1080-wide frame, so preview matches export."
    )
    category = "Blur & sharpen"
    layout = I420
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
        for src, dst, r in zip(
            i420_planes(image), i420_planes(out), (radius, radius / 2, radius / 2), strict=True
        ):
            blur_plane(src, r, dst)
        return out


class SharpenFilter(Filter):
    id = "studio.sharpen"
    name = "Sharpen"
    description = "Unsharp mask on brightness only (colour edges stay clean)."
    category = "Blur & sharpen"
    layout = I420
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
        cv2.addWeighted(y, 1.0 + amount, soft, -amount, 0.0, dst=i420_planes(out)[0])
        return out
