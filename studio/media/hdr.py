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
5. SDR encoding for a BT.1886 display (gamma 2.4): V = L^(1/2.4), full range 0..255.

``studio.media.colour`` calls :func:`to_sdr_rgb` for every HDR frame, in export and preview alike.
The EETF and the transfer functions are tabulated (4096 entries) so a 1080x1920 frame costs a
handful of numpy passes.
"""

from __future__ import annotations

import functools

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


def yuv_to_rgb_nonlinear(
    y: np.ndarray, u: np.ndarray, v: np.ndarray, *, bits: int, full_range: bool, kr: float, kb: float
) -> np.ndarray:
    """Full-size planes (uint16 codes) -> HxWx3 float32 R'G'B' 0..1 (unclipped)."""
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
    return np.stack([r, g, b], axis=-1)


def _soft_clip_gamut(rgb: np.ndarray) -> np.ndarray:
    """Pull colours with a negative channel towards their luminance until none is negative."""
    lum = rgb @ np.array([KR_709, 1 - KR_709 - KB_709, KB_709], np.float32)
    low = rgb.min(axis=-1)
    need = low < 0
    if np.any(need):
        safe_l = np.maximum(lum, 0.0)
        t = np.where(need, safe_l / np.maximum(safe_l - low, 1e-6), 1.0)[..., None]
        rgb = lum[..., None] + (rgb - lum[..., None]) * t
    return np.clip(rgb, 0.0, 1.0)


def to_sdr_rgb(
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
    """Full-size Y, U, V planes (codes of ``bits``; BT.2020 NCL matrix) -> HxWx3 uint8 BT.709
    SDR R'G'B' (full range, BT.1886 gamma 2.4 encoding). ``transfer``: "pq", "hlg" or "sdr"
    (a BT.2020 SDR picture: only the gamut is mapped)."""
    kr, kb = (KR_2020, KB_2020) if wide_gamut else (KR_709, KB_709)
    rgb = yuv_to_rgb_nonlinear(y, u, v, bits=bits, full_range=full_range, kr=kr, kb=kb)
    light = _lookup(_linear_table(transfer), rgb)  # per channel
    if transfer == "hlg":
        # BT.2100 OOTF: Fd = peak * Ys^(gamma-1) * Es, on scene light
        ys = light @ np.array([KR_2020, 1 - KR_2020 - KB_2020, KB_2020], np.float32)
        gain = np.power(np.maximum(ys, 1e-6), np.float32(hlg_gamma() - 1.0)) * np.float32(HLG_PEAK)
        light = light * gain[..., None]  # cd/m2
        peak = HLG_PEAK
    else:
        peak = source_peak
    if transfer in ("pq", "hlg"):
        if transfer == "pq":  # the brightest channel's light is the largest signal's
            pq = np.clip(rgb.max(axis=-1), 0.0, 1.0)
        else:
            pq = pq_inverse_eotf(light.max(axis=-1)).astype(np.float32)
        table, _ = _tone_table(float(peak))
        light = light * _lookup(table, pq)[..., None]  # 0..1 of the SDR peak
    if wide_gamut:
        light = light @ BT2020_TO_BT709.T.astype(np.float32)
    light = _soft_clip_gamut(light)
    out = np.power(light, np.float32(1 / 2.4)) * np.float32(255.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
