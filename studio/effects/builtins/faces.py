"""Face-driven effects: blur/pixelate faces, stickers that follow a face, auto-reframe.

All three share the per-clip face cache of :mod:`studio.effects.face`, so preview and export
see the same boxes. They are ``temporal``: they follow the faces from frame to frame.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

from studio.core.colour import rgb_to_yuv444
from studio.effects.api import (
    I420,
    BoolParam,
    ChoiceParam,
    FileParam,
    Filter,
    FilterContext,
    FilterError,
    FloatParam,
    IntParam,
    ParamError,
)
from studio.effects.face import FACE_CACHE, ClipFaces, DetectorSettings, FaceBox
from studio.effects.imaging import i420_planes
from studio.resources import resource, shipped

DETECT_EVERY = IntParam(
    "detect_every",
    default=5,
    minimum=1,
    maximum=30,
    help="Run the face detector every N frames; track in between.",
)


class _FaceFilter(Filter):
    temporal = True
    category = "Faces"

    def open(self, ctx: FilterContext) -> None:
        super().open(ctx)
        self._clips: dict[int, ClipFaces] = {}

    def faces(self, image: np.ndarray, t: float, values: Mapping[str, Any]) -> list[FaceBox]:
        """The faces at ``t`` in an I420 buffer: found on its luma (the top 8 bits of a deep one)."""
        luma = i420_planes(image)[0]
        if luma.dtype == np.uint16:
            luma = (luma >> 2).astype(np.uint8)
        every = int(values.get("detect_every", 5))
        clip = self._clips.get(every)
        if clip is None:
            key = self.ctx.clip_key or f"instance-{id(self)}"
            cache_dir = self.ctx.cache_dir if self.ctx.clip_key else ""
            clip = FACE_CACHE.clip(key, DetectorSettings(detect_every=every), cache_dir)
            self._clips[every] = clip
        return clip.boxes_at(luma, t)

    def close(self) -> None:
        for clip in getattr(self, "_clips", {}).values():
            if not self.ctx.clip_key:
                # keyed by this instance's id(), which a later instance may be given
                FACE_CACHE.forget(clip)
            elif self.ctx.cache_dir:
                FACE_CACHE.save(clip, self.ctx.cache_dir)


def _pixelate(plane: np.ndarray, blocks: int) -> None:
    h, w = plane.shape
    if h < 2 or w < 2:
        return
    bw, bh = max(1, min(w, blocks)), max(1, min(h, round(blocks * h / max(w, 1))))
    small = cv2.resize(plane, (bw, bh), interpolation=cv2.INTER_AREA)
    plane[...] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


class FaceBlurFilter(_FaceFilter):
    id = "studio.face-blur"
    name = "Face blur"
    description = "Hides faces with a pixelation or a blur that follows them."
    layout = I420
    deep = True  # 10-bit frames: faces are found on the luma's top 8 bits, hidden in 10 bits
    params = (
        ChoiceParam("style", default="pixelate", choices=("pixelate", "blur"), help="Blocks or a soft blur."),
        FloatParam("strength", default=0.7, minimum=0.0, maximum=1.0, help="How unrecognisable the face gets."),
        FloatParam("padding", default=0.2, minimum=0.0, maximum=1.0, help="Extra margin around each face (of its size)."),
        DETECT_EVERY,
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["strength"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h = image.shape[0] * 2 // 3
        w = image.shape[1]
        boxes = self.faces(image, t, values)
        if not boxes:
            return image
        out = image.copy()
        y, u, v = i420_planes(out)
        for box in boxes:
            x0, y0, x1, y1 = box.pixels(w, h, values["padding"])
            x0, y0, x1, y1 = x0 & ~1, y0 & ~1, x1 & ~1, y1 & ~1
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            regions = (
                (y[y0:y1, x0:x1], 1),
                (u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 2),
                (v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], 2),
            )
            for region, div in regions:
                if values["style"] == "pixelate":
                    _pixelate(region, max(3, round(24 - 20 * values["strength"])) // div + 1)
                else:
                    sigma = max(0.5, values["strength"] * (x1 - x0) / 6 / div)
                    region[...] = cv2.GaussianBlur(region, (0, 0), sigma)
        return out


@functools.lru_cache(maxsize=8)
def load_sticker(path: str) -> np.ndarray:
    """An RGBA uint8 sticker image."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FilterError("studio.face-sticker", f"cannot read the sticker image {path}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGRA)
    elif image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)


