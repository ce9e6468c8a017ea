"""HDR (PQ, HLG) and wide-gamut (BT.2020) pictures -> BT.709 SDR, in linear light.

The steps, each a published operator:

1. Y'CbCr -> R'G'B' with the BT.2020 non-constant-luminance matrix (any bit depth and range).
2. To display light in cd/m2:
   * PQ: the SMPTE ST 2084 / BT.2100 EOTF;
   * HLG: the BT.2100 inverse OETF (scene light), then the BT.2100 OOTF for a display of
     nominal peak ``HLG_PEAK`` (1000 cd/m2, system gamma 1.2) - the reference HLG display.
3. Tone mapping to the SDR display (peak ``SDR_PEAK`` = 100 cd/m2): the BT.2390 EETF
   (a Hermite-spline knee in the PQ domain, source peak ``MASTERING_PEAK`` = 1000 cd/m2 when
   the file says nothing else, as BT.2408 advises), applied to max(R, G, B) and the three
   channels scaled by the same ratio, so hues keep their proportions (the "maxRGB" variant).
4. Gamut: BT.2020 -> BT.709 primaries (the BT.2087 linear matrix); colours outside BT.709 are
   pulled towards their own luminance until no channel is negative (a luminance-preserving
   clip), then anything above peak is clipped.
5. SDR encoding for a BT.1886 display (gamma 2.4): V = L^(1/2.4), 0..1 (:func:`sdr_planes`).
6. Quantisation, once, straight to the working I420 codes (:func:`to_sdr_i420`): PQ and HLG
   with a fixed ordered dither (below), BT.2020 SDR rounded.

``studio.media.colour`` calls :func:`to_sdr_i420` for every PQ, HLG and BT.2020 frame, in export
and preview alike. The EETF and the transfer functions are
tabulated (4096 entries) so a 1080x1920 frame costs a handful of numpy passes, on planes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

SDR_PEAK = 100.0  # cd/m2: SDR reference white (and peak) of a BT.1886 display
HLG_PEAK = 1000.0  # cd/m2: the nominal peak of the reference HLG display
MASTERING_PEAK = 1000.0  # cd/m2: assumed PQ mastering peak when the file has no metadata
_TABLE = 4096

# SMPTE ST 2084 constants
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
# BT.2100 HLG constants
_HLG_A = 0.17883277
_HLG_B = 1 - 4 * _HLG_A
_HLG_C = 0.5 - _HLG_A * np.log(4 * _HLG_A)
KR_2020, KB_2020 = 0.2627, 0.0593
KR_709, KB_709 = 0.2126, 0.0722
# BT.2087: linear BT.2020 RGB -> linear BT.709 RGB
BT2020_TO_BT709 = np.array(
    [
        [1.6604910, -0.5876411, -0.0728499],
        [-0.1245505, 1.1328999, -0.0083494],
        [-0.0181508, -0.1005789, 1.1187297],
    ]
)


def pq_eotf(e: np.ndarray) -> np.ndarray:
    """PQ signal 0..1 -> display light in cd/m2 (0..10000)."""
    p = np.power(np.clip(e, 0.0, 1.0), 1.0 / _M2)
    return 10000.0 * np.power(np.maximum(p - _C1, 0.0) / (_C2 - _C3 * p), 1.0 / _M1)


def pq_inverse_eotf(nits: np.ndarray | float) -> np.ndarray:
    """Display light in cd/m2 -> PQ signal 0..1."""
    y = np.power(np.clip(np.asarray(nits, np.float64) / 10000.0, 0.0, 1.0), _M1)
    return np.power((_C1 + _C2 * y) / (1.0 + _C3 * y), _M2)


def hlg_inverse_oetf(e: np.ndarray) -> np.ndarray:
    """HLG signal 0..1 -> normalised scene light 0..1 (BT.2100 table 5)."""
    e = np.clip(e, 0.0, 1.0)
    low = e * e / 3.0
    high = (np.exp((np.maximum(e, 0.5) - _HLG_C) / _HLG_A) + _HLG_B) / 12.0
    return np.where(e <= 0.5, low, high)


def hlg_gamma(peak: float = HLG_PEAK) -> float:
    """BT.2100 system gamma for a display of ``peak`` cd/m2 (1.2 at 1000)."""
    return 1.2 + 0.42 * float(np.log10(peak / 1000.0))


def bt2390_eetf(
    e: np.ndarray, source_peak: float = MASTERING_PEAK, target_peak: float = SDR_PEAK
) -> np.ndarray:
    """BT.2390 EETF on PQ signals: source range 0..``source_peak`` -> 0..``target_peak``
    (black levels 0). Returns PQ signals."""
    lw = float(pq_inverse_eotf(source_peak))
    e1 = np.clip(np.asarray(e, np.float64) / lw, 0.0, 1.0)
    max_lum = float(pq_inverse_eotf(target_peak)) / lw
    if max_lum >= 1.0:
        return e1 * lw
    ks = 1.5 * max_lum - 0.5
    t = (e1 - ks) / (1.0 - ks)
    t2, t3 = t * t, t * t * t
    spline = (2 * t3 - 3 * t2 + 1) * ks + (t3 - 2 * t2 + t) * (1 - ks) + (-2 * t3 + 3 * t2) * max_lum
    e2 = np.where(e1 < ks, e1, spline)
    return e2 * lw


@functools.lru_cache(maxsize=4)
def _tone_table(source_peak: float) -> tuple[np.ndarray, float]:
    """(table, step): linear ratio out/in (relative to SDR peak) over PQ codes of the input peak."""
    e = np.linspace(0.0, 1.0, _TABLE)
    nits_in = pq_eotf(e)
    nits_out = pq_eotf(bt2390_eetf(e, source_peak, SDR_PEAK))
    ratio = np.where(nits_in > 1e-6, nits_out / np.maximum(nits_in, 1e-6), 1.0)
    return (ratio / SDR_PEAK).astype(np.float32), float(_TABLE - 1)


@functools.lru_cache(maxsize=4)
def _linear_table(transfer: str) -> np.ndarray:
    """Signal 0..1 (tabulated) -> light: cd/m2 for PQ, scene light 0..1 for HLG, display 0..1 (SDR)."""
    e = np.linspace(0.0, 1.0, _TABLE)
    if transfer == "pq":
        out = pq_eotf(e)
    elif transfer == "hlg":
        out = hlg_inverse_oetf(e)
    else:
        out = np.power(e, 2.4)  # BT.1886 with zero black
    return out.astype(np.float32)


def _lookup(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    idx = np.clip(x * np.float32(_TABLE - 1) + np.float32(0.5), 0, _TABLE - 1).astype(np.int32)
    return np.take(table, idx)


def _rgb_planes(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, kr: float, kb: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-size planes (uint16 codes) -> float32 R', G', B' planes 0..1 (unclipped)."""
    k = float(1 << (bits - 8))
    if full_range:
        top = float((1 << bits) - 1)
        y0, ys, c0, cs = 0.0, top, 128.0 * k, top
    else:
        y0, ys, c0, cs = 16.0 * k, 219.0 * k, 128.0 * k, 224.0 * k
    yn = (y.astype(np.float32) - y0) / np.float32(ys)
    cb = (u.astype(np.float32) - c0) / np.float32(cs)
    cr = (v.astype(np.float32) - c0) / np.float32(cs)
    kg = 1.0 - kr - kb
    r = yn + np.float32(2 * (1 - kr)) * cr
    b = yn + np.float32(2 * (1 - kb)) * cb
    g = (yn - np.float32(kr) * r - np.float32(kb) * b) / np.float32(kg)
    return r, g, b


