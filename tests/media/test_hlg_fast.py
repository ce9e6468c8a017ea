"""The fast SDR -> HLG and PQ -> HLG conversions of ``studio.media.hlg`` against their references.

``sdr_to_i420_reference`` and ``pq_to_i420_reference`` are the BT.2408 / BT.2100 maths written
step by step in float32 (the functions the HDR export used before the fast paths); the fast
``sdr_to_i420`` and ``pq_to_i420`` reorder the same maths (log domain, bands of rows) and must
land within one 10-bit code of them on every pixel of every plane. The frames are varied on
purpose: ramps, colour bars, noise over every code, saturated primaries, near-black, out-of-range
codes, and sizes that are not a whole number of the fast path's bands.
"""

from __future__ import annotations

import numpy as np
import pytest

from studio.media import hlg
from tests.media.colour_fixtures import bars_rgb, pq_code, rgb2020_to_yuv10

H, W = 450, 640  # 450 rows: the last band of the fast path is a short one
MAX_CODE_DIFF = 1  # 10-bit codes, any pixel of any plane
PQ_NITS = (0.0, 0.01, 0.1, 1.0, 5.0, 20.0, 100.0, 203.0, 400.0, 1000.0, 2000.0, 4000.0, 10000.0)


def _diff(a: np.ndarray, b: np.ndarray) -> int:
    assert a.dtype == b.dtype == np.uint16 and a.shape == b.shape
    return int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max())


def sdr_test_frame() -> np.ndarray:
    """HxWx3 uint8 R'G'B': every grey and every single-channel level, colour bars, the primaries
    and secondaries at full and low level, near-black steps, a coarse cube of all colours, noise."""
    rng = np.random.default_rng(2026)
    rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)  # noise: the bottom rows keep it
    levels = np.repeat(np.arange(256, dtype=np.uint8), 2)[:W]  # 0..255, each twice (chroma pairs)
    levels = np.pad(levels, (0, W - levels.size), mode="edge")
    rgb[0:8] = levels[None, :, None]  # greys
    for c in range(3):
        rgb[8 + 8 * c : 16 + 8 * c] = 0
        rgb[8 + 8 * c : 16 + 8 * c, :, c] = levels[None, :]  # one channel alone
    rgb[32:64] = bars_rgb(W, 32)
    corners = [(r, g, b) for r in (0, 255) for g in (0, 255) for b in (0, 255)]
    for i, colour in enumerate(corners + [(v, 0, 0) for v in (1, 2, 4, 16, 64)]):
        rgb[64:96, i * 48 : (i + 1) * 48] = colour
    # a 16x16x16 cube (every 17th code, 0 and 255 included) as 2x2 blocks, so each colour has
    # chroma of its own
    cube = np.stack(np.meshgrid(*[np.arange(0, 256, 17, dtype=np.uint8)] * 3, indexing="ij"), -1)
    blocks = np.kron(cube.reshape(-1, 3).reshape(16, 256, 3), np.ones((2, 2, 1), np.uint8))
    rgb[96:128, : min(W, 512)] = blocks[:, : min(W, 512)]
    # fine near-black steps next to bright pixels (the OOTF's luminance floor and its neighbours)
    rgb[128:160] = rng.integers(0, 6, (32, W, 3), dtype=np.uint8)
    rgb[128:160:2, ::3] = 255
    return rgb