@functools.lru_cache(maxsize=1)
def sticker_anchors() -> dict[str, dict[str, Any]]:
    try:
        return json.loads(resource("stickers", "stickers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


ANCHOR_POINTS = ("eyes", "nose", "mouth", "cheeks", "head_top", "face")
LEGACY_ANCHOR: dict[str, Any] = {"width": 1.0, "dy": 0.0}


def sticker_placement(
    box: FaceBox, anchor: Mapping[str, Any], width: int, height: int, values: Mapping[str, Any]
) -> tuple[float, float, float, float]:
    """Where a sticker goes on ``box`` in a ``width`` x ``height`` frame: centre (x, y), width
    in pixels and angle in degrees.

    An anchor from ``stickers.json`` names a landmark (``point``: eyes, nose, mouth, cheeks,
    head_top or face), a ``size`` in inter-ocular distances, an ``offset`` along the face's
    vertical axis in inter-ocular distances (down +) and whether it ``rotate``s with the roll.
    An anchor without ``point`` (your own file, an older stickers.json) is placed the old way:
    ``width`` in face widths and ``dy`` in face heights from the face centre."""
    roll = box.angle if values["follow_rotation"] else 0.0
    fw, fh = box.w * width, box.h * height
    point = anchor.get("point")
    if point is None or point == "face":
        size = fw * float(anchor.get("width", 1.0))
        x, y, shift = box.cx * width, box.cy * height, float(anchor.get("dy", 0.0)) * fh
    else:
        if point not in ANCHOR_POINTS:
            raise ParamError(f"the sticker anchor '{point}' is not one of {', '.join(ANCHOR_POINTS)}")
        iod = box.eye_distance(width, height)
        x, y = box.points(width, height)[point]
        size, shift = iod * float(anchor.get("size", 2.0)), iod * float(anchor.get("offset", 0.0))
        if not anchor.get("rotate", True):
            roll = 0.0
    shift += values["offset_y"] * fh
    rad = math.radians(roll)
    return x - math.sin(rad) * shift, y + math.cos(rad) * shift, size * values["scale"], roll


@functools.lru_cache(maxsize=8)
def sticker_yuva(path: str, to_deep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """The sticker as premultiplied float32 (Y*a, Cb*a, Cr*a, a) in the codes of the frames it
    goes on: the working space's, or with ``to_deep`` (``FilterContext.deep.from_sdr``) the deep
    frames' 10-bit HLG ones. Premultiplied, a transparent pixel weighs nothing when the sticker is
    warped (bilinear) or its chroma averaged over 2x2 blocks, so its edges have no dark or
    coloured fringe."""
    rgba = load_sticker(path)
    rgb = np.ascontiguousarray(rgba[..., :3])
    yuv = np.asarray(to_deep(rgb), np.float32) if to_deep is not None else rgb_to_yuv444(rgb)
    alpha = rgba[..., 3:4].astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(np.concatenate([yuv * alpha, alpha], axis=2))


def paste_sticker(
    buf: np.ndarray, sticker: np.ndarray, cx: float, cy: float, width: float, angle: float
) -> None:
    """Blend the premultiplied ``sticker`` (:func:`sticker_yuva`) into the I420 ``buf`` in place:
    centred at (cx, cy), ``width`` px wide, rotated by ``angle`` degrees clockwise (image
    coordinates). Luma is blended at full size, chroma with the 2x2 average of the warped
    sticker, inside the even-aligned box it covers. ``buf`` may be deep (uint16 10-bit codes)
    with a sticker in those codes."""
    sh, sw = sticker.shape[:2]
    h, w = buf.shape[0] * 2 // 3, buf.shape[1]
    scale = width / sw
    if scale <= 0 or width < 2:
        return
    m = cv2.getRotationMatrix2D((sw / 2, sh / 2), -angle, scale)
    m[:, 2] += (cx - sw / 2, cy - sh / 2)
    corners = np.array([[0, 0, 1], [sw, 0, 1], [0, sh, 1], [sw, sh, 1]], np.float64) @ m.T
    x0, y0 = max(0, math.floor(corners[:, 0].min())) & ~1, max(0, math.floor(corners[:, 1].min())) & ~1
    x1 = min(w, math.ceil(corners[:, 0].max()) + 1) & ~1
    y1 = min(h, math.ceil(corners[:, 1].max()) + 1) & ~1
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    m[:, 2] -= (x0, y0)
    warped = cv2.warpAffine(sticker, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    small = cv2.resize(warped, ((x1 - x0) // 2, (y1 - y0) // 2), interpolation=cv2.INTER_AREA)
    y, u, v = i420_planes(buf)
    regions = (
        (y[y0:y1, x0:x1], warped, 0),
        (u[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], small, 1),
        (v[y0 // 2 : y1 // 2, x0 // 2 : x1 // 2], small, 2),
    )
    top = 1023 if buf.dtype == np.uint16 else 255
    for roi, src, channel in regions:
        blended = roi * (1.0 - src[..., 3]) + src[..., channel]
        roi[...] = np.clip(np.rint(blended), 0, top)


class FaceStickerFilter(_FaceFilter):
    id = "studio.face-sticker"
    name = "Face sticker"
    description = "Puts a sticker on every face; it moves, scales and tilts with the face."
    layout = I420  # blended into the planes: no RGB round trip of the whole frame
    deep = True  # 10-bit frames: the sticker is placed in HLG by the host (FilterContext.deep)
    params = (
        ChoiceParam("sticker", default="sunglasses", choices=("sunglasses", "crown", "heart-eyes", "blush"), help="A sticker that ships with the app."),
        FileParam("file", extensions=(".png",), help="Your own transparent PNG; overrides the sticker (centred on the face)."),
        FloatParam("scale", default=1.0, minimum=0.1, maximum=4.0, display_max=2.0, help="Size relative to the face."),
        FloatParam("offset_y", default=0.0, minimum=-2.0, maximum=2.0, display_min=-1.0, display_max=1.0, help="Moves the sticker up (-) or down (+), in face heights."),
        BoolParam("follow_rotation", default=True, help="Tilt the sticker with the head."),
        DETECT_EVERY,
    )  # fmt: skip

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        boxes = self.faces(image, t, values)
        if not boxes:
            return image
        if values["file"]:
            path, anchor = values["file"], LEGACY_ANCHOR
        else:
            path_obj = shipped("stickers", ".png").get(values["sticker"])
            if path_obj is None:
                raise ParamError(f"the sticker '{values['sticker']}' is not installed")
            path, anchor = str(path_obj), sticker_anchors().get(values["sticker"], LEGACY_ANCHOR)
        to_deep = None
        if image.dtype == np.uint16:
            if self.ctx.deep is None:
                raise FilterError(self.id, "a 10-bit frame came without the host's SDR -> HLG conversion")
            to_deep = self.ctx.deep.from_sdr
        sticker = sticker_yuva(path, to_deep)
        out = image.copy()
        h, w = image.shape[0] * 2 // 3, image.shape[1]
        for box in boxes:
            cx, cy, size, angle = sticker_placement(box, anchor, w, h, values)
            paste_sticker(out, sticker, cx, cy, size, angle)
        return out


ASPECTS = {"9:16": 9 / 16, "4:5": 4 / 5, "1:1": 1.0, "16:9": 16 / 9}


def _shift(plane: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``plane`` moved by (dx, dy) pixels, edges repeated (no black borders)."""
    h, w = plane.shape
    src = plane[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    return cv2.copyMakeBorder(src, max(0, dy), max(0, -dy), max(0, dx), max(0, -dx), cv2.BORDER_REPLICATE)


class ReframeFilter(_FaceFilter):
    """Moves the picture so that a face-following window of the target aspect sits in the
    centre of the frame. With the clip set to *fill* a 9:16 canvas, the visible part is that
    window: a 16:9 interview becomes a vertical video that keeps the speaker in shot."""

    id = "studio.reframe"
    name = "Auto reframe"
    description = "Keeps faces in the centre crop when a wide clip fills a vertical canvas."
    layout = I420
    deep = True  # moves the planes whatever their depth
    params = (
        ChoiceParam("aspect", default="9:16", choices=tuple(ASPECTS), help="Shape of the visible window (the canvas)."),
        FloatParam("smoothness", default=0.5, minimum=0.0, maximum=1.0, help="How calmly the window follows (1 = slow pans)."),
        DETECT_EVERY,
    )  # fmt: skip

    def open(self, ctx: FilterContext) -> None:
        super().open(ctx)
        self._centre: tuple[float, float] | None = None
        self._t = 0.0

    def window(
        self, boxes: list[FaceBox], t: float, width: int, height: int, values: Mapping[str, Any]
    ) -> tuple[float, float]:
        """Smoothed window centre (fractions) for time ``t``; causal, reset after a seek."""
        if boxes:
            weights = np.array([b.w * b.h for b in boxes])
            target = (
                float(np.average([b.cx for b in boxes], weights=weights)),
                float(np.average([b.cy for b in boxes], weights=weights)),
            )
        else:
            target = self._centre or (0.5, 0.5)
        if self._centre is None or t < self._t or t - self._t > 0.5:
            self._centre = target
        else:
            tau = 0.1 + 1.2 * values["smoothness"]
            a = 1.0 - math.exp(-(t - self._t) / tau)
            self._centre = (
                self._centre[0] + a * (target[0] - self._centre[0]),
                self._centre[1] + a * (target[1] - self._centre[1]),
            )
        self._t = t
        return self._centre

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h = image.shape[0] * 2 // 3
        w = image.shape[1]
        aspect = ASPECTS[values["aspect"]]
        ww, wh = (h * aspect, h) if w / h > aspect else (w, w / aspect)
        if ww >= w - 1 and wh >= h - 1:
            return image
        y, u, v = i420_planes(image)
        cx, cy = self.window(self.faces(image, t, values), t, w, h, values)
        wx = min(max(cx * w, ww / 2), w - ww / 2)
        wy = min(max(cy * h, wh / 2), h - wh / 2)
        dx = round((w / 2 - wx) / 2) * 2
        dy = round((h / 2 - wy) / 2) * 2
        if dx == 0 and dy == 0:
            return image
        out = np.empty_like(image)
        oy, ou, ov = i420_planes(out)
        oy[...] = _shift(y, dx, dy)
        ou[...] = _shift(u, dx // 2, dy // 2)
        ov[...] = _shift(v, dx // 2, dy // 2)
        return out
