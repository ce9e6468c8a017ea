"""The one place where Y'CbCr meets R'G'B': matrices, ranges and the working space.

Every frame inside the editor (decoder output, filters, compositor, encoder input) is in one
**working space**: I420 with the BT.709 matrix, limited ("tv") range, 8 bits; its RGB face,
what RGB filters get and what the preview draws, is BT.709 primaries with the BT.709/sRGB
transfer, full range (0..255). The export is tagged for exactly that (bt709 / tv), so a player
shows the exported file as the preview showed it. Sources are brought into the working space
once, at decode (:func:`convert_i420`, from their own matrix and range; ``studio.media.colour``
reads the tags).

Conversions (both directions) are a 3x3 matrix with ``cv2.transform`` on the planes:

* I420 -> RGB repeats each chroma sample over its 2x2 block (nearest), as OpenCV's own
  ``COLOR_YUV2RGB_I420`` does, so ``rgb_to_i420(i420_to_rgb(x))`` gives ``x`` back within
  rounding and an RGB filter that changes nothing changes nothing;
* RGB -> I420 computes Y'CbCr at full size and averages chroma over each 2x2 block.

``bench/colour.py`` measures this against OpenCV's BT.601 ``cvtColor`` and swscale.
This module does no I/O.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# luma coefficients (Kr, Kb) of each matrix; Kg = 1 - Kr - Kb
MATRICES: dict[str, tuple[float, float]] = {
    "bt601": (0.299, 0.114),
    "bt709": (0.2126, 0.0722),
    "bt2020": (0.2627, 0.0593),
}


@dataclass(frozen=True)
class YuvSpace:
    """A Y'CbCr encoding: which matrix, and full (0..255) or limited (16..235/240) range."""

    matrix: str = "bt709"
    full_range: bool = False

    def __post_init__(self) -> None:
        if self.matrix not in MATRICES:
            raise ValueError(f"unknown YUV matrix {self.matrix!r}; one of {sorted(MATRICES)}")


WORKING = YuvSpace("bt709", False)
BT601 = YuvSpace("bt601", False)


def _scales(full_range: bool, bits: int = 8) -> tuple[float, float, float, float]:
    """(luma offset, luma span, chroma centre, chroma span) in code values of ``bits``."""
    k = float(1 << (bits - 8))
    if full_range:
        top = float((1 << bits) - 1)
        return 0.0, top, 128.0 * k, top
    return 16.0 * k, 219.0 * k, 128.0 * k, 224.0 * k