def yuv_to_rgb_nonlinear(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, kr: float, kb: float
) -> np.ndarray:
    """Full-size planes (uint16 codes) -> HxWx3 float32 R'G'B' 0..1 (unclipped)."""
    return np.stack(_rgb_planes(y, u, v, bits=bits, full_range=full_range, kr=kr, kb=kb), axis=-1)


Planes = tuple[np.ndarray, np.ndarray, np.ndarray]


def _weighted(planes: Planes, w: Sequence[float]) -> np.ndarray:
    """w[0] * first + w[1] * second + w[2] * third, in float32."""
    a, b, c = planes
    return np.float32(w[0]) * a + np.float32(w[1]) * b + np.float32(w[2]) * c


def _soft_clip_gamut(planes: Planes) -> Planes:
    """Pull colours with a negative channel towards their luminance until none is negative,
    then clip to 0..1."""
    r, g, b = planes
    lum = _weighted(planes, (KR_709, 1 - KR_709 - KB_709, KB_709))
    low = np.minimum(np.minimum(r, g), b)
    need = low < 0
    if np.any(need):
        safe_l = np.maximum(lum, 0.0)
        t = np.where(need, safe_l / np.maximum(safe_l - low, np.float32(1e-6)), np.float32(1.0))
        r, g, b = (lum + (c - lum) * t for c in (r, g, b))
    return np.clip(r, 0.0, 1.0), np.clip(g, 0.0, 1.0), np.clip(b, 0.0, 1.0)


