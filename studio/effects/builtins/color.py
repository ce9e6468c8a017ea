"""``studio.color``: exposure, brightness, contrast, saturation, temperature and tint.

Everything is a per-plane 256-entry table applied with ``cv2.LUT`` on the I420 planes, so the
cost is three table look-ups per frame (about 1 ms at 1080x1920) and no RGB conversion.
Luma maths happen on limited-range Y (16..235), chroma around 128.
"""

from __future__ import annotations

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
        y, u, v = i420_planes(image)
        oy, ou, ov = i420_planes(out)
        ty = luma_table(values["exposure"], values["brightness"], values["contrast"])
        tu, tv = chroma_tables(values["saturation"], values["temperature"], values["tint"])
        cv2.LUT(y, ty, dst=oy)
        cv2.LUT(u, tu, dst=ou)
        cv2.LUT(v, tv, dst=ov)
        return out
