"""``studio.color``: exposure, brightness, contrast, saturation, temperature and tint.

Everything is a per-plane 256-entry table applied with ``cv2.LUT`` on the I420 planes, so the
cost is at most three table look-ups per frame and no RGB conversion. Tables are cached per
parameter set; a luma table that only clips (exposure, brightness and contrast at rest) is two
SIMD min/max passes instead of a look-up, and equal U and V tables are one look-up over both
chroma planes. Luma maths happen on limited-range Y (16..235), chroma around 128.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from studio.effects.api import I420, Filter, FloatParam
from studio.effects.imaging import i420_planes, table

_RAMP = np.arange(256, dtype=np.float64)


def luma_affine(exposure: float, brightness: float, contrast: float) -> tuple[float, float]:
    """(a, b) with Y' = a*Y + b before clipping: exposure, brightness and contrast are affine."""
    gain = 2.0**exposure
    a = gain * contrast
    b = 16.0 + 219.0 * ((brightness - 0.5) * contrast + 0.5) - 16.0 * a
    return a, b


def chroma_shift(temperature: float, tint: float) -> tuple[float, float]:
    """(dU, dV): warm moves towards red (+V) and from blue (-U); a positive tint to magenta."""
    return -24.0 * temperature + 16.0 * tint, 24.0 * temperature + 16.0 * tint


def luma_table(exposure: float, brightness: float, contrast: float) -> np.ndarray:
    a, b = luma_affine(exposure, brightness, contrast)
    return table(_RAMP * a + b, 16, 235)


def chroma_tables(saturation: float, temperature: float, tint: float) -> tuple[np.ndarray, np.ndarray]:
    du, dv = chroma_shift(temperature, tint)
    centred = _RAMP - 128.0
    return table(128.0 + centred * saturation + du, 16, 240), table(
        128.0 + centred * saturation + dv, 16, 240
    )


_CODES = np.arange(256, dtype=np.uint8)
# every code in every SIMD lane position (one long row), and every code alone in its row (the
# scalar tail): the fast path is used only when it gives the table's bytes on both
_PROBES = (np.tile(_CODES, 64).reshape(1, -1), np.repeat(_CODES, 2).reshape(256, 2)[:, :1])


class _PlaneOp:
    """One 256-entry table applied to a plane: ``clip(rint(a*x + b), lo, hi)`` with SIMD
    arithmetic (``cv2.addWeighted`` then ``np.clip``; the clip alone when a=1, b=0) when that
    gives exactly the table's bytes, else the table with ``cv2.LUT``."""

    def __init__(self, lut: np.ndarray, a: float, b: float, lo: int, hi: int) -> None:
        self.lut, self.a, self.b, self.lo, self.hi = lut, a, b, lo, hi
        self.fast = all(np.array_equal(self._affine(p, np.empty_like(p)), lut[p]) for p in _PROBES)

    def _affine(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        if self.a == 1.0 and self.b == 0.0:
            return np.clip(src, self.lo, self.hi, out=dst)
        cv2.addWeighted(src, self.a, src, 0.0, self.b, dst=dst)
        return np.clip(dst, self.lo, self.hi, out=dst)

    def apply(self, src: np.ndarray, dst: np.ndarray) -> None:
        if self.fast:
            self._affine(src, dst)
        else:
            cv2.LUT(src, self.lut, dst=dst)


@functools.lru_cache(maxsize=64)
def _plan(
    exposure: float, brightness: float, contrast: float, saturation: float, temperature: float, tint: float
) -> tuple[_PlaneOp, _PlaneOp, _PlaneOp | None]:
    """Cached (Y, U, V) operations for one parameter set; V is None when U's operation is the
    same (one pass over both chroma planes)."""
    a, b = luma_affine(exposure, brightness, contrast)
    oy = _PlaneOp(luma_table(exposure, brightness, contrast), a, b, 16, 235)
    du, dv = chroma_shift(temperature, tint)
    tu, tv = chroma_tables(saturation, temperature, tint)
    base = 128.0 * (1.0 - saturation)
    ou = _PlaneOp(tu, saturation, base + du, 16, 240)
    ov = None if du == dv else _PlaneOp(tv, saturation, base + dv, 16, 240)
    return oy, ou, ov


class ColorFilter(Filter):
    id = "studio.color"
    name = "Colour"
    description = "Basic grade: exposure in stops, brightness, contrast, saturation, white balance."
    category = "Colour"
    layout = I420
    params = (
        FloatParam("exposure", default=0.0, minimum=-4.0, maximum=4.0, display_min=-2.0, display_max=2.0,
                   unit="stops", help="Brightens (+) or darkens (-) like opening the lens; +1 doubles the light."),
        FloatParam("brightness", default=0.0, minimum=-1.0, maximum=1.0, display_min=-0.5, display_max=0.5,
                   help="Adds to every tone (fraction of full white)."),
        FloatParam("contrast", default=1.0, minimum=0.0, maximum=3.0, display_max=2.0,
                   help="1 leaves contrast; above 1 spreads tones from mid grey, below 1 flattens."),
        FloatParam("saturation", default=1.0, minimum=0.0, maximum=3.0, display_max=2.0,
                   help="0 gives black and white, 1 leaves colour, 2 doubles it."),
        FloatParam("temperature", default=0.0, minimum=-1.0, maximum=1.0,
                   help="Warmer (+, towards orange) or cooler (-, towards blue)."),
        FloatParam("tint", default=0.0, minimum=-1.0, maximum=1.0,
                   help="Towards magenta (+) or green (-)."),
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return (
            values["exposure"] == 0.0
            and values["brightness"] == 0.0
            and values["contrast"] == 1.0
            and values["saturation"] == 1.0
            and values["temperature"] == 0.0
            and values["tint"] == 0.0
        )

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        out = np.empty_like(image)
        h = image.shape[0] * 2 // 3
        oy, ou, ov = _plan(
            values["exposure"], values["brightness"], values["contrast"],
            values["saturation"], values["temperature"], values["tint"],
        )  # fmt: skip
        oy.apply(image[:h], out[:h])
        if ov is None:
            ou.apply(image[h:], out[h:])
        else:
            _, u, v = i420_planes(image)
            _, dst_u, dst_v = i420_planes(out)
            ou.apply(u, dst_u)
            ov.apply(v, dst_v)
        return out