def pq_test_planes(bits: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y (full size), U, V (half size) codes of ``bits``: a luma ramp over every code with
    chroma ramps under it, grey and saturated BT.2020 R/G/B/C/M/Y patches from 0 to 10000 cd/m2,
    and noise over every code (out-of-range and extreme chroma included)."""
    rng = np.random.default_rng(2100)
    top = (1 << bits) - 1
    y = rng.integers(0, top + 1, (H, W), dtype=np.uint16)
    u = rng.integers(0, top + 1, (H // 2, W // 2), dtype=np.uint16)
    v = rng.integers(0, top + 1, (H // 2, W // 2), dtype=np.uint16)
    scale = 1 << (bits - 10)
    ramp = (np.arange(W) * 1024 // W).astype(np.uint16) * scale
    y[:64] = ramp[None, :]
    u[:32] = ramp[None, ::2]
    v[:32] = ramp[None, ::-2]
    u[16:32] = 512 * scale  # greys for half of the ramp
    v[16:32] = 512 * scale
    colours = [(1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    patch = W // len(PQ_NITS)
    for row, colour in enumerate(colours):
        for i, nits in enumerate(PQ_NITS):
            signal = (pq_code(nits) - 64) / 876.0
            yuv = rgb2020_to_yuv10(np.array(colour, np.float64) * signal)
            codes = np.clip(np.rint(yuv * scale), 0, top).astype(np.uint16)
            r0, c0 = 64 + 16 * row, i * patch
            y[r0 : r0 + 16, c0 : c0 + patch] = codes[0]
            u[r0 // 2 : r0 // 2 + 8, c0 // 2 : (c0 + patch) // 2] = codes[1]
            v[r0 // 2 : r0 // 2 + 8, c0 // 2 : (c0 + patch) // 2] = codes[2]
    return y, u, v


def test_sdr_fast_path_is_within_one_code_of_the_reference() -> None:
    rgb = sdr_test_frame()
    fast, ref = hlg.sdr_to_i420(rgb), hlg.sdr_to_i420_reference(rgb)
    assert _diff(fast, ref) <= MAX_CODE_DIFF
    # the anchors of BT.2408 hold on the fast path itself: SDR white at 75% HLG, black at 64
    white = hlg.sdr_to_i420(np.full((4, 4, 3), 255, np.uint8))
    black = hlg.sdr_to_i420(np.zeros((4, 4, 3), np.uint8))
    assert set(np.unique(white[:4])) == {721} and set(np.unique(white[4:])) == {512}
    assert set(np.unique(black[:4])) == {64} and set(np.unique(black[4:])) == {512}


def test_sdr_fast_path_on_a_sprite_sized_and_a_non_contiguous_picture() -> None:
    rgb = sdr_test_frame()
    small = np.ascontiguousarray(rgb[40:46, 10:30])  # a 6x20 sprite: one short band
    assert _diff(hlg.sdr_to_i420(small), hlg.sdr_to_i420_reference(small)) <= MAX_CODE_DIFF
    view = rgb[:, ::-1][:, :, ::-1]  # a strided view, as callers may pass
    assert _diff(hlg.sdr_to_i420(view), hlg.sdr_to_i420_reference(np.ascontiguousarray(view))) <= 1


@pytest.mark.parametrize(
    ("bits", "full_range", "matrix"),
    [(10, False, "bt2020"), (12, False, "bt2020"), (10, True, "bt2020"), (10, False, "bt709")],
)
def test_pq_fast_path_is_within_one_code_of_the_reference(bits: int, full_range: bool, matrix: str) -> None:
    y, u, v = pq_test_planes(bits)
    kw = {"bits": bits, "full_range": full_range, "matrix": matrix}
    fast, ref = hlg.pq_to_i420(y, u, v, **kw), hlg.pq_to_i420_reference(y, u, v, **kw)
    assert _diff(fast, ref) <= MAX_CODE_DIFF
    if (bits, full_range, matrix) == (10, False, "bt2020"):
        # most pixels agree exactly: the fast path is the same maths, not an approximation
        assert np.count_nonzero(fast != ref) < fast.size // 100


def test_pq_grey_anchors_on_the_fast_path() -> None:
    """203 cd/m2 (HDR reference white) -> HLG 75% (721), 1000 cd/m2 and above -> 940, 0 -> 64."""
    for nits, want in ((0.0, 64), (203.0, 721), (1000.0, 940), (4000.0, 940)):
        y = np.full((4, 4), pq_code(nits), np.uint16)
        c = np.full((2, 2), 512, np.uint16)
        out = hlg.pq_to_i420(y, c, c, bits=10, full_range=False)
        assert abs(int(np.median(out[:4])) - want) <= 1, (nits, np.unique(out[:4]))
        assert set(np.unique(out[4:])) == {512}
