"""``studio.chromakey``: replaces a green/blue screen with a colour or an image.

The key is measured in the chroma plane (distance from the key colour's U/V), so the matte
costs a quarter-resolution computation; it is then upsampled for the luma blend.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from studio.core import colour
from studio.effects.api import I420, ColorParam, FileParam, Filter, FilterError, FloatParam, parse_color
from studio.effects.imaging import i420_planes


def rgb_to_yuv(color: str) -> tuple[float, float, float]:
    """A "#rrggbb" colour as (Y, U, V) codes of the working space (BT.709 limited range)."""
    return colour.rgb_to_yuv(parse_color(color))


@functools.lru_cache(maxsize=4)
def background_i420(path: str, width: int, height: int) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FilterError("studio.chromakey", f"cannot read the background image {path}")
    ih, iw = image.shape[:2]
    scale = max(width / iw, height / ih)
    resized = cv2.resize(
        image, (max(width, round(iw * scale)), max(height, round(ih * scale))), interpolation=cv2.INTER_AREA
    )
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    crop = np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])
    return colour.rgb_to_i420(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))


class ChromaKeyFilter(Filter):
    id = "studio.chromakey"
    name = "Chroma key"
    description = "Removes a green (or any colour) screen and shows a colour or an image behind the subject."
    category = "Composite"
    layout = I420
    params = (
        ColorParam("key_color", default="#00b140", help="The screen colour to remove."),
        FloatParam("threshold", default=0.25, minimum=0.0, maximum=1.0, help="How close to the key a colour must be to vanish."),
        FloatParam("softness", default=0.1, minimum=0.0, maximum=1.0, help="Width of the soft edge of the matte."),
        FloatParam("spill", default=0.5, minimum=0.0, maximum=1.0, help="Removes the screen's colour cast from the edges."),
        ColorParam("background", default="#000000", help="Colour behind the subject (when no image is set)."),
        FileParam("background_image", extensions=(".png", ".jpg", ".jpeg", ".webp"), help="Image behind the subject."),
    )  # fmt: skip

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h = image.shape[0] * 2 // 3
        w = image.shape[1]
        y, u, v = i420_planes(image)
        _, ku, kv = rgb_to_yuv(values["key_color"])
        du = u.astype(np.float32) - ku
        dv = v.astype(np.float32) - kv
        dist = cv2.magnitude(du, dv) / 160.0
        lo = values["threshold"]
        hi = lo + max(values["softness"], 1e-3)
        alpha_c = np.clip((dist - lo) / (hi - lo), 0.0, 1.0)
        if values["background_image"]:
            bg = background_i420(values["background_image"], w, h)
        else:
            by, bu, bv = rgb_to_yuv(values["background"])
            bg = np.empty_like(image)
            bgy, bgu, bgv = i420_planes(bg)
            bgy[...], bgu[...], bgv[...] = round(by), round(bu), round(bv)
        out = np.empty_like(image)
        oy, ou, ov = i420_planes(out)
        bgy, bgu, bgv = i420_planes(bg)
        alpha_y = cv2.resize(alpha_c, (w, h), interpolation=cv2.INTER_LINEAR)
        cv2.blendLinear(y, bgy, alpha_y, 1.0 - alpha_y, dst=oy)
        # Spill: pull the kept pixels' chroma away from the key in proportion to how close they are.
        keep = 1.0 - values["spill"] * (1.0 - np.clip(dist / (hi + 0.3), 0.0, 1.0))
        fu = (128.0 + (u.astype(np.float32) - 128.0) * keep).clip(0, 255)
        fv = (128.0 + (v.astype(np.float32) - 128.0) * keep).clip(0, 255)
        ou[...] = np.rint(fu * alpha_c + bgu * (1.0 - alpha_c))
        ov[...] = np.rint(fv * alpha_c + bgv * (1.0 - alpha_c))
        return out

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return False
