"""``studio.vignette``: darkens the edges. Works on I420 with 8-bit maths and a cached mask.

Scaling RGB by m is exactly (Y-16)*m+16 and (C-128)*m+128 in limited-range YUV, so the
vignette needs no RGB conversion. 10-bit frames (the HDR export) get the same mask in float32
around 64 and 512.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from studio.effects.api import I420, Filter, FloatParam, PointParam
from studio.effects.imaging import i420_planes, smoothstep


@functools.lru_cache(maxsize=8)
def vignette_mask(width: int, height: int, amount: float, size: float, softness: float,
                  cx: float, cy: float) -> np.ndarray:  # fmt: skip
    """uint8 gain 0..255 (255 = unchanged), distance measured on the frame's short side."""
    ys = (np.arange(height, dtype=np.float32) + 0.5 - cy * height) / (min(width, height) / 2)
    xs = (np.arange(width, dtype=np.float32) + 0.5 - cx * width) / (min(width, height) / 2)
    dist = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2) / np.sqrt(
        1.0 + (max(width, height) / min(width, height)) ** 2
    )
    falloff = smoothstep(size, size + max(softness, 0.01), dist)
    return np.clip(np.rint((1.0 - amount * falloff) * 255.0), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def vignette_gain(width: int, height: int, amount: float, size: float, softness: float,
                  cx: float, cy: float) -> np.ndarray:  # fmt: skip
    """The mask as a float32 gain 0..1, for 10-bit frames (the same mask, so both depths agree)."""
    return vignette_mask(width, height, amount, size, softness, cx, cy).astype(np.float32) / np.float32(255.0)


def scale_around_deep(plane: np.ndarray, centre: int, gain: np.ndarray, dst: np.ndarray) -> None:
    """dst = centre + round((plane - centre) * gain) for a uint16 plane of 10-bit codes."""
    scaled = (plane.astype(np.float32) - np.float32(centre)) * gain
    np.rint(scaled, out=scaled)
    scaled += np.float32(centre)
    np.clip(scaled, 0, 1023, out=scaled)
    dst[...] = scaled


def scale_around(plane: np.ndarray, centre: int, gain: np.ndarray, dst: np.ndarray) -> None:
    """dst = centre + (plane - centre) * gain/255, in saturating uint8 arithmetic."""
    up = cv2.multiply(cv2.subtract(plane, centre), gain, scale=1 / 255)
    down = cv2.multiply(cv2.subtract(np.full_like(plane, centre), plane), gain, scale=1 / 255)
    cv2.subtract(cv2.add(up, centre), down, dst=dst)


class VignetteFilter(Filter):
    id = "studio.vignette"
    name = "Vignette"
    description = "Darkens towards the corners to pull the eye to the centre."
    category = "Look"
    layout = I420
    deep = True
    params = (
        FloatParam("amount", default=0.0, minimum=0.0, maximum=1.0, help="How dark the corners get (1 = black)."),
        FloatParam("size", default=0.5, minimum=0.0, maximum=1.0, help="Where darkening starts, from the centre (0) to the corners (1)."),
        FloatParam("softness", default=0.5, minimum=0.0, maximum=1.0, help="How gradual the edge is."),
        PointParam("center", default=(0.5, 0.5), help="Centre of the bright area."),
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["amount"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h = image.shape[0] * 2 // 3
        w = image.shape[1]
        cx, cy = (round(v, 4) for v in values["center"])
        args = (round(values["amount"], 4), round(values["size"], 4), round(values["softness"], 4), cx, cy)
        out = np.empty_like(image)
        y, u, v = i420_planes(image)
        oy, ou, ov = i420_planes(out)
        if image.dtype == np.uint16:
            gain_f, gain_fc = vignette_gain(w, h, *args), vignette_gain(w // 2, h // 2, *args)
            scale_around_deep(y, 64, gain_f, oy)
            scale_around_deep(u, 512, gain_fc, ou)
            scale_around_deep(v, 512, gain_fc, ov)
            return out
        gain = vignette_mask(w, h, *args)
        gain_c = vignette_mask(w // 2, h // 2, *args)
        scale_around(y, 16, gain, oy)
        scale_around(u, 128, gain_c, ou)
        scale_around(v, 128, gain_c, ov)
        return out
