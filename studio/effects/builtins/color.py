"""``studio.color``: exposure, brightness, contrast, saturation, temperature and tint.

Everything is a per-plane 256-entry table on the I420 planes of the working space (BT.709
limited range: luma maths on Y 16..235, chroma scaled around 128 and clipped to 16..240), so
there is no RGB conversion. Tables are cached per parameter set, and each plane's table is
applied by the cheapest method that reproduces it (:class:`_PlaneOp`): a fill (saturation 0),
a clip (luma at rest), or the input clipped then one ``cv2.convertScaleAbs`` pass; ``cv2.LUT``
(a scalar look-up per byte, the slowest) only where none of those does. Equal U and V tables
are one pass over both chroma planes. The fused ONNX path (``studio.effects.fused``) does the
same affine maths in float32.

On the HDR export's 10-bit frames (``deep``) the same maths run on 10-bit codes (Y 64..940,
chroma 64..960 around 512: every 8-bit code times 4) through 1024-entry tables.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from studio.effects.api import I420, Filter, FloatParam
from studio.effects.imaging import DEEP_CODES, apply_deep_table, deep_table, i420_planes, table

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


# offsets tried on top of b for the single-pass affine: OpenCV computes a*x + b in float32, so
# an exact half (or a value just beside one) can round the other way than the float64 table
_NUDGES = (0.0, 1e-4, -1e-4, 3e-4, -3e-4, 1e-3, -1e-3)


@dataclass(frozen=True)
class _Scale:
    """``cv2.convertScaleAbs`` (``saturate(|a*x + offset|)``, one SIMD pass) on the input first
    clipped to ``low..high`` (so that no result is negative and the absolute value is a no-op),
    then, when ``post_clip``, clipped to the table's range."""

    low: int
    high: int
    offset: float
    post_clip: bool


