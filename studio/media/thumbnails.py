"""Small RGB pictures of a clip for the media library and the timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.media.decode import VideoDecoder


def fit_size(width: int, height: int, max_size: tuple[int, int]) -> tuple[int, int]:
    """The largest (w, h) with the same shape as ``width`` x ``height`` inside ``max_size``."""
    scale = min(max_size[0] / width, max_size[1] / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail(path: str | Path, t: float | None = None, max_size: tuple[int, int] = (180, 320)) -> np.ndarray:
    """An HxWx3 uint8 RGB picture of the frame at ``t`` (default: a third in, at most 1 s), upright.

    Raises MediaError for files without a picture.
    """
    import cv2

    with VideoDecoder(path, cache_size=0) as decoder:
        if t is None:
            t = min(1.0, decoder.duration / 3)
        rgb = decoder.frame_at(t).as_rgb()
    h, w = rgb.shape[:2]
    size = fit_size(w, h, max_size)
    if size == (w, h):
        return rgb.copy()
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
