"""Video decoding with frame-accurate seeking, a small frame cache and a fast sequential path.

``frame_at(t)`` returns the frame on screen at ``t`` seconds (the last one whose timestamp is
<= t): it seeks to the keyframe before ``t`` and decodes forward, or just decodes forward when
``t`` is a little ahead of the last request, as when a player steps through a clip.
``frames()`` is the export path: one seek, then every frame in order with no cache.
Times are seconds from the first frame of the stream. Frames come out I420 in the working
colour space (BT.709 limited range SDR: ``studio.media.colour``), upright (display rotation
applied) and cropped to even size. With ``deep=True`` (the HDR export) they come out as deep
10-bit HLG frames instead (``studio.media.hlg.to_deep``).
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from studio import threadguard
from studio.core.frame import Frame
from studio.media.colour import SourceColour, frame_colour, to_working
from studio.media.convert import rotate
from studio.media.errors import MediaError
from studio.media.probe import MediaInfo, VideoStreamInfo, probe

log = logging.getLogger(__name__)

FORWARD_DECODE_LIMIT = 1.0  # seconds ahead of the current position that are decoded rather than sought
MAX_BAD_PACKETS = 50
# glibc malloc: blocks below this come from the heap, and free memory at its top is given back
# to the kernel only above the trim threshold (see keep_frame_memory)
FRAME_MMAP_THRESHOLD = 32 << 20
FRAME_TRIM_THRESHOLD = 128 << 20
_malloc_tuned = False


def keep_frame_memory() -> bool:
    """Keep freed frame-sized blocks in the process instead of handing them back to the kernel.

    Every decoded 1080x1920 frame is a 3 MB buffer, and converting it (to RGB, a filter, the
    compositor) makes a few more. glibc's defaults give such memory back as soon as it is freed
    (a block above its mmap threshold is unmapped; free memory at the top of the heap above the
    trim threshold is trimmed), so the next frame's buffers fault in afresh, page by page, each
    page zeroed by the kernel: ``Frame.as_rgb()`` at 1080x1920 took 14.9 ms with 2,200 page
    faults a call, 4.9 ms with none once freed blocks were kept. Peak memory is unchanged
    (the same blocks are reused); only giving memory back after a peak waits for more free
    memory to gather. Once per process, Linux with glibc only; False where it did nothing.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return True
    _malloc_tuned = True
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl has no mallopt to speak of)
    m_trim_threshold, m_mmap_threshold = -1, -3
    # the mmap threshold first: setting either one fixes both (glibc stops adapting them)
    return bool(mallopt(m_mmap_threshold, FRAME_MMAP_THRESHOLD)) and bool(
        mallopt(m_trim_threshold, FRAME_TRIM_THRESHOLD)
    )


