"""Small array helpers shared by the built-in filters (and handy for plugins)."""

from __future__ import annotations

import numpy as np


def i420_planes(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of a (h*3/2, w) I420 buffer; writes go into ``buf``."""
    h = buf.shape[0] * 2 // 3
    w = buf.shape[1]
    chroma = buf[h:].reshape(-1)
    quarter = (h // 2) * (w // 2)
    return buf[:h], chroma[:quarter].reshape(h // 2, w // 2), chroma[quarter:].reshape(h // 2, w // 2)


def table(values: np.ndarray, low: int = 0, high: int = 255) -> np.ndarray:
    """A 256-entry uint8 lookup table from float values (rounded, clipped)."""
    return np.clip(np.rint(values), low, high).astype(np.uint8)


DEEP_CODES = 1024  # 10-bit codes of the HDR export's deep frames


def deep_table(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """A 1024-entry uint16 lookup table for 10-bit codes from float values (rounded, clipped)."""
    return np.clip(np.rint(values), low, high).astype(np.uint16)


def apply_deep_table(lut: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
    """``dst = lut[src]`` for a uint16 plane of 10-bit codes (a code above 1023 reads entry 1023)."""
    np.take(lut, src, out=dst, mode="clip")


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / max(edge1 - edge0, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
