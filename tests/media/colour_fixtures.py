"""Clips with known colours, made with PyAV and an explicit matrix (independent of studio.core.colour).

bars_rgb(width, height) -> HxWx3 uint8               75% colour bars, 8 vertical bars
bar_centres(width, height) -> [(x, y), ...]          the middle of each bar
encode_rgb(path, rgb, matrix=..., full_range=..., tag=True, ...) -> Path
    H.264 (lossless, qp 0) of ``rgb`` converted with the named matrix's equations;
    ``tag`` writes colorspace / primaries / transfer / range on the stream.
encode_hdr(path, y, u, v, transfer="hlg"|"pq", ...) -> Path
    10-bit HEVC (yuv420p10le, lossless x265) tagged bt2020nc / bt2020 / arib-std-b67 or smpte2084.
pq_code(nits), hlg_ramp(width, height)               10-bit limited-range signals
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

BARS = [
    (191, 191, 191),
    (191, 191, 0),
    (0, 191, 191),
    (0, 191, 0),
    (191, 0, 191),
    (191, 0, 0),
    (0, 0, 191),
    (16, 16, 16),
]
KRKB = {"bt709": (0.2126, 0.0722), "bt601": (0.299, 0.114), "bt2020": (0.2627, 0.0593)}
# FFmpeg enum values of each matrix's tags: (colorspace, primaries, transfer)
TAGS = {"bt709": (1, 1, 1), "bt601": (6, 6, 6)}


def bars_rgb(width: int, height: int) -> np.ndarray:
    rgb = np.empty((height, width, 3), np.uint8)
    step = width // len(BARS)
    for i, colour in enumerate(BARS):
        rgb[:, i * step : (i + 1) * step if i < len(BARS) - 1 else width] = colour
    return rgb


def bar_centres(width: int, height: int) -> list[tuple[int, int]]:
    step = width // len(BARS)
    return [(i * step + step // 2, height // 2) for i in range(len(BARS))]


def rgb_to_yuv444(rgb: np.ndarray, matrix: str, full_range: bool) -> np.ndarray:
    """Float Y'CbCr codes (8-bit) by the textbook equations (BT.601 / BT.709 section 3)."""
    kr, kb = KRKB[matrix]
    f = rgb.astype(np.float64) / 255.0
    y = kr * f[..., 0] + (1 - kr - kb) * f[..., 1] + kb * f[..., 2]
    cb = (f[..., 2] - y) / (2 * (1 - kb))
    cr = (f[..., 0] - y) / (2 * (1 - kr))
    if full_range:
        return np.stack([255 * y, 128 + 255 * cb, 128 + 255 * cr], -1)
    return np.stack([16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr], -1)


def _planes_420(yuv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = yuv.shape[:2]
    y = np.clip(np.rint(yuv[..., 0]), 0, 255).astype(np.uint8)
    chroma = yuv[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).mean(axis=(1, 3))
    u = np.clip(np.rint(chroma[..., 0]), 0, 255).astype(np.uint8)
    v = np.clip(np.rint(chroma[..., 1]), 0, 255).astype(np.uint8)
    return y, u, v


def encode_rgb(
    path: Path,
    rgb: np.ndarray,
    *,
    matrix: str = "bt709",
    full_range: bool = False,
    tag: bool = True,
    frames: int = 3,
    fps: int = 10,
) -> Path:
    import av

    h, w = rgb.shape[:2]
    y, u, v = _planes_420(rgb_to_yuv444(rgb, matrix, full_range))
    rate = Fraction(fps)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"qp": "0", "preset": "veryfast"}
        ctx = vs.codec_context
        if tag:
            ctx.colorspace, ctx.color_primaries, ctx.color_trc = TAGS[matrix]
            ctx.color_range = 2 if full_range else 1
        for i in range(frames):
            frame = _frame(av, (y, u, v), w, h, "yuv420p")
            if tag:
                frame.colorspace, frame.color_range = TAGS[matrix][0], 2 if full_range else 1
            frame.pts, frame.time_base = i, 1 / rate
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return path