def sdr_planes(
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    *,
    transfer: str,
    bits: int,
    full_range: bool,
    wide_gamut: bool = True,
    source_peak: float = MASTERING_PEAK,
) -> Planes:
    """The mapping of :func:`to_sdr_i420` before any quantisation: float32 BT.709 SDR R', G', B'
    planes 0..1 (BT.1886 gamma 2.4 encoding). Per-plane arithmetic rather than HxWx3 reductions
    (``max(axis=-1)``, ``@``), which numpy runs several times slower."""
    kr, kb = (KR_2020, KB_2020) if wide_gamut else (KR_709, KB_709)
    signal = _rgb_planes(y, u, v, bits=bits, full_range=full_range, kr=kr, kb=kb)
    table = _linear_table(transfer)
    light: Planes = (_lookup(table, signal[0]), _lookup(table, signal[1]), _lookup(table, signal[2]))
    if transfer == "hlg":
        # BT.2100 OOTF: Fd = peak * Ys^(gamma-1) * Es, on scene light
        ys = _weighted(light, (KR_2020, 1 - KR_2020 - KB_2020, KB_2020))
        gain = np.power(np.maximum(ys, 1e-6), np.float32(hlg_gamma() - 1.0)) * np.float32(HLG_PEAK)
        light = (light[0] * gain, light[1] * gain, light[2] * gain)  # cd/m2
        peak = HLG_PEAK
    else:
        peak = source_peak
    if transfer in ("pq", "hlg"):
        if transfer == "pq":  # the brightest channel's light is the largest signal's
            pq = np.clip(np.maximum(np.maximum(signal[0], signal[1]), signal[2]), 0.0, 1.0)
        else:
            brightest = np.maximum(np.maximum(light[0], light[1]), light[2])
            pq = pq_inverse_eotf(brightest).astype(np.float32)
        tone, _ = _tone_table(float(peak))
        ratio = _lookup(tone, pq)
        light = (light[0] * ratio, light[1] * ratio, light[2] * ratio)  # 0..1 of the SDR peak
    if wide_gamut:
        m = BT2020_TO_BT709
        light = (_weighted(light, m[0]), _weighted(light, m[1]), _weighted(light, m[2]))
    mapped = _soft_clip_gamut(light)
    gamma = np.float32(1 / 2.4)
    return np.power(mapped[0], gamma), np.power(mapped[1], gamma), np.power(mapped[2], gamma)


# --- quantisation to 8 bits ------------------------------------------------------------------
# The BT.2390 spline ends with zero slope at the mastering peak, so in float the top of a PQ
# ramp still rises (700 cd/m2 -> 254.85, 900 -> 254.997, 1000 -> 255) but plain rounding
# makes all of it 255. An ordered dither keeps those steps apart in the mean of any patch:
# floor(x + t), t the thresholds of a Bayer matrix, tiled from the frame's top-left corner, so
# a frame always maps the same way (preview == export, every run). 4096 levels for luma, so a
# value 1/4096 of a code below the next one still moves one pixel in 4096; 256 for the
# half-size chroma planes. An exact code (grey chroma: 128) is never moved: min(t) > 0.
LUMA_DITHER = 64  # side of the Bayer matrix (64 x 64 = 4096 levels)
CHROMA_DITHER = 16


@functools.lru_cache(maxsize=4)
def bayer(side: int) -> np.ndarray:
    """The ``side`` x ``side`` Bayer index matrix (0 .. side^2 - 1; ``side`` a power of two)."""
    m = np.zeros((1, 1), np.int64)
    while m.shape[0] < side:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return m