class VideoDecoder:
    """Decode one file's first video stream. Not thread-safe: use one decoder per thread."""

    def __init__(
        self, path: str | Path, *, cache_size: int = 8, media: MediaInfo | None = None, deep: bool = False
    ) -> None:
        import av

        self.path = str(path)
        self.media = media or probe(path, check_audio=False)
        if self.media.video is None:
            raise MediaError("no_video", path)
        self.info: VideoStreamInfo = self.media.video
        self.cache_size = max(0, cache_size)
        self.deep = deep
        self._cache: OrderedDict[int, tuple[Frame, float]] = OrderedDict()
        self._still: Frame | None = None
        threadguard.check("opening media with PyAV")
        keep_frame_memory()
        self._container = av.open(self.path, metadata_errors="ignore")
        self._stream = self._container.streams[self.info.index]
        self._stream.thread_type = "AUTO"
        self._tb = float(self._stream.time_base or 0) or 1 / 90000
        self._origin = self._stream.start_time or 0
        self._gen: Iterator[Any] | None = None
        self._prev: Any = None
        self._ahead: Any = None
        self._colour: SourceColour | None = None  # read from the first decoded frame
        if self.media.kind == "image":
            self._still = self._decode_still()

    @property
    def duration(self) -> float:
        return self.media.duration

    @property
    def fps(self) -> float:
        return self.info.fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames this decoder returns."""
        return self.info.display_width & ~1, self.info.display_height & ~1

    def close(self) -> None:
        self._gen = None
        self._prev = self._ahead = None
        self._cache.clear()
        self._container.close()

    def __enter__(self) -> VideoDecoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _pts_of(self, t: float) -> int:
        return self._origin + math.floor(t / self._tb + 1e-6)

    def _time_of(self, pts: int) -> float:
        return (pts - self._origin) * self._tb

    def _convert(self, frame: Any) -> Frame:
        """A decoded frame in the working space (``studio.media.colour``), upright."""
        if self._colour is None:
            self._colour = frame_colour(frame, self._stream.codec_context)
        if self.deep:
            from studio.media.hlg import to_deep

            result = to_deep(frame, self._colour)
        else:
            result = to_working(frame, self._colour)
        return rotate(result, self.info.rotation) if self.info.rotation else result

    def _decode_still(self) -> Frame:
        for frame in self._packets_to_frames():
            return self._convert(frame)
        raise MediaError("not_media", self.path)

    def _packets_to_frames(self) -> Iterator[Any]:
        """Decoded frames from the current position; a damaged packet is skipped, not fatal."""
        import av

        bad = 0
        last_pts = None
        for packet in self._container.demux(self._stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                bad += 1
                log.debug("%s: skipped a damaged packet (%s)", self.path, exc)
                if bad > MAX_BAD_PACKETS:
                    raise MediaError("video_damaged", self.path) from exc
                continue
            for frame in frames:
                if frame.pts is None:
                    frame.pts = last_pts + 1 if last_pts is not None else self._origin
                last_pts = frame.pts
                yield frame

    def _seek(self, target: int) -> None:
        """Position the decoder so that the next frames start at or before ``target``."""
        back_off = 0
        while True:
            self._container.seek(max(target - back_off, 0), stream=self._stream, backward=True)
            self._gen = self._packets_to_frames()
            self._prev, self._ahead = None, next(self._gen, None)
            if self._ahead is None or self._ahead.pts <= target or target - back_off <= self._origin:
                return
            # B-frames: the keyframe found by decode timestamp is shown after ``target``.
            back_off = max(2 * back_off, round(1.0 / self._tb))

    def _advance(self, target: int) -> Any:
        """Decode forward to the last frame with pts <= target (or the first frame if none is),
        leaving the frame after it in ``_ahead`` (None only at the end of the stream)."""
        assert self._gen is not None
        while True:
            if self._ahead is None:
                self._ahead = next(self._gen, None)
                if self._ahead is None:
                    break
            if self._prev is not None and self._ahead.pts > target:
                break
            self._prev, self._ahead = self._ahead, None
        if self._prev is None:
            raise MediaError("video_damaged", self.path)
        return self._prev

    def frame_at(self, t: float) -> Frame:
        """The frame shown at ``t`` seconds (a copy; the caller may modify it)."""
        if self._still is not None:
            return self._still.copy()
        target = self._pts_of(max(0.0, t))
        for pts, (frame, until) in self._cache.items():
            if pts <= target < until:
                self._cache.move_to_end(pts)
                return frame.copy()
        near = (
            self._prev is not None
            and self._prev.pts <= target
            and self._time_of(target) - self._time_of(self._prev.pts) <= FORWARD_DECODE_LIMIT
        )
        if not near:
            self._seek(target)
        found = self._advance(target)
        frame = self._convert(found)
        if self.cache_size:
            until = self._ahead.pts if self._ahead is not None else math.inf
            self._cache[found.pts] = (frame, until)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return frame.copy()

    def frames(self, start: float = 0.0, end: float | None = None) -> Iterator[tuple[float, Frame]]:
        """(time, frame) for every frame shown from ``start`` up to (not including) ``end``.

        The first frame is the one on screen at ``start``; times are the frames' own timestamps.
        """
        if self._still is not None:
            yield 0.0, self._still.copy()
            return
        target = self._pts_of(max(0.0, start))
        self._seek(target)
        gen, pending = self._gen, self._ahead
        self._gen = self._prev = self._ahead = None
        assert gen is not None
        if pending is None:
            return
        for frame in gen:
            if frame.pts <= target:
                pending = frame
                continue
            if pending is not None:
                yield self._time_of(pending.pts), self._convert(pending)
                pending = None
            t = self._time_of(frame.pts)
            if end is not None and t >= end:
                return
            yield t, self._convert(frame)
        if pending is not None:
            yield self._time_of(pending.pts), self._convert(pending)
