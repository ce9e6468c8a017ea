"""The HDR export's deep working space (10-bit HLG) and every conversion into it.

A deep frame (``Frame.bits == 10``) is I420 with uint16 planes of 10-bit codes
(``yuv420p10le``), the BT.2020 non-constant-luminance matrix, limited range (64..940 luma,
64..960 chroma) and the HLG transfer of BT.2100 (``DEEP``). The HDR export decodes, composites
and encodes in it; the preview stays SDR (``studio.media.hdr``).

How each kind of picture gets there, all in this module:

* **HLG sources** keep their code values: only bit depth, range and matrix are normalised
  (a 10-bit limited BT.2020 HLG file passes through untouched, codes for codes).
* **PQ sources** are transcoded as BT.2100 / BT.2408 describe: the PQ EOTF gives display light,
  which is limited to the 1000 cd/m2 of the HLG reference display, normalised to it, taken back
  to scene light by the inverse BT.2100 OOTF (system gamma 1.2) and encoded with the HLG OETF.
* **SDR pictures** (BT.709 sources, stills, text, backgrounds) are placed by the BT.2408
  display-light mapping: the BT.1886 EOTF (gamma 2.4) of the 8-bit working R'G'B', SDR
  reference white scaled to 203 cd/m2 (the HDR reference white, which HLG puts at a 75% signal),
  BT.709 -> BT.2020 primaries in linear light, the inverse OOTF, the HLG OETF.

Everything here is maths on arrays except :func:`to_deep`, which reads a decoded PyAV frame.
:func:`sdr_to_i420` and :func:`pq_to_i420` are the fast paths (the same maths, reordered: see
"The fast paths" below); :func:`sdr_to_i420_reference` and :func:`pq_to_i420_reference` are the
float reference they are tested against, one code at most on any pixel.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from studio.core.colour import YuvSpace, repeat_2x2, rgb_to_yuv_matrix, yuv444_to_i420, yuv_to_rgb_matrix
from studio.core.frame import Frame
from studio.media.colour import SourceColour, frame_colour, to_working
from studio.media.hdr import BT2020_TO_BT709, HLG_PEAK, KB_2020, KR_2020, hlg_gamma, sdr_chroma

BITS = 10
DEEP = YuvSpace("bt2020", False)
REFERENCE_WHITE = 203.0  # cd/m2: BT.2408 HDR reference white, where SDR white is placed
# FFmpeg enum values: bt2020nc matrix, bt2020 primaries, arib-std-b67 (HLG), limited range
DEEP_TAGS = {"colorspace": 9, "color_primaries": 9, "color_trc": 18, "color_range": 1}
BT709_TO_BT2020 = np.linalg.inv(BT2020_TO_BT709)
_LUMA_2020 = np.array([KR_2020, 1 - KR_2020 - KB_2020, KB_2020], np.float32)
# BT.2100 HLG and SMPTE ST 2084 constants
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_A = 0.17883277
_B = 1 - 4 * _A
_C = 0.5 - _A * np.log(4 * _A)


def hlg_oetf(scene: np.ndarray) -> np.ndarray:
    """Normalised scene light 0..1 -> HLG signal 0..1 (BT.2100 table 5), float32."""
    import cv2

    e = np.ascontiguousarray(np.clip(scene, 0.0, 1.0), np.float32)
    low = cv2.sqrt(e * np.float32(3.0))
    high = cv2.log(np.maximum(e * np.float32(12.0) - np.float32(_B), np.float32(1e-6)))
    high = high * np.float32(_A) + np.float32(_C)
    return np.where(e <= np.float32(1 / 12), low, high)


def pq_eotf32(signal: np.ndarray) -> np.ndarray:
    """PQ signal 0..1 -> display light in cd/m2 (SMPTE ST 2084), float32 (``hdr.pq_eotf``'s
    equation in single precision, which this per-pixel path needs for speed)."""
    import cv2

    e = np.ascontiguousarray(np.clip(signal, 0.0, 1.0), np.float32)
    p = cv2.pow(e, 1.0 / _M2)
    ratio = np.maximum(p - np.float32(_C1), np.float32(0.0)) / (np.float32(_C2) - np.float32(_C3) * p)
    return cv2.pow(ratio, 1.0 / _M1) * np.float32(10000.0)


def inverse_ootf(display: np.ndarray, gamma: float | None = None) -> np.ndarray:
    """BT.2100 HLG display light (HxWx3, relative to the display's peak, 0..1) -> scene light.

    The OOTF is ``Fd = Ys^(gamma-1) * Es``; so ``Yd = Ys^gamma`` and
    ``Es = Fd / Yd^((gamma-1)/gamma)``.
    """
    import cv2

    g = hlg_gamma(HLG_PEAK) if gamma is None else gamma
    display = np.ascontiguousarray(display, np.float32)
    yd = np.maximum(cv2.transform(display, _LUMA_2020[None, :]), np.float32(1e-9))
    gain = cv2.pow(yd, (1.0 - g) / g)
    return display * gain.reshape(*display.shape[:-1], 1)


def display_to_signal(display: np.ndarray) -> np.ndarray:
    """Linear BT.2020 display light relative to the 1000 cd/m2 peak -> HLG R'G'B' 0..1."""
    return hlg_oetf(inverse_ootf(np.clip(display, 0.0, 1.0)))


@functools.lru_cache(maxsize=1)
def _bt1886_table() -> np.ndarray:
    """8-bit SDR R'G'B' code -> linear light relative to SDR reference white (BT.1886, zero black)."""
    return np.power(np.arange(256, dtype=np.float64) / 255.0, 2.4).astype(np.float32)


def sdr_to_signal(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 BT.709 R'G'B' (the working space's RGB face) -> HLG BT.2020 R'G'B' 0..1 by the
    BT.2408 display-light mapping (SDR white -> 203 cd/m2 -> HLG 75%)."""
    import cv2

    linear = np.take(_bt1886_table(), rgb)
    to_2020 = (BT709_TO_BT2020 * (REFERENCE_WHITE / HLG_PEAK)).astype(np.float32)
    return display_to_signal(cv2.transform(linear, to_2020))


def pq_to_signal(pq_rgb: np.ndarray) -> np.ndarray:
    """PQ BT.2020 R'G'B' 0..1 -> HLG R'G'B' 0..1 (BT.2408 transcoding through display light:
    light above the 1000 cd/m2 HLG reference display's peak is clipped)."""
    return display_to_signal(pq_eotf32(pq_rgb) * np.float32(1.0 / HLG_PEAK))


def signal_to_yuv444(signal: np.ndarray) -> np.ndarray:
    """HxWx3 HLG R'G'B' 0..1 -> HxWx3 float32 deep Y'CbCr codes (10-bit, unrounded, full size)."""
    import cv2

    m, off = rgb_to_yuv_matrix(DEEP, BITS)
    affine = np.hstack([m, off[:, None]]).astype(np.float32)
    return cv2.transform(np.ascontiguousarray(signal, np.float32), affine)


def signal_to_i420(signal: np.ndarray) -> np.ndarray:
    """HxWx3 HLG R'G'B' 0..1 (even size) -> deep I420 (uint16 10-bit codes, BT.2020 NCL, limited).

    Chroma is the 2x2 average of full-size Cb/Cr, as ``studio.core.colour.rgb_to_i420`` does."""
    return yuv444_to_i420(signal_to_yuv444(signal), BITS)


def sdr_to_yuv444(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 SDR R'G'B' -> HxWx3 float32 deep Y'CbCr (10-bit codes, unrounded, chroma at
    full size): the BT.2408 placement of :func:`sdr_to_i420` for a picture that is warped and
    blended before it is subsampled (a face sticker). Float reference speed: for small pictures."""
    return signal_to_yuv444(sdr_to_signal(np.ascontiguousarray(rgb)))


class DeepConversions:
    """The render's conversions for filters on deep frames (``studio.effects.api.DeepHost``)."""

    def from_sdr(self, rgb: np.ndarray) -> np.ndarray:
        return sdr_to_yuv444(rgb)

    def sdr_chroma(self, i420: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = i420.shape[0] * 2 // 3, i420.shape[1]
        return sdr_chroma(i420, w, h, transfer="hlg", bits=BITS)


DEEP_HOST = DeepConversions()


def sdr_to_i420_reference(rgb: np.ndarray) -> np.ndarray:
    """The reference for :func:`sdr_to_i420`: the BT.2408 mapping step by step in float32
    (:func:`sdr_to_signal`, :func:`signal_to_i420`), ~120 ms per 1080x1920 frame. The fast path
    is tested to stay within one code of it on every pixel (``tests/media/test_hlg_fast.py``)."""
    return signal_to_i420(sdr_to_signal(rgb))


def planes_to_signal(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, matrix: str
) -> np.ndarray:
    """4:2:0 planes (codes of ``bits``) -> HxWx3 float32 R'G'B' 0..1 (chroma repeated 2x2)."""
    import cv2

    h, w = y.shape
    inv, off = yuv_to_rgb_matrix(YuvSpace(matrix, full_range), bits)
    uv = cv2.resize(cv2.merge([u, v]), (w, h), interpolation=cv2.INTER_NEAREST)
    yuv = cv2.merge([y, uv]).astype(np.float32)
    affine = np.hstack([inv, -(inv @ off)[:, None]]).astype(np.float32)
    return np.clip(cv2.transform(yuv, affine), 0.0, 1.0)


def _i420_of(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    h, w = y.shape
    out = np.empty((h * 3 // 2, w), np.uint16)
    out[:h] = y
    chroma = out[h:].reshape(-1)
    chroma[: u.size] = u.reshape(-1)
    chroma[u.size :] = v.reshape(-1)
    return out


def normalise_hlg(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, matrix: str = "bt2020"
) -> np.ndarray:
    """HLG 4:2:0 planes (uint16 codes of ``bits``; chroma at half size) -> deep I420.

    10-bit limited BT.2020 planes are kept as they are; other depths are rescaled, full range is
    brought to limited range, and another matrix is re-encoded through R'G'B' (the HLG signal
    itself is never changed)."""
    if matrix != "bt2020":
        return signal_to_i420(planes_to_signal(y, u, v, bits=bits, full_range=full_range, matrix=matrix))
    if bits == BITS and not full_range:
        return _i420_of(y, u, v)
    if full_range:
        top = float((1 << bits) - 1)
        centre = float(1 << (bits - 1))
        yy = 64.0 + 876.0 * y.astype(np.float32) / top
        uu = 512.0 + 896.0 * (u.astype(np.float32) - centre) / top
        vv = 512.0 + 896.0 * (v.astype(np.float32) - centre) / top
    else:
        k = np.float32(2.0 ** (BITS - bits))
        yy, uu, vv = (p.astype(np.float32) * k for p in (y, u, v))
    planes = [np.clip(np.rint(p), 0, 1023).astype(np.uint16) for p in (yy, uu, vv)]
    return _i420_of(*planes)


def pq_to_i420_reference(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, matrix: str = "bt2020"
) -> np.ndarray:
    """The reference for :func:`pq_to_i420`: :func:`planes_to_signal`, :func:`pq_to_signal` and
    :func:`signal_to_i420` step by step in float32, ~280 ms per 1080x1920 frame. The fast path is
    tested to stay within one code of it on every pixel (``tests/media/test_hlg_fast.py``)."""
    rgb = planes_to_signal(y, u, v, bits=bits, full_range=full_range, matrix=matrix)
    return signal_to_i420(pq_to_signal(rgb))


# --- The fast paths -------------------------------------------------------------------------
#
# The reference functions above take ~120 ms (SDR) and ~280 ms (PQ) per 1080x1920 frame: whole-
# frame numpy temporaries, cv2.pow, np.where. The fast paths do the same float32 maths, reordered
# so that each step is one SIMD OpenCV call on a band of rows, written into reused buffers:
#
# * The inverse OOTF and the OETF run in the log domain: ``w = ln(Fd) + p ln(Yd)`` is the log of
#   scene light (p = (1 - gamma) / gamma, so ``E = Fd * Yd^p``): one ``cv2.scaleAdd`` instead of
#   a power and a broadcast product.
# * The OETF needs no select: above 1/12 its log branch lies below ``sqrt(3E)``, and at 1/12 both
#   are 0.5, so ``OETF(E) = min(sqrt(3E), a ln(12 max(E, 1/12) - b) + c)``. The factor sqrt(3) is
#   folded into the Y'CbCr matrix (everything before it is R'G'B' / sqrt(3)).
# * The PQ EOTF is taken in logs too (``E^(1/m2) = exp(ln(E) / m2)``; its ``ln(Fd)`` is the one
#   the OOTF needs, limited at 0: the 1000 cd/m2 HLG display's peak).
# * SDR: the BT.1886 EOTF of 8-bit codes is exact as a 256-entry ``cv2.LUT``; BT.709 -> BT.2020
#   and Yd are 3x3 ``cv2.transform`` calls (Yd in all three channels, so that the log domain
#   step stays one call on 3-channel data).
# * Chroma is the Y'CbCr matrix applied to the 2x2 mean of R'G'B' (the matrix is linear, so that
#   is the reference's 2x2 mean of full-size Cb/Cr); an exact halving with INTER_LINEAR is that
#   mean.
#
# Scalars go to elementwise calls on 1-channel views (``_flat``): a Python scalar given with a
# 3-channel array reaches only its first channel. ``cv2.addWeighted(x, a, x, 0, c)`` is the fast
# ``a * x + c`` (only on finite x: its zero-weighted term would turn inf into nan), and
# ``cv2.threshold(..., THRESH_TRUNC)`` the fast ``min(x, c)``.
#
# Measured and rejected (bench/colour.py, on the shared 2-core development machine): two threads
# on halves of the frame (OpenCV and numpy release the GIL) were no faster than one; np.take
# tables of the PQ EOTF (65537 entries over R') and of the inverse OOTF + OETF (over ln E) were
# no faster than the SIMD maths they replace (~1 ns a look-up against ~0.2 ns a SIMD step per
# value); bands of 16..128 rows all within noise of each other.

_BAND = 64  # rows per band: ~30 bands a 1080x1920 frame, so call overhead stays ~2 ms
_GAMMA = hlg_gamma(HLG_PEAK)
_P = (1.0 - _GAMMA) / _GAMMA  # scene light = display light * Yd^_P (the inverse OOTF)
_LUMA3 = np.repeat(_LUMA_2020[None, :], 3, axis=0).astype(np.float32)  # Yd in all channels
_HI_A = _A / np.sqrt(3.0)  # the OETF's log branch / sqrt(3): _HI_A ln(E - b/12) + _HI_C
_HI_C = (_A * np.log(12.0) + _C) / np.sqrt(3.0)
_BLACK = 1e-20  # BT.1886 light of SDR code 0 here: ln() stays finite, Yd > 0 (signal < 1e-8)
# PQ's max(p - c1, 0) is floored at _PQ_FLOOR instead: ln(Fd) then stays above about -69, so
# neither exp() nor the Yd matrix meets denormals (slow on x86), while the light is still
# nothing (Fd < 1e-22 cd/m2, a signal below 1e-10)
_PQ_FLOOR = 2e-4
_local = threading.local()


class _Scratch:
    """One thread's band buffers for one picture width: four 3-channel float32 ones."""

    def __init__(self, rows: int, width: int) -> None:
        self.f = [np.empty((rows, width, 3), np.float32) for _ in range(4)]


def _scratch(width: int) -> _Scratch:
    """This thread's buffers for ``width`` (per thread: decoders and the compositor call from
    several; a few widths kept, as frames and text sprites of other sizes alternate)."""
    kept: dict[tuple[int, int], _Scratch] | None = getattr(_local, "scratch", None)
    if kept is None:
        kept = _local.scratch = {}
    key = (_BAND, width)
    s = kept.get(key)
    if s is None:
        if len(kept) >= 4:
            kept.pop(next(iter(kept)))
        s = kept[key] = _Scratch(_BAND, width)
    return s


def _flat(a: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` rows of a (rows, w, 3) buffer as one channel (rows, 3w)."""
    return a[:rows].reshape(rows, -1)


@functools.lru_cache(maxsize=1)
def _out_transforms() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1x4 affines for ``cv2.transform``: ``R'G'B' / sqrt(3)`` -> Y, Cb, Cr 10-bit codes."""
    m, off = rgb_to_yuv_matrix(DEEP, BITS)
    affine = np.hstack([m * np.sqrt(3.0), off[:, None]]).astype(np.float32)
    return affine[0:1], affine[1:2], affine[2:3]


@functools.lru_cache(maxsize=1)
def _sdr_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BT.1886 table as ``cv2.LUT`` takes it (code 0 at ``_BLACK``), and the 3x3 matrices
    linear BT.709 (relative to SDR white) -> BT.2020 display light relative to the 1000 cd/m2
    peak, and -> its Yd."""
    lut = _bt1886_table().copy()
    lut[0] = _BLACK
    to_2020 = (BT709_TO_BT2020 * (REFERENCE_WHITE / HLG_PEAK)).astype(np.float32)
    return lut.reshape(1, 256), to_2020, (_LUMA3 @ to_2020).astype(np.float32)


def _band_signal(sc: _Scratch, n: int, log_d: np.ndarray, yd: np.ndarray, pq: bool) -> np.ndarray:
    """ln(display light) and Yd ((n, w, 3) buffers; Yd in all three channels) -> HLG
    ``R'G'B' / sqrt(3)`` in ``log_d``'s buffer: the inverse OOTF and the OETF.

    ``pq``: floor Yd as the reference does (PQ black has none) and clip scene light at 1 (a PQ
    primary at the peak exceeds it; SDR light never comes near)."""
    import cv2

    lf, yf, wf = _flat(log_d, n), _flat(yd, n), _flat(sc.f[3], n)
    if pq:
        cv2.max(yf, 1e-9, dst=yf)
    cv2.log(yf, dst=yf)
    cv2.scaleAdd(yf, _P, lf, dst=wf)  # ln(scene light)
    if pq:
        cv2.threshold(wf, 0.0, 0.0, cv2.THRESH_TRUNC, dst=wf)
    cv2.exp(wf, dst=lf)  # scene light E
    cv2.sqrt(lf, dst=yf)  # the square-root branch / sqrt(3)
    cv2.max(lf, 1.0 / 12.0, dst=lf)
    cv2.addWeighted(lf, 1.0, lf, 0.0, -_B / 12.0, dst=lf)
    cv2.log(lf, dst=lf)
    cv2.addWeighted(lf, _HI_A, lf, 0.0, _HI_C, dst=lf)  # the log branch / sqrt(3)
    cv2.min(yf, lf, dst=lf)
    return log_d[:n]


def _band_out(signal: np.ndarray, out: np.ndarray, h: int, w: int, r0: int) -> None:
    """``R'G'B' / sqrt(3)`` of rows ``r0..`` -> their Y rows and half-size Cb/Cr rows of the
    I420 buffer ``out``, rounded half to even and saturated (cv2's conversion, as np.rint)."""
    import cv2

    ty, tu, tv = _out_transforms()
    n = signal.shape[0]
    cv2.add(cv2.transform(signal, ty), 0.0, dst=out[r0 : r0 + n], dtype=cv2.CV_16U)
    small = cv2.resize(signal, (w // 2, n // 2), interpolation=cv2.INTER_LINEAR)
    q = (h // 2) * (w // 2)
    chroma = out[h:].reshape(-1)
    c0, c1 = (r0 // 2) * (w // 2), ((r0 + n) // 2) * (w // 2)
    for plane, m in ((chroma[c0:c1], tu), (chroma[q + c0 : q + c1], tv)):
        cv2.add(cv2.transform(small, m), 0.0, dst=plane.reshape(n // 2, w // 2), dtype=cv2.CV_16U)


def _sdr_band(rgb: np.ndarray, out: np.ndarray, r0: int, r1: int) -> None:
    import cv2

    h, w = rgb.shape[:2]
    sc = _scratch(w)
    lut, to_2020, to_yd = _sdr_tables()
    n = r1 - r0
    lin, disp, yd = sc.f[0][:n], sc.f[1][:n], sc.f[2][:n]
    cv2.LUT(rgb[r0:r1], lut, dst=lin)
    cv2.transform(lin, to_2020, dst=disp)
    cv2.transform(lin, to_yd, dst=yd)
    ld = _flat(sc.f[1], n)
    cv2.log(ld, dst=ld)  # ln(display light)
    _band_out(_band_signal(sc, n, disp, yd, pq=False), out, h, w, r0)


def sdr_to_i420(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 working R'G'B' (even size) -> deep I420: text, backgrounds, SDR clips.

    The BT.2408 mapping of :func:`sdr_to_signal` and :func:`signal_to_i420`, within one code of
    :func:`sdr_to_i420_reference` on every pixel, several times faster."""
    rgb = np.ascontiguousarray(rgb, np.uint8)
    h, w = rgb.shape[:2]
    out = np.empty((h * 3 // 2, w), np.uint16)
    for r0 in range(0, h, _BAND):
        _sdr_band(rgb, out, r0, min(r0 + _BAND, h))
    return out


@functools.lru_cache(maxsize=16)
def _yuv_to_rgb_affine(matrix: str, full_range: bool, bits: int) -> np.ndarray:
    """3x4 affine for ``cv2.transform``: Y'CbCr codes -> R'G'B' 0..1 (as :func:`planes_to_signal`)."""
    inv, off = yuv_to_rgb_matrix(YuvSpace(matrix, full_range), bits)
    return np.hstack([inv, -(inv @ off)[:, None]]).astype(np.float32)


def _pq_band(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, out: np.ndarray, affine: np.ndarray, r0: int, r1: int
) -> None:
    import cv2

    h, w = y.shape
    sc = _scratch(w)
    n = r1 - r0
    uv = cv2.merge([u[r0 // 2 : r1 // 2], v[r0 // 2 : r1 // 2]])
    up = repeat_2x2(uv)
    sc.f[0][:n] = cv2.merge([y[r0:r1], up])
    cv2.transform(sc.f[0][:n], affine, dst=sc.f[1][:n])
    e, t = _flat(sc.f[1], n), _flat(sc.f[0], n)
    # R'G'B' clipped to tiny..1, not 0..1: ln stays finite, and 1e-30 decodes to no light as 0
    # does (p < c1 below)
    cv2.max(e, 1e-30, dst=e)
    cv2.threshold(e, 1.0, 0.0, cv2.THRESH_TRUNC, dst=e)
    # the PQ EOTF: p = E^(1/m2), Fd = 10000 (max(p - c1, 0) / (c2 - c3 p))^(1/m1), as ln(Fd)
    cv2.log(e, dst=t)
    cv2.addWeighted(t, 1.0 / _M2, t, 0.0, 0.0, dst=t)
    cv2.exp(t, dst=t)  # p
    cv2.addWeighted(t, 1.0, t, 0.0, -_C1, dst=e)
    cv2.max(e, _PQ_FLOOR, dst=e)
    cv2.addWeighted(t, -_C3, t, 0.0, _C2, dst=t)
    cv2.divide(e, t, dst=e)
    cv2.log(e, dst=e)
    cv2.addWeighted(e, 1.0 / _M1, e, 0.0, float(np.log(10000.0 / HLG_PEAK)), dst=e)
    cv2.threshold(e, 0.0, 0.0, cv2.THRESH_TRUNC, dst=e)  # ln(display light / 1000 cd/m2), limited at the peak
    cv2.exp(e, dst=t)
    cv2.transform(sc.f[0][:n], _LUMA3, dst=sc.f[2][:n])
    _band_out(_band_signal(sc, n, sc.f[1][:n], sc.f[2][:n], pq=True), out, h, w, r0)


def pq_to_i420(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, matrix: str = "bt2020"
) -> np.ndarray:
    """PQ 4:2:0 planes (uint16 codes of ``bits``) -> deep HLG I420 (:func:`pq_to_signal`).

    Within one code of :func:`pq_to_i420_reference` on every pixel, several times faster."""
    h, w = y.shape
    y, u, v = (np.ascontiguousarray(p, np.uint16) for p in (y, u, v))
    affine = _yuv_to_rgb_affine(matrix, full_range, bits)
    out = np.empty((h * 3 // 2, w), np.uint16)
    for r0 in range(0, h, _BAND):
        _pq_band(y, u, v, out, affine, r0, min(r0 + _BAND, h))
    return out


def _planes(frame: Any, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Y, U, V of a decoded YUV frame at 4:2:0 (chroma half size), as uint16, and their depth.

    Anything that is not already 4:2:0 is reformatted by swscale to ``yuv420p10le`` (range kept)."""
    fmt = frame.format
    bits = int(fmt.components[0].bits)
    native = fmt.name in ("yuv420p10le", "yuv420p12le") or (bits == 8 and fmt.name == "yuv420p")
    if not native:
        frame = frame.reformat(
            format="yuv420p10le", src_color_range=frame.color_range, dst_color_range=frame.color_range
        )
        bits = BITS
    dtype = np.uint8 if bits == 8 else np.uint16
    out = []
    for i, plane in enumerate(frame.planes[:3]):
        step = plane.line_size // np.dtype(dtype).itemsize
        arr = np.frombuffer(plane, dtype).reshape(plane.height, step)
        ph, pw = (h, w) if i == 0 else (h // 2, w // 2)
        out.append(arr[:ph, :pw].astype(np.uint16))
    return out[0], out[1], out[2], bits


def to_deep(frame: Any, colour: SourceColour | None = None) -> Frame:
    """A decoded ``av.VideoFrame`` as a deep (10-bit HLG) Frame, even size, not rotated.

    HLG keeps its codes, PQ is transcoded, and everything else (SDR, BT.2020 SDR, stills) goes
    through the working space first (``to_working``: its own tags, gamut mapped to BT.709) and is
    then placed into HLG by the BT.2408 mapping."""
    colour = colour or frame_colour(frame)
    fmt = frame.format
    is_yuv = not (fmt.is_rgb or fmt.name.startswith(("gray", "ya", "pal8", "monow", "monob")))
    if is_yuv and colour.transfer in ("hlg", "pq"):
        w, h = frame.width & ~1, frame.height & ~1
        y, u, v, bits = _planes(frame, w, h)
        convert = normalise_hlg if colour.transfer == "hlg" else pq_to_i420
        buf = convert(y, u, v, bits=bits, full_range=colour.full_range, matrix=colour.matrix)
        return Frame.from_i420(buf, w, h)
    working = to_working(frame, colour)
    return Frame.from_i420(sdr_to_i420(working.as_rgb()), working.width, working.height)
