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
