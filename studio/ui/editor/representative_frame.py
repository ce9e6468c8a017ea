"""A picture that represents a clip, for the effect previews: never the black it fades in from.

Worker side only (it decodes): the frame at the asked time unless it is black, else the first
picture that is not black in the clip's first seconds, else the frame a third of the way in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SCAN_SECONDS = 4.0
SCAN_STEP = 0.1
BLACK_LUMA = 28.0  # mean Y (limited range: black is 16)
FLAT_STD = 8.0


def is_black(luma: np.ndarray) -> bool:
    """A frame whose luma plane is dark and nearly flat (a fade, a black leader)."""
    sample = luma[::4, ::4].astype(np.float32)
    return float(sample.mean()) < BLACK_LUMA and float(sample.std()) < FLAT_STD


def _black(frame: Any) -> bool:
    return is_black(frame.planes()[0])


def _scaled(frame: Any, max_size: tuple[int, int]) -> np.ndarray:
    import cv2

    from studio.media.thumbnails import fit_size

    rgb = frame.as_rgb()
    h, w = rgb.shape[:2]
    size = fit_size(w, h, max_size)
    return rgb.copy() if size == (w, h) else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def representative_rgb(
    path: str, t: float, span: tuple[float, float], max_size: tuple[int, int], check: Any = None
) -> tuple[np.ndarray, bool]:
    """(RGB picture, whether it is the frame at ``t``) of ``path``. ``span`` is the clip's
    (in, out) in source seconds; ``check`` (``JobContext.check``) stops a cancelled scan."""
    from studio.media.decode import VideoDecoder

    with VideoDecoder(path, cache_size=0) as decoder:
        shown = decoder.frame_at(t)
        if not _black(shown):
            return _scaled(shown, max_size), True
        begin, end = span
        end = min(end if end > begin else decoder.duration, decoder.duration)
        last = -1.0
        for ft, frame in decoder.frames(begin, min(end, begin + SCAN_SECONDS)):
            if check is not None:
                check()
            if ft - last < SCAN_STEP - 1e-6:
                continue
            last = ft
            if not _black(frame):
                return _scaled(frame, max_size), False
        third = decoder.frame_at(begin + (end - begin) / 3)
        return _scaled(third if not _black(third) else shown, max_size), False
