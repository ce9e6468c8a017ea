"""Source frames for the render: sequential readers for export, seeking decoders for preview."""

from __future__ import annotations

from studio.core.frame import Frame
from studio.core.project import VideoClip

# A source frame counts as "on screen" at t when its timestamp is at most this far after t:
# absorbs float rounding between timeline maths and container timestamps.
TIME_SLACK = 2e-3


class SequentialClipReader:
    """A clip's frames in timeline order from one ``VideoDecoder.frames()`` pass (no seeking).

    ``frame_at(st)`` must be called with non-decreasing source times; it returns the last frame
    whose time is <= st (the first frame when st is before it; the last when the source ends),
    so speed changes skip or repeat source frames as needed.
    """

    def __init__(self, clip: VideoClip, deep: bool = False) -> None:
        """``deep``: 10-bit HLG frames for the HDR export (``studio.media.hlg``)."""
        from studio.media.decode import VideoDecoder

        self.clip = clip
        self.decoder = VideoDecoder(clip.source, cache_size=0, deep=deep)
        self._it = None
        self._current: tuple[float, Frame] | None = None
        self._ahead: tuple[float, Frame] | None = None
        self._done = False

    def frame_at(self, source_t: float) -> Frame:
        if self._it is None:
            self._it = self.decoder.frames(start=source_t)
        while not self._done:
            if self._ahead is None:
                self._ahead = next(self._it, None)
                if self._ahead is None:
                    self._done = True
                    break
            if self._current is not None and self._ahead[0] > source_t + TIME_SLACK:
                break
            self._current, self._ahead = self._ahead, None
        if self._current is None:
            from studio.media.errors import MediaError

            raise MediaError("video_damaged", self.clip.source)
        return self._current[1]

    def close(self) -> None:
        self._it = None
        self._current = self._ahead = None
        self.decoder.close()