@functools.lru_cache(maxsize=6)
def dither_thresholds(height: int, width: int, side: int = LUMA_DITHER, shift: int = 0) -> np.ndarray:
    """float32 thresholds in (0, 1) for an ``height`` x ``width`` plane: (index + 0.5) / side^2
    of the Bayer matrix tiled from the top-left corner (rolled by ``shift`` both ways)."""
    m = np.roll(bayer(side), (shift, shift), axis=(0, 1))
    t = ((m + 0.5) / float(side * side)).astype(np.float32)
    reps = (-(-height // side), -(-width // side))
    out = np.tile(t, reps)[:height, :width]
    out.setflags(write=False)
    return out


def _dithered(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Float codes -> uint8 by floor(value + threshold): the mean of a patch keeps the value."""
    out = values + thresholds
    np.floor(out, out=out)
    return np.clip(out, 0, 255).astype(np.uint8)


def sdr_chroma(
    i420: np.ndarray, width: int, height: int, *, transfer: str, bits: int, full_range: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The working-space Cb, Cr (float32 8-bit codes, unrounded, at chroma size) that the SDR
    mapping of :func:`sdr_planes` gives a BT.2020 I420 buffer (codes of ``bits``), worked at chroma
    size: a chroma key on HDR frames matches its SDR key colour against what the preview showed."""
    import cv2

    from studio.core.colour import WORKING, i420_planes, rgb_to_yuv_matrix

    y, u, v = i420_planes(i420, width, height)
    small = cv2.resize(y, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    planes = sdr_planes(small, u, v, transfer=transfer, bits=bits, full_range=full_range)
    m, off = rgb_to_yuv_matrix(WORKING)
    return _weighted(planes, m[1]) + np.float32(off[1]), _weighted(planes, m[2]) + np.float32(off[2])


def to_sdr_i420(
    y: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    *,
    transfer: str,
    bits: int,
    full_range: bool,
    wide_gamut: bool = True,
    source_peak: float = MASTERING_PEAK,
) -> np.ndarray:
    """Full-size Y, U, V planes (codes of ``bits``; BT.2020 NCL matrix; ``transfer`` "pq", "hlg"
    or "sdr", a BT.2020 SDR picture of which only the gamut is mapped) -> the (h*3/2, w)
    working-space I420 buffer (BT.709 matrix, limited range; ``studio.core.colour.WORKING``),
    made from the float BT.709 SDR R'G'B' of :func:`sdr_planes` and quantised
    once, at the Y'CbCr codes: with the ordered dither for PQ and HLG (rounding an 8-bit RGB
    first and then converting it, as ``rgb_to_i420`` does, would re-quantise the dither away:
    219 luma codes for 256 RGB ones), rounded for BT.2020 SDR. Chroma is the 2x2 mean of the
    R'G'B' (the same as the mean of full-size chroma: the matrix is linear). Even size."""
    import cv2

    from studio.core.colour import WORKING, i420_planes, rgb_to_yuv_matrix

    planes = sdr_planes(
        y, u, v, transfer=transfer, bits=bits, full_range=full_range, wide_gamut=wide_gamut,
        source_peak=source_peak,
    )  # fmt: skip
    h, w = planes[0].shape
    m, off = rgb_to_yuv_matrix(WORKING)
    luma = _weighted(planes, m[0]) + np.float32(off[0])
    r, g, b = (cv2.resize(c, (w // 2, h // 2), interpolation=cv2.INTER_AREA) for c in planes)  # 2x2 means
    cb = _weighted((r, g, b), m[1]) + np.float32(off[1])
    cr = _weighted((r, g, b), m[2]) + np.float32(off[2])
    out = np.empty((h * 3 // 2, w), np.uint8)
    oy, ou, ov = i420_planes(out, w, h)
    if transfer in ("pq", "hlg"):
        oy[...] = _dithered(luma, dither_thresholds(h, w))
        half = CHROMA_DITHER // 2
        ou[...] = _dithered(cb, dither_thresholds(h // 2, w // 2, CHROMA_DITHER))
        ov[...] = _dithered(cr, dither_thresholds(h // 2, w // 2, CHROMA_DITHER, half))
    else:
        for dst, src in ((oy, luma), (ou, cb), (ov, cr)):
            dst[...] = np.clip(np.rint(src), 0, 255)
    return out
