"""The frame that flows through decode -> filters -> compositor -> encoder.

A frame is held in whichever layout it last had: planar YUV 4:2:0 (``yuv420p``: three uint8
planes, chroma at half size, limited range, as decoded and as the encoders want it) or packed
RGB (``rgb24``: HxWx3 uint8). Converting costs ~1.6 ms at 1080x1920 with OpenCV, so stages ask
for the layout they need (:meth:`as_rgb`, :meth:`as_i420`) and the conversion happens only
when the layout really changes. Width and height are always even.

Both layouts are the working colour space (``studio.core.colour``): the YUV is BT.709 limited
range, the RGB its full-range R'G'B', and the conversions are that module's BT.709 matrices
(what the export is tagged as and what a player applies to it). A round trip is neutral
within rounding, so a filter that leaves RGB alone leaves the YUV alone.

A **deep** frame (``bits == 10``, the HDR export's working space) holds I420 only, as uint16
planes of 10-bit codes (``yuv420p10le``): BT.2020 non-constant-luminance matrix, limited range,
HLG transfer (``studio.media.hlg``). It has no RGB face: :meth:`as_rgb` refuses, so an 8-bit
stage (an RGB filter, a look) cannot run on it by accident.

This is vocabulary shared by media, effects and render; it does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.core.colour import i420_to_rgb, rgb_to_i420

YUV420P = "yuv420p"
YUV420P10 = "yuv420p10le"
RGB24 = "rgb24"
DEEP_BITS = 10
_DTYPES = (np.uint8, np.uint16)


@dataclass(eq=False)
class Frame:
    width: int
    height: int
    _rgb: np.ndarray | None = None
    _yuv: np.ndarray | None = None  # I420 as one (h*3/2, w) array: Y, then U, then V (uint8, or
    # uint16 10-bit codes for a deep frame)

    @classmethod
    def from_rgb(cls, rgb: np.ndarray) -> Frame:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 RGB array, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        if h % 2 or w % 2:
            rgb = rgb[: h - h % 2, : w - w % 2]
            h, w = rgb.shape[:2]
        return cls(w, h, _rgb=np.ascontiguousarray(rgb))

    @classmethod
    def from_i420(cls, i420: np.ndarray, width: int, height: int) -> Frame:
        """An I420 buffer: uint8 (the working space) or uint16 10-bit codes (a deep frame)."""
        if i420.shape != (height * 3 // 2, width) or i420.dtype not in _DTYPES:
            raise ValueError(
                f"expected a ({height * 3 // 2}, {width}) uint8 or uint16 I420 array, got {i420.shape} {i420.dtype}"
            )
        return cls(width, height, _yuv=i420)

    @classmethod
    def from_planes(cls, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> Frame:
        """A frame of three planes; its depth is the planes' dtype (uint8, or uint16 for deep)."""
        h, w = y.shape
        buf = np.empty((h * 3 // 2, w), y.dtype if y.dtype in _DTYPES else np.uint8)
        buf[:h] = y
        buf[h:].reshape(-1)[: u.size] = u.reshape(-1)
        buf[h:].reshape(-1)[u.size :] = v.reshape(-1)
        return cls(w, h, _yuv=buf)

    @classmethod
    def black(cls, width: int, height: int, bits: int = 8) -> Frame:
        """Limited-range black: codes 16/128 at 8 bits, 64/512 for a deep (10-bit) frame."""
        k = 1 << (bits - 8)
        buf = np.empty((height * 3 // 2, width), np.uint8 if bits == 8 else np.uint16)
        buf[:height] = 16 * k
        buf[height:] = 128 * k
        return cls(width, height, _yuv=buf)

    @property
    def layout(self) -> str:
        if self._yuv is not None:
            return YUV420P10 if self._yuv.dtype == np.uint16 else YUV420P
        return RGB24

    @property
    def bits(self) -> int:
        """Bits per code: 8 (the working space) or 10 (a deep frame, HDR export)."""
        return DEEP_BITS if self._yuv is not None and self._yuv.dtype == np.uint16 else 8

    @property
    def deep(self) -> bool:
        return self.bits != 8

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    def as_rgb(self) -> np.ndarray:
        """HxWx3 uint8 RGB (converted from YUV once, then kept). A deep frame has no 8-bit RGB
        face: it raises ValueError rather than lose its 10 bits and its HLG transfer."""
        if self._rgb is None:
            assert self._yuv is not None
            if self._yuv.dtype != np.uint8:
                raise ValueError("a 10-bit HLG frame has no 8-bit RGB face (an SDR-only stage reached it)")
            self._rgb = i420_to_rgb(self._yuv, self.width, self.height)
        return self._rgb

    def as_i420(self) -> np.ndarray:
        """The (h*3/2, w) I420 buffer (converted from RGB once, then kept)."""
        if self._yuv is None:
            assert self._rgb is not None
            self._yuv = rgb_to_i420(self._rgb)
        return self._yuv

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views of the Y, U and V planes of the I420 buffer (writes go into the frame)."""
        buf = self.as_i420()
        h, w = self.height, self.width
        chroma = buf[h:].reshape(-1)
        quarter = (h // 2) * (w // 2)
        return (
            buf[:h],
            chroma[:quarter].reshape(h // 2, w // 2),
            chroma[quarter:].reshape(h // 2, w // 2),
        )

    def with_rgb(self, rgb: np.ndarray) -> Frame:
        """A new frame holding ``rgb`` (same size), e.g. the output of an RGB filter."""
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"expected ({self.height}, {self.width}, 3) uint8, got {rgb.shape} {rgb.dtype}")
        return Frame(self.width, self.height, _rgb=rgb)

    def with_i420(self, i420: np.ndarray) -> Frame:
        """A new frame holding ``i420`` (same size; its dtype sets the depth)."""
        return Frame.from_i420(i420, self.width, self.height)

    def copy(self) -> Frame:
        return Frame(
            self.width,
            self.height,
            _rgb=None if self._rgb is None else self._rgb.copy(),
            _yuv=None if self._yuv is None else self._yuv.copy(),
        )
