"""``studio.chromakey``: replaces a green/blue screen with a colour or an image.

The key is measured in the chroma plane (distance from the key colour's U/V), so the matte
costs a quarter-resolution computation; it is then upsampled for the luma blend. On the HDR
export's 10-bit frames the distance is measured on the chroma the SDR preview's tone mapping
gives them (the key colour is an SDR colour, picked against the preview), so the matte is the
one the preview showed; the picture and the background (placed in HLG like text) stay 10-bit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
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
    return colour.rgb_to_i420(background_rgb(path, width, height))


@functools.lru_cache(maxsize=2)
def background_rgb(path: str, width: int, height: int) -> np.ndarray:
    """The background image as RGB, scaled and centre-cropped to fill ``width`` x ``height``."""
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
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


def deep_background(
    values: Mapping[str, Any], width: int, height: int, from_sdr: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """The background as a deep I420 buffer: the colour, or the image (cropped to fill, as
    :func:`background_i420`), placed in HLG by the host's ``from_sdr``."""
    path = values["background_image"]
    if path:
        return _deep_image(path, width, height, from_sdr)
    return _deep_colour(values["background"], width, height, from_sdr)


@functools.lru_cache(maxsize=4)
def _deep_colour(
    color: str, width: int, height: int, from_sdr: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    yuv = from_sdr(np.array([[parse_color(color)]], np.uint8))[0, 0]
    out = np.empty((height * 3 // 2, width), np.uint16)
    y, u, v = i420_planes(out)
    y[...], u[...], v[...] = (int(np.clip(np.rint(c), 0, 1023)) for c in yuv)
    return out


@functools.lru_cache(maxsize=2)
def _deep_image(
    path: str, width: int, height: int, from_sdr: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    return colour.yuv444_to_i420(from_sdr(background_rgb(path, width, height)), 10)


class ChromaKeyFilter(Filter):
    id = "studio.chromakey"
    name = "Chroma key"
    description = "Removes a green (or any colour) screen and shows a colour or an image behind the subject."
    category = "Composite"
    layout = I420
    deep = True  # 10-bit frames: keyed on the SDR view's chroma, composited in HLG
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
        deep = image.dtype == np.uint16
        if deep:
            host = self.ctx.deep
            if host is None:
                raise FilterError(self.id, "a 10-bit frame came without the host's HLG <-> SDR conversions")
            cu, cv = host.sdr_chroma(image)  # the key is matched as the SDR preview shows it
        else:
            cu, cv = u.astype(np.float32), v.astype(np.float32)
        _, ku, kv = rgb_to_yuv(values["key_color"])
        dist = cv2.magnitude(cu - np.float32(ku), cv - np.float32(kv)) / 160.0
        lo = values["threshold"]
        hi = lo + max(values["softness"], 1e-3)
        alpha_c = np.clip((dist - lo) / (hi - lo), 0.0, 1.0)
        if deep:
            assert self.ctx.deep is not None
            bg = deep_background(values, w, h, self.ctx.deep.from_sdr)
        elif values["background_image"]:
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
        top, centre = (1023.0, 512.0) if deep else (255.0, 128.0)
        if deep:
            oy[...] = np.rint(y * alpha_y + bgy * (1.0 - alpha_y))
        else:
            cv2.blendLinear(y, bgy, alpha_y, 1.0 - alpha_y, dst=oy)
        # Spill: pull the kept pixels' chroma away from the key in proportion to how close they are.
        keep = 1.0 - values["spill"] * (1.0 - np.clip(dist / (hi + 0.3), 0.0, 1.0))
        fu = (centre + (u.astype(np.float32) - centre) * keep).clip(0, top)
        fv = (centre + (v.astype(np.float32) - centre) * keep).clip(0, top)
        ou[...] = np.rint(fu * alpha_c + bgu * (1.0 - alpha_c))
        ov[...] = np.rint(fv * alpha_c + bgv * (1.0 - alpha_c))
        return out

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return False
