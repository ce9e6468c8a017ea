"""The filter browser's thumbnails, worker side: each filter applied to a picture (the clip's
frame at the playhead through the media cache, or a generated sample), at settings that show it
doing something (a part of :class:`~studio.ui.editor.effects.panel.EffectsPanel`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtGui import QImage

from studio.core.frame import Frame
from studio.effects.api import ChoiceParam, Filter, FloatParam
from studio.effects.registry import BUILTIN, Registry
from studio.jobs.runner import JobContext
from studio.media.cache import MediaCache

log = logging.getLogger(__name__)

THUMB_W, THUMB_H = 72, 128


def sample_image(width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
    """A small vertical picture with sky, sun, a face-like shape and saturated patches, so
    colour, blur, vignette and grain all show what they do (RGB uint8)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    fy, fx = ys / height, xs / width
    img = np.zeros((height, width, 3), np.float32)
    img[..., 0] = 70 + 150 * fy
    img[..., 1] = 120 + 70 * fy
    img[..., 2] = 230 - 110 * fy
    sun = (fx - 0.75) ** 2 + ((fy - 0.15) * height / width) ** 2 < 0.012
    img[sun] = (255, 230, 120)
    face = ((fx - 0.45) / 0.22) ** 2 + ((fy - 0.42) * height / width / 0.26) ** 2 < 1.0
    img[face] = (224, 172, 140)
    for ex in (0.37, 0.53):
        eye = (fx - ex) ** 2 + ((fy - 0.4) * height / width) ** 2 < 0.0012
        img[eye] = (40, 30, 30)
    ground = fy > 0.72 + 0.05 * np.sin(fx * 6.0)
    img[ground] = np.stack([40 + 20 * fx, 150 - 40 * fy, 60 + 0 * fx], -1)[ground]
    for i, color in enumerate(((220, 40, 40), (250, 200, 30), (40, 90, 220))):
        x0 = int(width * (0.08 + 0.3 * i))
        img[int(height * 0.84) : int(height * 0.94), x0 : x0 + width // 4] = color
    return np.clip(img, 0, 255).astype(np.uint8)


def fit_thumbnail(rgb: np.ndarray, width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
    """Crop ``rgb`` to the thumbnail's shape (centre) and scale it down."""
    import cv2

    h, w = rgb.shape[:2]
    target = width / height
    if w / h > target:
        cw = max(2, round(h * target))
        rgb = rgb[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = max(2, round(w / target))
        rgb = rgb[(h - ch) // 2 : (h - ch) // 2 + ch]
    return cv2.resize(np.ascontiguousarray(rgb), (width, height), interpolation=cv2.INTER_AREA)


def showcase_values(cls: type[Filter]) -> list[dict[str, Any]]:
    """Settings to try, in order, for a thumbnail that shows the filter doing something: most
    filters do nothing at their defaults (amount 0), so strengths sitting at the bottom of
    their range go to 60 %, a "none" choice goes to the next one, and as a last resort the
    first number goes to 75 % of its range."""
    base = cls.defaults()
    first = dict(base)
    for p in cls.params:
        if isinstance(p, FloatParam):
            low, high = p.slider_range
            if low == p.default and high > low and high - low < 1e6:
                first[p.name] = low + 0.6 * (high - low)
    second = dict(first)
    for p in cls.params:
        if isinstance(p, ChoiceParam) and p.default == "none" and len(p.choices) > 1:
            second[p.name] = next(c for c in p.choices if c != "none")
    third = dict(second)
    floats = [p for p in cls.params if isinstance(p, FloatParam)]
    if floats:
        low, high = floats[0].slider_range
        if high > low and high - low < 1e6:
            third[floats[0].name] = low + 0.75 * (high - low)
    out: list[dict[str, Any]] = []
    for candidate in (first, second, third):
        if candidate not in out:
            out.append(candidate)
    return out


def render_filter_thumbnails(
    ctx: JobContext, classes: Sequence[type[Filter]], image: np.ndarray, registry: Registry
) -> dict[str, np.ndarray]:
    """Each filter applied to ``image`` (worker side). A filter that fails gets no entry.

    Every filter runs through a scratch registry holding only itself (same origin, so plugins
    stay isolated on their worker thread): a plugin that fails on the preview picture is not
    disabled for the session by a thumbnail.
    """
    from studio.effects.chain import build_chain

    frame = Frame.from_rgb(image)
    out: dict[str, np.ndarray] = {}
    for i, cls in enumerate(classes):
        ctx.check()
        ctx.progress(i / max(1, len(classes)), cls.name or cls.id)
        status = registry.status(cls.id)
        scratch = Registry()
        scratch.register(cls, status.origin if status else BUILTIN, status.source if status else "")
        result, failed = image, False
        try:
            for values in showcase_values(cls):
                ref = {"id": cls.id, "params": values, "version": cls.version}
                with build_chain(
                    [ref], width=frame.width, height=frame.height, fps=30.0, registry=scratch, fuse="never"
                ) as chain:
                    rendered = chain.process(frame, 0.0).as_rgb()
                    failed = bool(chain.problems)
                if failed:
                    break
                result = rendered
                if not np.array_equal(rendered, image):
                    break
        except Exception as exc:
            log.info("no thumbnail for %s: %s", cls.id, exc)
            continue
        if not failed:
            out[cls.id] = np.ascontiguousarray(result)
    return out


def _source_picture(
    cache: MediaCache, path: str, t: float, span: tuple[float, float], ctx: JobContext
) -> tuple[np.ndarray, bool]:
    """Worker side: the clip's picture at ``t`` for the filter thumbnails, through the media
    cache (``representative_rgb``: the frame, or a non-black one of the clip, and which)."""
    from studio.ui.editor.representative_frame import representative_rgb

    def make(p: str) -> dict[str, np.ndarray]:
        rgb, at_time = representative_rgb(p, t, span, (THUMB_W * 2, THUMB_H * 2), ctx.check)
        return {"rgb": rgb, "at_time": np.array(at_time)}

    params = (round(t, 3), round(span[0], 3), round(span[1], 3), THUMB_W * 2, THUMB_H * 2)
    value = cache.get(path, "filter-source", params, make)
    assert isinstance(value, dict)
    return value["rgb"], bool(value["at_time"])


def _qimage(rgb: np.ndarray) -> QImage:
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
