"""A source's colour tags, and its decoded frames brought into the working space.

The working space (``studio.core.colour``): I420, BT.709 matrix, limited range, 8-bit SDR.
:func:`source_colour` reads what a frame says about itself (``frame.colorspace``,
``color_range``, ``color_trc``, ``color_primaries``; the stream's codec context when the frame
says nothing) and fills the gaps the way players do: an untagged matrix is BT.601 below 720
lines and BT.709 from 720 up (BT.2020 for an HDR transfer), an untagged range is limited unless
the pixel format is a full-range ``yuvj`` one. :func:`to_working` then converts once, at decode:

* 8-bit SDR YUV: the planes (copied or reformatted to 4:2:0 by ``studio.media.convert``), then
  ``convert_i420`` from the source's matrix and range (nothing to do for BT.709 limited);
* RGB and grey pictures (stills): R'G'B' -> working I420 with the same BT.709 matrix;
* PQ, HLG, or BT.2020 primaries: tone-mapped / gamut-mapped to BT.709 SDR by
  ``studio.media.hdr`` (10-bit planes read as they are): PQ and HLG straight to working I420
  with an ordered dither, BT.2020 SDR rounded (``to_sdr_i420``, quantised once at the YUV codes).

SDR BT.601 sources keep their R'G'B' (BT.601 and BT.709 primaries differ by less than the
accuracy of consumer displays; like ffmpeg and browsers, no gamut conversion is made).
Export and preview both decode through here, so they see the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core.colour import WORKING, YuvSpace, convert_i420, repeat_2x2, rgb_to_i420
from studio.core.frame import Frame
from studio.media.convert import to_i420

# FFmpeg's AVColorSpace / AVColorTransferCharacteristic / AVColorPrimaries values -> ffprobe names
MATRIX_NAMES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
                9: "bt2020nc", 10: "bt2020c"}  # fmt: skip
TRANSFER_NAMES = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
                  13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
                  18: "arib-std-b67"}  # fmt: skip
PRIMARIES_NAMES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020",
                   11: "smpte431", 12: "smpte432"}  # fmt: skip
_MATRIX_OF = {1: "bt709", 4: "bt601", 5: "bt601", 6: "bt601", 7: "bt709", 9: "bt2020", 10: "bt2020"}
PQ, HLG = 16, 18
BT2020_PRIMARIES = 9
# what the working space (and so every export) is tagged as
OUTPUT_TAGS = {"colorspace": 1, "color_primaries": 1, "color_trc": 1, "color_range": 1}


@dataclass(frozen=True)
class SourceColour:
    """How a source's pixels are encoded: YUV matrix and range, transfer, primaries, bit depth.

    ``matrix``: "bt601" | "bt709" | "bt2020"; ``transfer``: "sdr" | "pq" | "hlg";
    ``primaries``: "bt709" | "bt2020" | "bt601"; ``tagged``: whether the matrix was in the file.
    """

    matrix: str = "bt709"
    full_range: bool = False
    transfer: str = "sdr"
    primaries: str = "bt709"
    bits: int = 8
    tagged: bool = True

    @property
    def yuv(self) -> YuvSpace:
        return YuvSpace(self.matrix, self.full_range)

    @property
    def hdr(self) -> str:
        """ "PQ", "HLG" or "" (SDR)."""
        return {"pq": "PQ", "hlg": "HLG"}.get(self.transfer, "")

    @property
    def needs_mapping(self) -> bool:
        """Whether the picture must be tone- or gamut-mapped to reach BT.709 SDR."""
        return self.transfer != "sdr" or self.primaries == "bt2020"

    @property
    def is_working(self) -> bool:
        return self.yuv == WORKING and not self.needs_mapping


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def source_colour(
    *, colorspace: Any, color_range: Any, color_trc: Any, color_primaries: Any, pix_fmt: str, height: int,
    bits: int = 8,
) -> SourceColour:  # fmt: skip
    """The colour of a picture from its tags (FFmpeg enum values), with the usual defaults."""
    cs, rng, trc, prim = _int(colorspace), _int(color_range), _int(color_trc), _int(color_primaries)
    transfer = "pq" if trc == PQ else "hlg" if trc == HLG else "sdr"
    matrix = _MATRIX_OF.get(cs)
    tagged = matrix is not None
    if matrix is None:
        if transfer != "sdr" or prim == BT2020_PRIMARIES:
            matrix = "bt2020"
        else:
            matrix = "bt601" if height < 720 else "bt709"
    full = rng == 2 if rng in (1, 2) else pix_fmt.startswith("yuvj")
    primaries = {9: "bt2020", 5: "bt601", 6: "bt601"}.get(prim, "")
    if not primaries:
        primaries = "bt2020" if matrix == "bt2020" else "bt709"
    return SourceColour(matrix, full, transfer, primaries, bits, tagged)


def frame_colour(frame: Any, fallback: Any = None) -> SourceColour:
    """:func:`source_colour` of a decoded ``av.VideoFrame`` (``fallback``: its codec context,
    read for any tag the frame leaves unspecified)."""

    def tag(name: str, unspecified: int) -> int:
        value = _int(getattr(frame, name, 0))
        if value in (0, unspecified) and fallback is not None:
            value = _int(getattr(fallback, name, 0)) or value
        return value

    fmt = frame.format
    bits = int(fmt.components[0].bits) if fmt.components else 8
    return source_colour(
        colorspace=tag("colorspace", 2),
        color_range=tag("color_range", 0),
        color_trc=tag("color_trc", 2),
        color_primaries=tag("color_primaries", 2),
        pix_fmt=fmt.name,
        height=frame.height,
        bits=bits,
    )


def _is_rgb(fmt: Any) -> bool:
    return bool(fmt.is_rgb) or fmt.name.startswith(("gray", "ya", "pal8", "monow", "monob"))


def _planes16(frame: Any, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-size uint16 Y, U, V of a frame (10-bit kept; chroma repeated over 2x2 blocks)."""

    bits = frame.format.components[0].bits
    fmt = "yuv420p10le" if bits > 8 else "yuv420p"
    if frame.format.name != fmt:
        frame = frame.reformat(
            format=fmt, src_color_range=frame.color_range, dst_color_range=frame.color_range
        )
    dtype = np.uint16 if bits > 8 else np.uint8
    out = []
    for i, plane in enumerate(frame.planes):
        step = plane.line_size // np.dtype(dtype).itemsize
        arr = np.frombuffer(plane, dtype).reshape(plane.height, step)[:, : plane.width]
        arr = arr[: h if i == 0 else h // 2, : w if i == 0 else w // 2].astype(np.uint16)
        if i:
            arr = repeat_2x2(arr)
        out.append(arr)
    return out[0], out[1], out[2]


def to_working(frame: Any, colour: SourceColour | None = None) -> Frame:
    """A decoded ``av.VideoFrame`` as a working-space I420 Frame (even size, not rotated)."""
    colour = colour or frame_colour(frame)
    fmt = frame.format
    if _is_rgb(fmt):
        rgb = frame.to_ndarray(format="rgb24")
        h, w = rgb.shape[0] & ~1, rgb.shape[1] & ~1
        return Frame.from_i420(rgb_to_i420(np.ascontiguousarray(rgb[:h, :w])), w, h)
    if colour.needs_mapping:
        from studio.media.hdr import to_sdr_i420

        w, h = frame.width & ~1, frame.height & ~1
        y, u, v = _planes16(frame, w, h)
        out = to_sdr_i420(
            y,
            u,
            v,
            transfer=colour.transfer,
            bits=colour.bits if colour.bits > 8 else 8,
            full_range=colour.full_range,
            wide_gamut=colour.primaries == "bt2020",
        )
        return Frame.from_i420(out, w, h)
    planar = to_i420(frame, full_range=colour.full_range)
    buf = convert_i420(planar.as_i420(), planar.width, planar.height, colour.yuv)
    return planar if buf is planar.as_i420() else Frame.from_i420(buf, planar.width, planar.height)


def tag_stream(stream: Any, tags: dict[str, int] | None = None) -> list[str]:
    """Tag an output video stream's codec context (before it opens) with the working space's
    colour (or ``tags``); returns the names PyAV refused (none with PyAV 18)."""
    ctx = stream.codec_context
    refused: list[str] = []
    for attr, value in (tags or OUTPUT_TAGS).items():
        try:
            setattr(ctx, attr, value)
        except (AttributeError, TypeError, ValueError):
            refused.append(attr)
    return refused
