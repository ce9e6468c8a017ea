"""The player's renderer: the export graph at reduced scale, one frame at a time after any seek.

One ``VideoDecoder`` stays open per clip (its frame cache and forward-decode make scrubbing and
playback cheap); filters run in preview mode (a failing filter is switched off with a reason in
``problems`` instead of stopping the player); a source that cannot be decoded is drawn as nothing
and named in ``problems``.
"""

from __future__ import annotations

import logging
import threading

from studio.core.frame import Frame
from studio.core.project import Project, VideoClip
from studio.render.compositor import Compositor, active_video_clips

log = logging.getLogger(__name__)


def _even(v: float) -> int:
    return max(2, round(v / 2.0) * 2)


class PreviewRenderer:
    """``frame_at(t)`` -> the project's frame at ``t`` as an I420 :class:`Frame` of ``size``."""

    def __init__(self, project: Project, scale: float = 0.5, *, cache_size: int = 8) -> None:
        if not 0 < scale <= 1.0:
            raise ValueError(f"preview scale must be in (0, 1], got {scale}")
        self.scale = scale
        self.cache_size = cache_size
        self._decoders: dict[str, tuple[str, object]] = {}
        self._lock = threading.Lock()
        self.problems: list[str] = []
        self._broken: set[str] = set()
        self.project = project
        self._compositor = self._make_compositor(project)

    def _make_compositor(self, project: Project) -> Compositor:
        w = _even(project.canvas.width * self.scale)
        h = _even(project.canvas.height * self.scale)
        return Compositor(project, w, h, project.canvas.fps, mode="preview")

    @property
    def size(self) -> tuple[int, int]:
        return self._compositor.width, self._compositor.height

    @property
    def fps(self) -> float:
        return self.project.canvas.fps

    @property
    def duration(self) -> float:
        return self.project.duration

    def set_project(self, project: Project) -> None:
        """Show an edited project; decoders of clips still present (same source) stay open."""
        with self._lock:
            self._compositor.close()
            self.project = project
            self._compositor = self._make_compositor(project)
            keep = {c.id: c.source for _, c in project.iter_clips() if isinstance(c, VideoClip)}
            for clip_id in list(self._decoders):
                if keep.get(clip_id) != self._decoders[clip_id][0]:
                    self._close_decoder(clip_id)
            self._broken.clear()

    def _decoder(self, clip: VideoClip) -> object:
        from studio.media.decode import VideoDecoder

        entry = self._decoders.get(clip.id)
        if entry is None or entry[0] != clip.source:
            if entry is not None:
                self._close_decoder(clip.id)
            entry = (clip.source, VideoDecoder(clip.source, cache_size=self.cache_size))
            self._decoders[clip.id] = entry
        return entry[1]

    def _close_decoder(self, clip_id: str) -> None:
        entry = self._decoders.pop(clip_id, None)
        if entry is not None:
            entry[1].close()  # type: ignore[attr-defined]

    def frame_at(self, t: float) -> Frame:
        from studio.media.errors import MediaError

        with self._lock:
            t = min(max(0.0, t), max(0.0, self.duration - 1e-6))
            sources: dict[str, Frame] = {}
            for clip in active_video_clips(self.project, t):
                if clip.id in self._broken:
                    continue
                try:
                    sources[clip.id] = self._decoder(clip).frame_at(clip.source_time(t))  # type: ignore[attr-defined]
                except MediaError as exc:
                    self._broken.add(clip.id)
                    message = f"{exc}; the clip is left out of the preview"
                    log.warning(message)
                    self.problems.append(message)
            comp = self._compositor
            buf = comp.compose(t, sources)
            if any(buf is f.as_i420() for f in sources.values()):
                buf = buf.copy()
            return Frame.from_i420(buf, comp.width, comp.height)

    @property
    def filter_problems(self) -> list[str]:
        return list(self._compositor.filters.problems)

    def close(self) -> None:
        with self._lock:
            for clip_id in list(self._decoders):
                self._close_decoder(clip_id)
            self._compositor.close()

    def __enter__(self) -> PreviewRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
