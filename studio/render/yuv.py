"""Compositing straight on I420 buffers: placement (fit/fill/crop + transform), blends, black.

Frames stay planar YUV 4:2:0 end to end: each plane is resized with ``cv2.resize`` (luma at full
size, chroma at half), so a frame is never converted to RGB for compositing. Placement offsets are
kept even so that luma and chroma stay aligned. The same code composites deep frames (uint16
10-bit HLG, the HDR export): every buffer keeps the dtype of what it was made from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from studio.core.colour import i420_planes, rgb_to_i420
from studio.core.frame import Frame

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (luma pixels, even)


planes_of = i420_planes  # Y, U, V views of an I420 buffer of shape (h*3/2, w)


def rgb_to_i420_bt709(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB (even size) -> working-space I420 (BT.709 limited range, what the output
    is tagged as), for sprites and colours converted once (text, background):
    ``studio.core.colour.rgb_to_i420``, the one conversion every frame uses."""
    return rgb_to_i420(np.ascontiguousarray(rgb))


def deep_i420(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB (even size) -> deep I420 (10-bit HLG, ``studio.media.hlg.sdr_to_i420``):
    sprites and colours placed in an HDR export by the BT.2408 mapping."""
    from studio.media.hlg import sdr_to_i420

    return sdr_to_i420(np.ascontiguousarray(rgb))


def sprite_i420(rgb: np.ndarray, deep: bool = False) -> np.ndarray:
    """An RGB sprite or colour in the space of the frames it goes on (working, or deep)."""
    return deep_i420(rgb) if deep else rgb_to_i420_bt709(rgb)


def black_i420(width: int, height: int, bits: int = 8) -> np.ndarray:
    return Frame.black(width, height, bits).as_i420()


@dataclass(frozen=True)
class Placement:
    """Where a source lands on the canvas.

    Without rotation: ``src`` (float source rect, x0 y0 x1 y1) is resized onto ``dst`` (even canvas
    rect), both already clipped to what is visible. With rotation: ``matrix`` maps source (crop
    region) coordinates to canvas coordinates for ``cv2.warpAffine``.
    """

    src: tuple[float, float, float, float]
    dst: Rect
    matrix: np.ndarray | None = None
    covers_canvas: bool = False

    @property
    def visible(self) -> bool:
        return self.dst[2] > self.dst[0] and self.dst[3] > self.dst[1]


def compute_placement(
    src_w: int,
    src_h: int,
    canvas_w: int,
    canvas_h: int,
    *,
    fit: str = "fill",
    x: float = 0.5,
    y: float = 0.5,
    scale: float = 1.0,
    rotation: float = 0.0,
    crop: tuple[float, float, float, float] | None = None,
) -> Placement:
    """Place a ``src_w`` x ``src_h`` source on the canvas.

    ``fit`` "fit" shows the whole source (letterbox), "fill" and "crop" cover the canvas;
    ``crop`` (normalised x, y, w, h of the source) narrows the source first. ``x``/``y`` are the
    centre in canvas fractions, ``scale`` multiplies the fit scale, ``rotation`` is in degrees.
    """
    cx0, cy0, cw_, ch_ = 0.0, 0.0, float(src_w), float(src_h)
    if crop is not None:
        nx, ny, nw, nh = crop
        cx0, cy0 = nx * src_w, ny * src_h
        cw_, ch_ = max(1.0, nw * src_w), max(1.0, nh * src_h)
    base = min(canvas_w / cw_, canvas_h / ch_) if fit == "fit" else max(canvas_w / cw_, canvas_h / ch_)
    s = base * scale
    if s <= 0:
        return Placement((0, 0, 0, 0), (0, 0, 0, 0))
    centre_x, centre_y = x * canvas_w, y * canvas_h
    if rotation % 360.0:
        theta = math.radians(rotation)
        cos, sin = math.cos(theta) * s, math.sin(theta) * s
        # source point p (in the crop region, origin at its centre) -> R*s*p + centre
        ox, oy = cx0 + cw_ / 2.0, cy0 + ch_ / 2.0
        m = np.array(
            [
                [cos, -sin, centre_x - cos * ox + sin * oy],
                [sin, cos, centre_y - sin * ox - cos * oy],
            ],
            np.float64,
        )
        half_w = (abs(cos) * cw_ + abs(sin) * ch_) / 2.0
        half_h = (abs(sin) * cw_ + abs(cos) * ch_) / 2.0
        dst = _even_rect(
            centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h, canvas_w, canvas_h
        )
        return Placement((cx0, cy0, cx0 + cw_, cy0 + ch_), dst, matrix=m)
    dw, dh = cw_ * s, ch_ * s
    left, top = centre_x - dw / 2.0, centre_y - dh / 2.0
    dst = _even_rect(left, top, left + dw, top + dh, canvas_w, canvas_h)
    if dst[2] <= dst[0] or dst[3] <= dst[1]:
        return Placement((0, 0, 0, 0), (0, 0, 0, 0))
    src = (
        cx0 + (dst[0] - left) / s,
        cy0 + (dst[1] - top) / s,
        cx0 + (dst[2] - left) / s,
        cy0 + (dst[3] - top) / s,
    )
    src = (max(0.0, src[0]), max(0.0, src[1]), min(float(src_w), src[2]), min(float(src_h), src[3]))
    covers = dst == (0, 0, canvas_w, canvas_h)
    return Placement(src, dst, covers_canvas=covers)


def _even_rect(x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> Rect:
    def ev(v: float, hi: int) -> int:
        return int(min(max(round(v / 2.0) * 2, 0), hi))

    return ev(x0, w), ev(y0, h), ev(x1, w), ev(y1, h)


def _interp(shrink: bool) -> int:
    return cv2.INTER_AREA if shrink else cv2.INTER_LINEAR


def resize_region(frame: Frame, p: Placement) -> Frame:
    """The visible part of ``frame`` resized to the placement's destination size (I420)."""
    y, u, v = frame.planes()
    x0, y0, x1, y1 = p.dst
    dw, dh = x1 - x0, y1 - y0
    sx0, sy0, sx1, sy1 = p.src
    ix0, iy0 = math.floor(sx0) & ~1, math.floor(sy0) & ~1
    ix1 = min(frame.width, (math.ceil(sx1) + 1) & ~1)
    iy1 = min(frame.height, (math.ceil(sy1) + 1) & ~1)
    if (ix0, iy0, ix1, iy1) == (0, 0, frame.width, frame.height) and (dw, dh) == (frame.width, frame.height):
        return frame
    out = np.empty((dh * 3 // 2, dw), y.dtype)
    oy, ou, ov = planes_of(out, dw, dh)
    shrink = (ix1 - ix0) > dw
    interp = _interp(shrink)
    cv2.resize(y[iy0:iy1, ix0:ix1], (dw, dh), dst=oy, interpolation=interp)
    cy = slice(iy0 // 2, max(iy0 // 2 + 1, iy1 // 2))
    cx = slice(ix0 // 2, max(ix0 // 2 + 1, ix1 // 2))
    cv2.resize(u[cy, cx], (dw // 2, dh // 2), dst=ou, interpolation=interp)
    cv2.resize(v[cy, cx], (dw // 2, dh // 2), dst=ov, interpolation=interp)
    return Frame.from_i420(out, dw, dh)


def paste(canvas: np.ndarray, cw: int, ch: int, region: Frame, dst: Rect) -> None:
    """Copy an I420 ``region`` (already dst-sized) into the canvas buffer at ``dst``."""
    x0, y0, x1, y1 = dst
    cy_, cu, cv_ = planes_of(canvas, cw, ch)
    ry, ru, rv = region.planes()
    cy_[y0:y1, x0:x1] = ry
    cu[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = ru
    cv_[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2] = rv


def warp_onto(canvas: np.ndarray, cw: int, ch: int, src: Frame, matrix: np.ndarray) -> None:
    """Rotate/scale ``src`` onto the canvas; pixels outside the source stay as they were."""
    cy_, cu, cv_ = planes_of(canvas, cw, ch)
    sy, su, sv = src.planes()
    cv2.warpAffine(sy, matrix, (cw, ch), dst=cy_, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)
    mc = matrix.copy()
    mc[:, 2] /= 2.0
    for s_plane, d_plane in ((su, cu), (sv, cv_)):
        cv2.warpAffine(
            s_plane,
            mc,
            (cw // 2, ch // 2),
            dst=d_plane,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )


def crop_frame(frame: Frame, rect: tuple[float, float, float, float]) -> Frame:
    """The source's pixels inside ``rect`` (float x0 y0 x1 y1), snapped outward to even pixels."""
    x0, y0, x1, y1 = rect
    ix0, iy0 = int(x0) & ~1, int(y0) & ~1
    ix1 = min(frame.width, (math.ceil(x1) + 1) & ~1)
    iy1 = min(frame.height, (math.ceil(y1) + 1) & ~1)
    if (ix0, iy0, ix1, iy1) == (0, 0, frame.width, frame.height):
        return frame
    y, u, v = frame.planes()
    return Frame.from_planes(
        y[iy0:iy1, ix0:ix1],
        u[iy0 // 2 : iy1 // 2, ix0 // 2 : ix1 // 2],
        v[iy0 // 2 : iy1 // 2, ix0 // 2 : ix1 // 2],
    )


def mix(a: np.ndarray, b: np.ndarray, amount: float) -> np.ndarray:
    """``a`` * (1 - amount) + ``b`` * amount over whole I420 buffers (one cv2 call)."""
    return cv2.addWeighted(a, 1.0 - amount, b, amount, 0.0)


def blend_sprite(
    canvas: np.ndarray,
    cw: int,
    ch: int,
    sprite_planes: tuple[np.ndarray, np.ndarray, np.ndarray],
    alphas: tuple[np.ndarray, np.ndarray],
    left: int,
    top: int,
    opacity: float = 1.0,
) -> None:
    """Alpha-blend a YUV sprite (float alpha 0..1 at luma and chroma size) into the canvas.

    Only the sprite's bounding box (clipped to the canvas) is touched; ``left``/``top`` are even.
    """
    sy, su, sv = sprite_planes
    a_y, a_c = alphas
    h, w = sy.shape
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + w, cw), min(top + h, ch)
    if x1 <= x0 or y1 <= y0 or opacity <= 0.0:
        return
    cy_, cu, cv_ = planes_of(canvas, cw, ch)
    ox, oy = x0 - left, y0 - top
    _blend(
        cy_[y0:y1, x0:x1],
        sy[oy : oy + y1 - y0, ox : ox + x1 - x0],
        a_y[oy : oy + y1 - y0, ox : ox + x1 - x0],
        opacity,
    )
    cx0, cy0, cx1, cy1 = x0 // 2, y0 // 2, x1 // 2, y1 // 2
    ocx, ocy = ox // 2, oy // 2
    ac = a_c[ocy : ocy + cy1 - cy0, ocx : ocx + cx1 - cx0]
    _blend(cu[cy0:cy1, cx0:cx1], su[ocy : ocy + cy1 - cy0, ocx : ocx + cx1 - cx0], ac, opacity)
    _blend(cv_[cy0:cy1, cx0:cx1], sv[ocy : ocy + cy1 - cy0, ocx : ocx + cx1 - cx0], ac, opacity)


def _blend(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray, opacity: float) -> None:
    a = alpha if opacity >= 1.0 else alpha * np.float32(opacity)
    d = dst.astype(np.float32)
    d += (src.astype(np.float32) - d) * a
    np.rint(d, out=d)
    dst[...] = d.astype(dst.dtype)