def _frame(av: object, planes: tuple[np.ndarray, ...], w: int, h: int, fmt: str) -> object:
    frame = av.VideoFrame(w, h, fmt)  # type: ignore[attr-defined]
    for plane, data in zip(frame.planes, planes, strict=True):
        view = np.frombuffer(plane, data.dtype).reshape(plane.height, plane.line_size // data.itemsize)
        view[:, : data.shape[1]] = data
    return frame


def pq_code(nits: float) -> int:
    """The 10-bit limited-range code of a PQ signal of ``nits`` (SMPTE ST 2084)."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    yy = (nits / 10000) ** m1
    e = ((c1 + c2 * yy) / (1 + c3 * yy)) ** m2
    return round(64 + 876 * e)


def hlg_ramp(width: int, height: int) -> np.ndarray:
    """A horizontal grey ramp over the whole 10-bit limited HLG signal range (64..940)."""
    ramp = np.rint(np.linspace(64, 940, width)).astype(np.uint16)
    return np.repeat(ramp[None, :], height, axis=0)


def encode_hdr(
    path: Path,
    y: np.ndarray,
    u: np.ndarray | None = None,
    v: np.ndarray | None = None,
    *,
    transfer: str = "hlg",
    frames: int = 3,
    fps: int = 10,
) -> Path:
    """10-bit HEVC (lossless) in MP4, tagged BT.2020 with the HLG or PQ transfer."""
    import av

    h, w = y.shape
    u = np.full((h // 2, w // 2), 512, np.uint16) if u is None else u
    v = np.full((h // 2, w // 2), 512, np.uint16) if v is None else v
    trc = 18 if transfer == "hlg" else 16
    rate = Fraction(fps)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx265", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p10le"
        vs.options = {"preset": "ultrafast", "x265-params": "log-level=error:lossless=1"}
        ctx = vs.codec_context
        ctx.colorspace, ctx.color_primaries, ctx.color_trc, ctx.color_range = 9, 9, trc, 1
        for i in range(frames):
            frame = _frame(
                av, (y.astype(np.uint16), u.astype(np.uint16), v.astype(np.uint16)), w, h, "yuv420p10le"
            )
            frame.colorspace, frame.color_range = 9, 1  # type: ignore[attr-defined]
            frame.color_primaries, frame.color_trc = 9, trc  # type: ignore[attr-defined]
            frame.pts, frame.time_base = i, 1 / rate  # type: ignore[attr-defined]
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    return path


# --- colour difference (CIEDE2000) and reference HDR maths, written from the standards -----------
# Nothing below imports studio: these are the yardsticks the colour-accuracy tests measure against.

# sRGB / BT.709 primaries with the D65 white: linear RGB -> CIE XYZ (IEC 61966-2-1)
RGB709_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
D65_WHITE = RGB709_TO_XYZ.sum(axis=1)  # XYZ of RGB (1, 1, 1)


def srgb_to_linear(rgb8: np.ndarray) -> np.ndarray:
    """8-bit sRGB / BT.709 R'G'B' (full range) -> linear light 0..1 (the sRGB EOTF)."""
    v = np.asarray(rgb8, np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_lab(rgb_linear: np.ndarray) -> np.ndarray:
    """Linear BT.709 RGB (D65) -> CIELAB (D65 reference white)."""
    xyz = np.asarray(rgb_linear, np.float64) @ RGB709_TO_XYZ.T / D65_WHITE
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def srgb_to_lab(rgb8: np.ndarray) -> np.ndarray:
    """8-bit sRGB / BT.709 R'G'B' -> CIELAB (D65)."""
    return linear_to_lab(srgb_to_linear(rgb8))


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (kL = kC = kH = 1), as in Sharma, Wu & Dalal (2005)."""
    lab1, lab2 = np.asarray(lab1, np.float64), np.asarray(lab2, np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lp_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hp_mean = np.where(
        np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2)
    )
    hp_mean = np.where(c1p * c2p == 0, hsum, hp_mean)
    t = (
        1
        - 0.17 * np.cos(np.radians(hp_mean - 30))
        + 0.24 * np.cos(np.radians(2 * hp_mean))
        + 0.32 * np.cos(np.radians(3 * hp_mean + 6))
        - 0.20 * np.cos(np.radians(4 * hp_mean - 63))
    )
    d_theta = 30 * np.exp(-(((hp_mean - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    sl = 1 + 0.015 * (lp_mean - 50) ** 2 / np.sqrt(20 + (lp_mean - 50) ** 2)
    sc = 1 + 0.045 * cp_mean
    sh = 1 + 0.015 * cp_mean * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh))


def delta_e_rgb(rgb_a: np.ndarray, rgb_b: np.ndarray) -> np.ndarray:
    """Per-pixel CIEDE2000 between two 8-bit sRGB / BT.709 images (or colours)."""
    return ciede2000(srgb_to_lab(rgb_a), srgb_to_lab(rgb_b))


# SMPTE ST 2084 (PQ), BT.2100 HLG, BT.2390 EETF: independent of studio.media.hdr
_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_HLG_A = 0.17883277
_HLG_B = 1 - 4 * _HLG_A
_HLG_C = 0.5 - _HLG_A * np.log(4 * _HLG_A)


def pq_encode(nits: np.ndarray | float) -> np.ndarray:
    """Display light (cd/m2) -> PQ signal 0..1 (ST 2084 inverse EOTF)."""
    y = np.clip(np.asarray(nits, np.float64) / 10000, 0, 1) ** _PQ_M1
    return ((_PQ_C1 + _PQ_C2 * y) / (1 + _PQ_C3 * y)) ** _PQ_M2


def pq_decode(e: np.ndarray | float) -> np.ndarray:
    """PQ signal 0..1 -> display light in cd/m2 (ST 2084 EOTF)."""
    p = np.clip(np.asarray(e, np.float64), 0, 1) ** (1 / _PQ_M2)
    return 10000 * (np.maximum(p - _PQ_C1, 0) / (_PQ_C2 - _PQ_C3 * p)) ** (1 / _PQ_M1)


def hlg_oetf(scene: np.ndarray) -> np.ndarray:
    """Normalised scene light 0..1 -> HLG signal 0..1 (BT.2100 table 5)."""
    e = np.clip(np.asarray(scene, np.float64), 0, 1)
    return np.where(e <= 1 / 12, np.sqrt(3 * e), _HLG_A * np.log(np.maximum(12 * e - _HLG_B, 1e-12)) + _HLG_C)


def hlg_inverse_oetf_ref(signal: np.ndarray) -> np.ndarray:
    """HLG signal 0..1 -> normalised scene light 0..1."""
    e = np.clip(np.asarray(signal, np.float64), 0, 1)
    return np.where(e <= 0.5, e * e / 3, (np.exp((e - _HLG_C) / _HLG_A) + _HLG_B) / 12)


KR2020, KB2020 = KRKB["bt2020"]
HLG_DISPLAY_PEAK, HLG_SYSTEM_GAMMA = 1000.0, 1.2


def hlg_display_to_scene(display_nits: np.ndarray) -> np.ndarray:
    """Linear BT.2020 display light (cd/m2) -> HLG scene light 0..1: the inverse BT.2100 OOTF
    of the 1000 cd/m2 reference display (Fd = 1000 * Ys^(gamma-1) * Es, gamma 1.2)."""
    fd = np.asarray(display_nits, np.float64) / HLG_DISPLAY_PEAK
    yd = fd @ np.array([KR2020, 1 - KR2020 - KB2020, KB2020])
    ys = np.maximum(yd, 1e-12) ** (1 / HLG_SYSTEM_GAMMA)
    return fd / ys[..., None] ** (HLG_SYSTEM_GAMMA - 1)


def hlg_scene_to_display(scene: np.ndarray) -> np.ndarray:
    """HLG scene light 0..1 (BT.2020 RGB) -> display light in cd/m2 (the BT.2100 OOTF)."""
    es = np.asarray(scene, np.float64)
    ys = es @ np.array([KR2020, 1 - KR2020 - KB2020, KB2020])
    return HLG_DISPLAY_PEAK * np.maximum(ys, 1e-12)[..., None] ** (HLG_SYSTEM_GAMMA - 1) * es


def bt2390_eetf_ref(nits: np.ndarray, source_peak: float = 1000.0, target_peak: float = 100.0) -> np.ndarray:
    """The ITU-R BT.2390 EETF (section 5.4.1, black levels 0) on display light, in cd/m2.

    E1 = PQ(L) / PQ(Lw); KS = 1.5 * maxLum - 0.5; below KS the signal passes, above it follows
    the Hermite spline P(E1) ending at maxLum = PQ(Lmax) / PQ(Lw); the result is scaled back by
    PQ(Lw) and decoded with the PQ EOTF.
    """
    lw = pq_encode(source_peak)
    e1 = np.clip(pq_encode(nits) / lw, 0, 1)
    max_lum = pq_encode(target_peak) / lw
    ks = 1.5 * max_lum - 0.5
    t = (e1 - ks) / (1 - ks)
    p = (2 * t**3 - 3 * t**2 + 1) * ks + (t**3 - 2 * t**2 + t) * (1 - ks) + (-2 * t**3 + 3 * t**2) * max_lum
    return pq_decode(np.where(e1 < ks, e1, p) * lw)


def primaries_matrix(xy: list[tuple[float, float]], white: tuple[float, float]) -> np.ndarray:
    """Linear RGB -> XYZ for the given primaries' and white's chromaticities (SMPTE RP 177)."""

    def xyz(c: tuple[float, float]) -> np.ndarray:
        return np.array([c[0] / c[1], 1.0, (1 - c[0] - c[1]) / c[1]])

    p = np.stack([xyz(c) for c in xy], axis=1)
    return p * np.linalg.solve(p, xyz(white))


D65_XY = (0.3127, 0.3290)
BT2020_XY = [(0.708, 0.292), (0.170, 0.797), (0.131, 0.046)]
BT709_XY = [(0.640, 0.330), (0.300, 0.600), (0.150, 0.060)]
BT2020_TO_709_REF = np.linalg.solve(primaries_matrix(BT709_XY, D65_XY), primaries_matrix(BT2020_XY, D65_XY))
BT709_TO_2020_REF = np.linalg.inv(BT2020_TO_709_REF)


def rgb2020_to_yuv10(rgb_signal: np.ndarray) -> np.ndarray:
    """Non-linear BT.2020 R'G'B' 0..1 -> 10-bit limited Y'CbCr codes (float; BT.2020 NCL)."""
    kr, kb = KR2020, KB2020
    f = np.asarray(rgb_signal, np.float64)
    y = kr * f[..., 0] + (1 - kr - kb) * f[..., 1] + kb * f[..., 2]
    cb = (f[..., 2] - y) / (2 * (1 - kb))
    cr = (f[..., 0] - y) / (2 * (1 - kr))
    return np.stack([64 + 876 * y, 512 + 896 * cb, 512 + 896 * cr], -1)


def yuv10_to_rgb2020(yuv: np.ndarray) -> np.ndarray:
    """10-bit limited Y'CbCr codes -> non-linear BT.2020 R'G'B' 0..1 (BT.2020 NCL)."""
    kr, kb = KR2020, KB2020
    yuv = np.asarray(yuv, np.float64)
    y, cb, cr = (yuv[..., 0] - 64) / 876, (yuv[..., 1] - 512) / 896, (yuv[..., 2] - 512) / 896
    r = y + 2 * (1 - kr) * cr
    b = y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / (1 - kr - kb)
    return np.stack([r, g, b], -1)
