"""Transitions between two full-canvas I420 frames.

Timing is the model's (``VideoClip.transition_progress``): the incoming clip pre-rolls over the
last ``d`` seconds of the previous one. The compositor draws both over what lies below and hands
the two buffers here with the progress p (0 -> 1).
"""

from __future__ import annotations

import numpy as np

from studio.render.yuv import black_i420, mix, planes_of

KINDS = ("crossfade", "dip_to_black", "slide")


def progress(t: float, start: float, duration: float) -> float:
    """0 at the transition's start, 1 at its end (clamped)."""
    if duration <= 0:
        return 1.0
    return min(1.0, max(0.0, (t - start) / duration))


def apply(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    p: float,
    width: int,
    height: int,
    direction: str = "left",
    bits: int = 8,
) -> np.ndarray:
    """The frame at progress ``p`` of a ``kind`` transition from ``a`` to ``b`` (new buffer or b).

    ``direction`` (slide only) is the way the incoming clip moves: "left" enters from the right.
    ``bits``: 10 for deep (uint16 HLG) buffers, whose black is 64/512.
    """
    if p >= 1.0:
        return b
    if kind == "crossfade":
        return mix(a, b, p)
    if kind == "dip_to_black":
        black = black_i420(width, height, bits)
        if p < 0.5:
            return mix(a, black, p * 2.0)
        return mix(black, b, (p - 0.5) * 2.0)
    if kind == "slide":
        return _slide(a, b, p, width, height, direction)
    raise ValueError(f"unknown transition '{kind}' (choose from {', '.join(KINDS)})")


def _slide(a: np.ndarray, b: np.ndarray, p: float, width: int, height: int, direction: str) -> np.ndarray:
    """``b`` pushes ``a`` out of the frame, moving towards ``direction``."""
    horizontal = direction in ("left", "right")
    span = width if horizontal else height
    shift = round(p * span / 2.0) * 2
    out = np.empty_like(a)
    for po, pa, pb in zip(
        planes_of(out, width, height), planes_of(a, width, height), planes_of(b, width, height), strict=True
    ):
        if not horizontal:
            po, pa, pb = po.T, pa.T, pb.T
        n = pa.shape[1]
        s = shift * n // span
        if direction in ("left", "up"):
            po[:, : n - s] = pa[:, s:]
            po[:, n - s :] = pb[:, :s]
        else:
            po[:, s:] = pa[:, : n - s]
            po[:, :s] = pb[:, n - s :]
    return out