class _PlaneOp:
    """One 256-entry table applied to a plane, by the cheapest method that gives the table's
    bytes on the probes (every code, in every SIMD lane and in the scalar tail):

    * ``fill``: a constant table (saturation 0 on the chroma) - one write pass;
    * ``clip``: ``np.clip`` alone (a=1, b=0: luma at rest) - one pass;
    * ``scale``: :class:`_Scale` - two SIMD passes (three with the final clip), the second and
      third in place on data still in cache. OpenCV's maths are float32: an exact half
      (a*x + b = k + 0.5, which the table's float64 maths rounded up or down by their own
      rounding error) may round the other way, so at such codes only the result may be one code
      off the table (either neighbour is a correct rounding of the exact value);
    * ``affine``: ``cv2.addWeighted`` then ``np.clip`` (two passes, the first slower);
    * ``lut``: ``cv2.LUT``, which always gives the table (slowest: a scalar look-up per byte).
    """

    def __init__(self, lut: np.ndarray, a: float, b: float, lo: int, hi: int) -> None:
        self.lut, self.a, self.b, self.lo, self.hi = lut, a, b, lo, hi
        self.scale: _Scale | None = None
        self.method = "lut"
        if (lut == lut[0]).all():
            self.method = "fill"
        elif a == 1.0 and b == 0.0:
            self.method = "clip" if self._matches("clip") else "lut"
        else:
            self.scale = self._find_scale()
            if self.scale is not None:
                self.method = "scale"
            elif self._matches("affine"):
                self.method = "affine"

    @property
    def fast(self) -> bool:
        return self.method != "lut"

    def _find_scale(self) -> _Scale | None:
        if not self.a > 0 or (np.diff(self.lut.astype(np.int16)) < 0).any():
            return None
        codes = np.arange(256)
        exact = codes * self.a + self.b
        # without the final clip: the last code still on the bottom value, the first already on
        # the top one; with it: the first code whose result is not negative
        options = [
            (int(codes[self.lut == self.lut[0]].max()), int(codes[self.lut == self.lut[255]].min()), False),
            (int(codes[exact >= -0.25].min(initial=255)), 255, True),
        ]
        ties = np.abs(exact - np.floor(exact) - 0.5) < 1e-9
        for tolerant in (False, True):
            if tolerant and not ties.any():
                break
            for low, high, post_clip in options:
                for nudge in _NUDGES if not tolerant else (0.0,):
                    self.scale = _Scale(low, high, self.b + nudge, post_clip)
                    if self._matches("scale", ties if tolerant else None):
                        return self.scale
        self.scale = None
        return None

    def _matches(self, method: str, ties: np.ndarray | None = None) -> bool:
        """Whether ``method`` gives the table's bytes on every probe (off by at most one at
        the codes flagged in ``ties``)."""
        for probe in _PROBES:
            got = self._run(method, probe, np.empty_like(probe)).astype(np.int16)
            want = self.lut[probe].astype(np.int16)
            allowed = 0 if ties is None else ties[probe]
            if (np.abs(got - want) > allowed).any():
                return False
        return True

    def _run(self, method: str, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        if method == "fill":
            dst.fill(self.lut[0])
        elif method == "clip":
            np.clip(src, self.lo, self.hi, out=dst)
        elif method == "scale":
            sc = self.scale
            assert sc is not None
            if sc.low > 0 or sc.high < 255:
                np.clip(src, sc.low, sc.high, out=dst)
                src = dst
            cv2.convertScaleAbs(src, dst, self.a, sc.offset)
            if sc.post_clip:
                np.clip(dst, self.lo, self.hi, out=dst)
        elif method == "affine":
            cv2.addWeighted(src, self.a, src, 0.0, self.b, dst=dst)
            np.clip(dst, self.lo, self.hi, out=dst)
        else:
            cv2.LUT(src, self.lut, dst=dst)
        return dst

    def apply(self, src: np.ndarray, dst: np.ndarray) -> None:
        self._run(self.method, src, dst)


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


@functools.lru_cache(maxsize=16)
def _deep_tables(
    exposure: float, brightness: float, contrast: float, saturation: float, temperature: float, tint: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y, U, V) 1024-entry tables for 10-bit codes: the 8-bit maths with every code times 4."""
    ramp = np.arange(DEEP_CODES, dtype=np.float64)
    a, b = luma_affine(exposure, brightness, contrast)
    du, dv = chroma_shift(temperature, tint)
    centred = ramp - 512.0
    return (
        deep_table(ramp * a + 4.0 * b, 64, 940),
        deep_table(512.0 + centred * saturation + 4.0 * du, 64, 960),
        deep_table(512.0 + centred * saturation + 4.0 * dv, 64, 960),
    )


class ColorFilter(Filter):
    id = "studio.color"
    name = "Colour"
    description = "Basic grade: exposure in stops, brightness, contrast, saturation, white balance."
    category = "Colour"
    layout = I420
    deep = True
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
        if image.dtype == np.uint16:
            tables = _deep_tables(
                values["exposure"], values["brightness"], values["contrast"],
                values["saturation"], values["temperature"], values["tint"],
            )  # fmt: skip
            for lut, src, dst in zip(tables, i420_planes(image), i420_planes(out), strict=True):
                apply_deep_table(lut, src, dst)
            return out
        oy, ou, ov = _plan(
            values["exposure"], values["brightness"], values["contrast"],
            values["saturation"], values["temperature"], values["tint"],
        )  # fmt: skip

        def chroma() -> None:
            if ov is None:
                ou.apply(image[h:], out[h:])
            else:
                _, u, v = i420_planes(image)
                _, dst_u, dst_v = i420_planes(out)
                ou.apply(u, dst_u)
                ov.apply(v, dst_v)

        # One thread: the passes are memory-bound, and a second one measured faster only while
        # the other core was idle (slower while it was busy, as in an export).
        oy.apply(image[:h], out[:h])
        chroma()
        return out