@functools.lru_cache(maxsize=16)
def rgb_to_yuv_matrix(space: YuvSpace, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(M, offset): ``yuv = M @ rgb + offset`` for R'G'B' in 0..1, codes of ``bits``."""
    kr, kb = MATRICES[space.matrix]
    kg = 1.0 - kr - kb
    y0, ys, c0, cs = _scales(space.full_range, bits)
    m = np.array(
        [
            [kr * ys, kg * ys, kb * ys],
            [-kr / (2 * (1 - kb)) * cs, -kg / (2 * (1 - kb)) * cs, 0.5 * cs],
            [0.5 * cs, -kg / (2 * (1 - kr)) * cs, -kb / (2 * (1 - kr)) * cs],
        ]
    )
    return m, np.array([y0, c0, c0])


@functools.lru_cache(maxsize=16)
def yuv_to_rgb_matrix(space: YuvSpace, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(Minv, offset): ``rgb = Minv @ (yuv - offset)``, R'G'B' in 0..1."""
    m, off = rgb_to_yuv_matrix(space, bits)
    return np.linalg.inv(m), off


@functools.lru_cache(maxsize=16)
def _to_rgb_transform(space: YuvSpace) -> np.ndarray:
    """3x4 affine for ``cv2.transform``: YUV codes -> RGB 0..255."""
    inv, off = yuv_to_rgb_matrix(space)
    m = inv * 255.0
    return np.hstack([m, -(m @ off)[:, None]]).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _to_yuv_transform(space: YuvSpace) -> np.ndarray:
    """3x4 affine for ``cv2.transform``: RGB 0..255 -> YUV codes."""
    m, off = rgb_to_yuv_matrix(space)
    return np.hstack([m / 255.0, off[:, None]]).astype(np.float32)


def i420_planes(buf: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of a (h*3/2, w) I420 buffer."""
    chroma = buf[height:].reshape(-1)
    quarter = (height // 2) * (width // 2)
    return (
        buf[:height],
        chroma[:quarter].reshape(height // 2, width // 2),
        chroma[quarter:].reshape(height // 2, width // 2),
    )


# a pixel of k bytes, widened to 2k bytes and multiplied by 1 + 2**(8k), holds itself twice
_WIDER: dict[int, tuple[type[np.unsignedinteger], type[np.unsignedinteger]]] = {
    1: (np.uint8, np.uint16),
    2: (np.uint16, np.uint32),
    4: (np.uint32, np.uint64),
}


def repeat_2x2(a: np.ndarray) -> np.ndarray:
    """``a`` (H x W, or H x W x C) with every pixel repeated over a 2x2 block: the nearest
    neighbour upsampling by two of 4:2:0 chroma, the same values as ``cv2.resize`` with
    INTER_NEAREST to twice the size. A pixel of 1, 2 or 4 bytes is widened and doubled by one
    integer multiply and each row written twice: about 5x faster than OpenCV's generic nearest
    resize (1.1 ms for a 1080x1920 frame's U and V, 0.2 ms this way)."""
    hh, ww = a.shape[:2]
    size = a.itemsize * (a.shape[2] if a.ndim == 3 else 1)
    if size not in _WIDER or a.ndim not in (2, 3):
        return np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)
    narrow, wide = _WIDER[size]
    pixels = np.ascontiguousarray(a).reshape(hh, -1).view(narrow)
    doubled = np.multiply(pixels, wide(1 + (1 << (8 * size))), dtype=wide).view(np.uint8)
    out = np.empty((hh, 2, doubled.shape[1]), np.uint8)
    out[:, 0] = doubled
    out[:, 1] = doubled
    return out.view(a.dtype).reshape(2 * hh, 2 * ww, *a.shape[2:])


def i420_to_rgb(buf: np.ndarray, width: int, height: int, space: YuvSpace = WORKING) -> np.ndarray:
    """HxWx3 uint8 R'G'B' (full range) from an I420 buffer in ``space`` (chroma repeated 2x2)."""
    import cv2

    y, u, v = i420_planes(buf, width, height)
    # three one-channel planes merge with OpenCV's SIMD interleave; a 1 + 2 channel merge
    # takes its generic path (2.8 ms of the 4.5 at 1080x1920). Same bytes as before.
    yuv = cv2.merge([y, repeat_2x2(u), repeat_2x2(v)])
    return cv2.transform(yuv, _to_rgb_transform(space))


def rgb_to_i420(rgb: np.ndarray, space: YuvSpace = WORKING) -> np.ndarray:
    """The (h*3/2, w) I420 buffer of an HxWx3 uint8 R'G'B' image (even size) in ``space``.

    One 3x4 ``cv2.transform`` gives Y'CbCr at full size (rounded); chroma is its 2x2 box average
    (``cv2.resize`` INTER_AREA, rounded half up): within one code of the exact float result.
    """
    import cv2

    h, w = rgb.shape[:2]
    yuv = cv2.transform(rgb, _to_yuv_transform(space))
    out = np.empty((h * 3 // 2, w), np.uint8)
    y, u, v = i420_planes(out, w, h)
    cv2.extractChannel(yuv, 0, y)
    small = cv2.resize(yuv, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    cv2.extractChannel(small, 1, u)
    cv2.extractChannel(small, 2, v)
    return out


def rgb_to_yuv444(rgb: np.ndarray, space: YuvSpace = WORKING) -> np.ndarray:
    """HxWx3 float32 Y'CbCr codes of ``space`` (unrounded, chroma at full size) of an HxWx3 uint8
    R'G'B' image: for a picture that is warped or blended before it is subsampled."""
    import cv2

    return cv2.transform(np.ascontiguousarray(rgb).astype(np.float32), _to_yuv_transform(space))


def yuv444_to_i420(yuv: np.ndarray, bits: int = 8) -> np.ndarray:
    """The (h*3/2, w) I420 buffer (uint8, or uint16 for more than 8 bits) of HxWx3 float Y'CbCr
    codes (even size): luma rounded, chroma the 2x2 box average rounded."""
    import cv2

    h, w = yuv.shape[:2]
    top = (1 << bits) - 1
    small = cv2.resize(yuv, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    out = np.empty((h * 3 // 2, w), np.uint8 if bits == 8 else np.uint16)
    y, u, v = i420_planes(out, w, h)
    y[...] = np.clip(np.rint(yuv[..., 0]), 0, top)
    u[...] = np.clip(np.rint(small[..., 1]), 0, top)
    v[...] = np.clip(np.rint(small[..., 2]), 0, top)
    return out


def rgb_to_yuv(rgb: tuple[float, float, float], space: YuvSpace = WORKING) -> tuple[float, float, float]:
    """One colour (R, G, B in 0..255) as unrounded (Y, U, V) codes of ``space``."""
    m, off = rgb_to_yuv_matrix(space)
    y, u, v = m @ (np.asarray(rgb, np.float64) / 255.0) + off
    return float(y), float(u), float(v)


@functools.lru_cache(maxsize=16)
def yuv_conversion(src: YuvSpace, dst: YuvSpace = WORKING) -> tuple[np.ndarray, np.ndarray]:
    """(A, b): ``dst_yuv = A @ (src_yuv) + b`` (8-bit codes). Chroma rows never use luma."""
    m_dst, off_dst = rgb_to_yuv_matrix(dst)
    inv_src, off_src = yuv_to_rgb_matrix(src)
    a = m_dst @ inv_src
    a[1:, 0] = 0.0  # exactly zero in theory (R', G', B' all carry Y' with weight 1)
    return a, off_dst - a @ off_src


def convert_i420(
    buf: np.ndarray, width: int, height: int, src: YuvSpace, dst: YuvSpace = WORKING
) -> np.ndarray:
    """An I420 buffer re-encoded from ``src`` to ``dst`` (another matrix and/or range).

    Chroma is converted at its own size; luma takes the chroma terms with each chroma sample
    repeated over its 2x2 block (as :func:`i420_to_rgb` decodes it). Returns ``buf`` itself
    when the spaces are the same.
    """
    if src == dst:
        return buf
    import cv2

    a, b = yuv_conversion(src, dst)
    y, u, v = i420_planes(buf, width, height)
    out = np.empty_like(buf)
    oy, ou, ov = i420_planes(out, width, height)
    uv = cv2.merge([u, v]).astype(np.float32)
    cu = cv2.transform(uv, np.array([[a[1, 1], a[1, 2], b[1]], [a[2, 1], a[2, 2], b[2]]]))
    ou[...] = np.clip(np.rint(cu[..., 0]), 0, 255)
    ov[...] = np.clip(np.rint(cu[..., 1]), 0, 255)
    luma_from_chroma = cv2.transform(uv, np.array([[a[0, 1], a[0, 2], b[0]]]))
    full = repeat_2x2(luma_from_chroma)
    oy[...] = np.clip(np.rint(y.astype(np.float32) * np.float32(a[0, 0]) + full), 0, 255)
    return out
